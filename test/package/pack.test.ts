/**
 * The package as a user installs it: `npm pack`, then the tarball installed into
 * fresh projects from npm's cache. One project has only `effect` and
 * `@effect/platform` (the optional `@effect/platform-node` absent): the core
 * imports and sends a Basic request through an in-memory client. The other adds
 * platform-node: a user file typechecks under `nodenext` and `strict`, then runs
 * one request through `effect-http-auth/node` against a loopback server.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
const exec = promisify(execFile)
const work = mkdtempSync(join(tmpdir(), "effect-http-auth-pack-"))
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const peer = (name: string): string => pkg.peerDependencies[name]

const npm = (cwd: string, ...args: ReadonlyArray<string>) =>
  exec("npm", [...args], { cwd, timeout: 120_000, env: { ...process.env, npm_config_update_notifier: "false" } })

/** A fresh project with these dependencies and files, installed from npm's cache where it can. */
const project = async (name: string, dependencies: Record<string, string>, files: Record<string, string>) => {
  const dir = join(work, name)
  mkdirSync(dir)
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", dependencies }))
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  await npm(dir, "install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
  return dir
}

/** The user program of the core-only project (plain ESM, run with node). */
const coreOnlyProgram = `
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Basic, Bearer, HttpAuth, OAuth2, RedirectListener } from "effect-http-auth"
import { MockAuth } from "effect-http-auth/testing"

// An in-memory client that answers with the Authorization header it was sent.
const echo = Layer.succeed(HttpClient.HttpClient, HttpClient.make((request) =>
Effect.succeed(HttpClientResponse.fromWeb(request, new Response(request.headers.authorization ?? "(none)")))))

const program = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("https://api.example/me"))
.pipe(Effect.flatMap((response) => response.text))

const sent = await program.pipe(Effect.provide(HttpAuth.layer(Basic.make("alice", "s3cret")).pipe(Layer.provide(echo))),
Effect.runPromise)
console.log("sent " + sent)
console.log("modules " + [typeof Bearer.make, typeof OAuth2.clientCredentials, typeof RedirectListener.make,
typeof MockAuth.layer].join(","))
for (const path of ["effect-http-auth/internal/sigv4", "effect-http-auth/Bearer", "effect-http-auth/node", "effect-http-auth/redis"]) {
const outcome = await import(path).then(() => "imported", (error) => error.code)
console.log(path + " " + outcome)
}
`

/** The user file of the Node project: TypeScript, checked under nodenext and strict, then compiled and run. */
const nodeProgram = `
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import { Basic } from "effect-http-auth"
import { NodeHttpAuth } from "effect-http-auth/node"

const server = createServer((request, response) => response.end("server saw " + request.headers.authorization))
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const { port } = server.address() as AddressInfo

const body: string = await Effect.flatMap(HttpClient.HttpClient, (client) => client.get(\`http://127.0.0.1:\${port}/\`)).pipe(
Effect.flatMap((response) => response.text),
Effect.provide(NodeHttpAuth.layer(Basic.make("bob", "pw"))),
Effect.runPromise
)
console.log(body)
server.close()
`

const nodeTsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    outDir: "out",
    types: ["node"]
  },
  files: ["main.ts"]
}

let tarball = ""
let packed: ReadonlyArray<string> = []
let coreOnly = ""
let withNode = ""

beforeAll(async () => {
  await npm(root, "run", "build")
  const { stdout } = await npm(root, "pack", "--json", "--ignore-scripts", "--pack-destination", work)
  const [info] = JSON.parse(stdout)
  tarball = join(work, info.filename)
  packed = info.files.map((file: { path: string }) => file.path)
  // the two installs at once: each is mostly waiting on npm's cache
  ;[coreOnly, withNode] = await Promise.all([
    project(
      "core-only",
      { effect: peer("effect"), "@effect/platform": peer("@effect/platform"), "effect-http-auth": `file:${tarball}` },
      { "main.mjs": coreOnlyProgram }
    ),
    project(
      "with-node",
      {
        effect: peer("effect"),
        "@effect/platform": peer("@effect/platform"),
        "@effect/platform-node": peer("@effect/platform-node"),
        "@types/node": pkg.devDependencies["@types/node"],
        "effect-http-auth": `file:${tarball}`
      },
      { "main.ts": nodeProgram, "tsconfig.json": JSON.stringify(nodeTsconfig) }
    )
  ])
}, 180_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("npm pack", () => {
  it("ships dist/, src/, docs/, the README, the LICENSE and package.json, nothing else", () => {
    const tops = [...new Set(packed.map((path) => path.split("/")[0]))].sort()
    expect(tops).toEqual(["LICENSE", "README.md", "dist", "docs", "package.json", "src"])
    expect(packed).toContain("dist/index.js")
    expect(packed).toContain("dist/node/index.d.ts")
    expect(packed).toContain("dist/testing/index.js")
  })

  it("builds the core entry as one bundle that imports only effect, @effect/platform, jose and Node built-ins", () => {
    // every module file the entry loads, following its relative imports (the chunks it shares with the others)
    const reached = new Set<string>()
    const packages = new Set<string>()
    const walk = (file: string) => {
      if (reached.has(file)) return
      reached.add(file)
      const text = readFileSync(file, "utf8")
      const statics = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;"]*?"([^"]+)"/g)]
      const lazies = [...text.matchAll(/import\("([^"]+)"\)/g)]
      for (const [, specifier] of [...statics, ...lazies]) {
        if (specifier!.startsWith(".")) walk(join(file, "..", specifier!))
        else
          packages.add(
            specifier!
              .split("/")
              .slice(0, specifier!.startsWith("@") ? 2 : 1)
              .join("/")
          )
      }
    }
    walk(join(root, "dist/index.js"))
    // 74 module files before the bundle; Node's loader pays for each (issue 20's import goal)
    expect(reached.size).toBeLessThanOrEqual(8)
    expect([...packages].filter((name) => !name.startsWith("node:")).sort()).toEqual([
      "@effect/platform",
      "effect",
      "jose"
    ])
  })

  it("hides what is marked @internal from the types", () => {
    const declarations = readFileSync(join(root, "dist/HttpAuth.d.ts"), "utf8")
    expect(declarations).toContain("export declare const layer")
    expect(declarations).not.toContain("headerScheme")
    expect(declarations).not.toContain("tokenSource")
    const listener = readFileSync(join(root, "dist/RedirectListener.d.ts"), "utf8")
    expect(listener).toContain("export declare const make")
    expect(listener).not.toContain("makeFor")
  })
})

describe("installed with effect and @effect/platform only", () => {
  it("imports the core and the test kit, sends a Basic request, and exposes no internal path", async () => {
    expect(existsSync(join(coreOnly, "node_modules/@effect/platform-node"))).toBe(false)
    const { stdout } = await exec(process.execPath, ["main.mjs"], { cwd: coreOnly })
    expect(stdout.trim().split("\n")).toEqual([
      `sent Basic ${Buffer.from("alice:s3cret").toString("base64")}`,
      "modules function,function,function,function",
      "effect-http-auth/internal/sigv4 ERR_PACKAGE_PATH_NOT_EXPORTED",
      "effect-http-auth/Bearer ERR_PACKAGE_PATH_NOT_EXPORTED",
      // the Node entry needs the optional peer, which this project does not have
      "effect-http-auth/node ERR_MODULE_NOT_FOUND",
      // the Redis entry needs the optional peer ioredis
      "effect-http-auth/redis ERR_MODULE_NOT_FOUND"
    ])
  })
})

describe("installed with @effect/platform-node", () => {
  it("typechecks a user file under nodenext and strict, and sends a request through effect-http-auth/node", async () => {
    await exec(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: withNode })
    const { stdout } = await exec(process.execPath, ["out/main.js"], { cwd: withNode })
    expect(stdout.trim()).toBe(`server saw Basic ${Buffer.from("bob:pw").toString("base64")}`)
  }, 60_000)
})
