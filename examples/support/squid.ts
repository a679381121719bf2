/**
 * A real forward proxy: Debian's squid on 127.0.0.1, with a configuration of
 * its own in a temporary directory (Basic proxy auth through basic_ncsa_auth
 * and an htpasswd file made with `openssl passwd -apr1`, no cache, logs in
 * the directory), stopped and removed with the scope.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { freePort } from "./loopback.js"

export interface Squid {
  /** `http://127.0.0.1:PORT`, without credentials. */
  readonly origin: string
  readonly port: number
  readonly username: string
  readonly password: string
  /** The access log's lines so far (one per request the proxy handled). */
  readonly accessLog: () => ReadonlyArray<string>
}

const helper = ["/usr/lib/squid/basic_ncsa_auth", "/usr/lib64/squid/basic_ncsa_auth"].find((path) => existsSync(path))
const digestHelper = ["/usr/lib/squid/digest_file_auth", "/usr/lib64/squid/digest_file_auth"].find((path) =>
  existsSync(path)
)
const binary = ["/usr/sbin/squid", "/usr/bin/squid"].find((path) => existsSync(path))

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket()
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
    socket.connect(port, "127.0.0.1")
  })

/** Waits until squid accepts connections: a bounded connect poll (squid logs no line on stdout). */
const ready = async (port: number, child: ChildProcess, dir: string) => {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) break
    if (await accepts(port)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const log = existsSync(join(dir, "cache.log")) ? readFileSync(join(dir, "cache.log"), "utf8") : ""
  throw new Error(`squid did not start on 127.0.0.1:${port}:\n${log.slice(-2000)}`)
}

/**
 * Starts squid with Basic proxy auth for `username`/`password`, or Digest
 * (RFC 7616 through digest_file_auth, a plain-text password file) with
 * `{ auth: "digest" }`.
 */
export const squid = (
  credentials: { readonly username: string; readonly password: string } = {
    username: "proxyuser",
    password: "proxy-pass-42"
  },
  options: { readonly auth?: "basic" | "digest" } = {}
): Effect.Effect<Squid, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      if (binary === undefined || helper === undefined) {
        throw new Error("squid is not installed: apt-get install squid (npm test's set-up step does)")
      }
      const dir = mkdtempSync(join(tmpdir(), "effect-http-auth-squid-"))
      // run as root, squid drops to its own user, which must read the files and write the logs
      chmodSync(dir, 0o777)
      const digest = options.auth === "digest"
      if (digest && digestHelper === undefined) throw new Error("squid's digest_file_auth helper is not installed")
      if (digest) {
        writeFileSync(join(dir, "digest-passwd"), `${credentials.username}:${credentials.password}\n`, { mode: 0o644 })
      } else {
        const hash = execFileSync("openssl", ["passwd", "-apr1", credentials.password], { encoding: "utf8" }).trim()
        writeFileSync(join(dir, "htpasswd"), `${credentials.username}:${hash}\n`, { mode: 0o644 })
      }
      const auth = digest
        ? [
            `auth_param digest program ${digestHelper} ${join(dir, "digest-passwd")}`,
            "auth_param digest children 2",
            "auth_param digest realm effect-http-auth digest proxy"
          ]
        : [
            `auth_param basic program ${helper} ${join(dir, "htpasswd")}`,
            "auth_param basic children 2",
            "auth_param basic realm effect-http-auth test proxy"
          ]
      const port = await freePort()
      writeFileSync(
        join(dir, "squid.conf"),
        [
          `http_port 127.0.0.1:${port}`,
          `pid_filename ${join(dir, "squid.pid")}`,
          `cache_log ${join(dir, "cache.log")}`,
          `access_log stdio:${join(dir, "access.log")}`,
          "cache deny all",
          "cache_mem 4 MB",
          `coredump_dir ${dir}`,
          "netdb_filename none",
          "pinger_enable off",
          "shutdown_lifetime 0 seconds",
          "forwarded_for delete",
          "via off",
          ...auth,
          "acl authenticated proxy_auth REQUIRED",
          "http_access allow authenticated",
          "http_access deny all",
          ""
        ].join("\n")
      )
      const child = spawn(binary, ["-N", "-f", join(dir, "squid.conf")], { stdio: "ignore" })
      try {
        await ready(port, child, dir)
      } catch (error) {
        child.kill("SIGKILL")
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
      return { child, dir, port }
    }),
    ({ child, dir }) =>
      Effect.promise(
        () =>
          new Promise<void>((resolve) => {
            const done = () => {
              rmSync(dir, { recursive: true, force: true })
              resolve()
            }
            if (child.exitCode !== null) return done()
            // shutdown_lifetime 0: SIGTERM stops it at once; SIGKILL only if it hangs
            const kill = setTimeout(() => child.kill("SIGKILL"), 5000)
            child.once("exit", () => {
              clearTimeout(kill)
              done()
            })
            child.kill("SIGTERM")
          })
      )
  ).pipe(
    Effect.map(({ dir, port }) => ({
      origin: `http://127.0.0.1:${port}`,
      port,
      username: credentials.username,
      password: credentials.password,
      accessLog: () => {
        const path = join(dir, "access.log")
        return existsSync(path)
          ? readFileSync(path, "utf8")
              .split("\n")
              .filter((line) => line !== "")
          : []
      }
    }))
  )
