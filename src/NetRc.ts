/**
 * Credentials per host from a .netrc file (httpx's `NetRCAuth`, curl's
 * `--netrc`): Basic authentication with the `login` and `password` of the
 * request host's `machine` entry, else of the `default` entry.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { homedir } from "node:os"
import { join } from "node:path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { NetRcError } from "./AuthError.js"
import * as Basic from "./Basic.js"
import * as HttpAuth from "./HttpAuth.js"
import { hasLineBreak } from "./internal/options.js"
import { lookup, type NetRcFile, parseNetRc } from "./internal/netrc.js"
import { requestUrl } from "./internal/redirects.js"

export type {
  /**
   * One `machine` (or `default`) entry: login, password, account.
   *
   * @since 0.1.0
   * @category models
   */
  Entry
} from "./internal/netrc.js"

export type {
  /**
   * A parsed .netrc file: entries by host, and the `default` entry.
   *
   * @since 0.1.0
   * @category models
   */
  NetRcFile
} from "./internal/netrc.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The file to read. Default: `$NETRC`, else `~/.netrc` (`~/_netrc` on
   * Windows). A missing file is an error, unless it was only the default
   * location (then no request gets credentials).
   */
  readonly file?: string | undefined
}

/** Where the file is, and whether the user named it (a missing default file is not an error). */
const locate = (file: string | undefined) =>
  Effect.gen(function* () {
    if (file !== undefined) return { path: file, named: true }
    const fromEnv = yield* Effect.orElseSucceed(Config.option(Config.string("NETRC")), () => Option.none<string>())
    if (Option.isSome(fromEnv) && fromEnv.value !== "") return { path: fromEnv.value, named: true }
    const home = yield* Effect.orElseSucceed(Config.string("HOME"), () => homedir())
    return { path: join(home, process.platform === "win32" ? "_netrc" : ".netrc"), named: false }
  })

/**
 * Reads and parses a .netrc file. Malformed files fail with `NetRcError`
 * and the line number; a file that group or others can read is a logged
 * warning (as ftp and curl warn).
 *
 * @example
 * ```ts
 * import { NetRc } from "effect-http-auth"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const file = NetRc.read("/home/me/.netrc").pipe(Effect.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const read = (path: string): Effect.Effect<NetRcFile, NetRcError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const text = yield* Effect.mapError(
      fs.readFileString(path),
      (error) =>
        new NetRcError({
          path,
          reason:
            error._tag === "SystemError" && error.reason === "NotFound"
              ? "no such file"
              : `cannot be read (${error.message})`
        })
    )
    const info = yield* Effect.option(fs.stat(path))
    if (Option.isSome(info) && (info.value.mode & 0o044) !== 0 && process.platform !== "win32") {
      yield* Effect.logWarning(
        `.netrc ${path} can be read by other users (mode ${(info.value.mode & 0o777).toString(8)}): chmod 600 it`
      )
    }
    const parsed = parseNetRc(text)
    if (Either.isLeft(parsed)) {
      return yield* Effect.fail(new NetRcError({ path, line: parsed.left.line, reason: parsed.left.reason }))
    }
    return parsed.right
  })

/**
 * Basic credentials per host from a .netrc file, read once when the auth is
 * built: the `login` and `password` of the request host's `machine` entry,
 * else of the `default` entry; a host with neither gets no header.
 *
 * @example
 * ```ts
 * import { HttpAuth, NetRc } from "effect-http-auth"
 * import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const AuthLive = HttpAuth.layer(NetRc.make()).pipe(
 *   Layer.provide([NodeHttpClient.layerUndici, NodeFileSystem.layer])
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<HttpAuth.HttpAuth, NetRcError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const { named, path } = yield* locate(options?.file)
    const file = yield* read(path).pipe(
      Effect.catchIf(
        (error) => !named && error.line === undefined && error.reason === "no such file",
        () => Effect.succeed<NetRcFile>({ machines: new Map(), default: undefined })
      )
    )
    return HttpAuth.fromRequest(
      (request) => {
        const url = requestUrl(request)
        const entry = url === undefined ? undefined : lookup(file, url.hostname.replace(/^\[|\]$/g, ""))
        if (entry === undefined || (entry.login === undefined && entry.password === undefined)) {
          return Effect.succeed(request)
        }
        const login = entry.login ?? ""
        const password = entry.password ?? ""
        if (login.includes(":") || hasLineBreak(login) || hasLineBreak(password)) {
          return Effect.fail(
            new NetRcError({
              path,
              reason: `the entry for ${url!.hostname} has a login with ":" or a line break, which Basic cannot send`
            })
          )
        }
        return Effect.succeed(
          HttpClientRequest.setHeader(
            request,
            "authorization",
            Redacted.value(Basic.encode(login, Redacted.make(password)))
          )
        )
      },
      { headers: ["authorization"], params: [] }
    )
  })
