import { fork } from "node:child_process"
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { KeyValueStore } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, Redacted } from "effect"
import { Token, TokenCache } from "../../src/index.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "eha-cache-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const token = (value: string, fields: Record<string, unknown> = {}) =>
  new Token.Token({ accessToken: Redacted.make(value), tokenType: "Bearer", expiresAt: 3_600_000, fields })

const fileCache = (path: string) => TokenCache.layerFile({ path }).pipe(Layer.provide(NodeFileSystem.layer))

const storedKeys = (path: string) => Object.keys(JSON.parse(readFileSync(path, "utf8")).tokens as object)

/** Runs the writer script in a Node process of its own. */
const writer = (path: string, name: string, count: number) =>
  Effect.async<number>((resume) => {
    const child = fork(join(import.meta.dirname, "support/cacheWriter.ts"), [path, name, String(count)], {
      execArgv: ["--import", "tsx"],
      stdio: "inherit"
    })
    child.once("exit", (code) => resume(Effect.succeed(code ?? -1)))
  })

/** A hostile nesting: deep enough that JSON.stringify throws RangeError. */
const deep = (levels: number) => {
  let value: unknown = "bottom"
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

describe("TokenCache.layerFile under two processes, planted symlinks and killed writers (issue 13 items 3, 4)", () => {
  it.live(
    "two processes writing 100 keys each to one file: 200 kept",
    () =>
      Effect.gen(function* () {
        const path = join(tempDir(), "tokens.json")
        const codes = yield* Effect.all([writer(path, "a", 100), writer(path, "b", 100)], { concurrency: 2 })
        expect(codes).toEqual([0, 0])
        const keys = storedKeys(path)
        console.log(`two-process file cache: ${keys.length} of 200 keys kept`)
        expect(keys.length).toBe(200)
        // no lock and no temp file is left
        expect(readdirSync(join(path, "..")).sort()).toEqual(["tokens.json"])
        expect(statSync(path).mode & 0o777).toBe(0o600)
      }),
    60_000
  )

  it.effect("never follows a planted symlink: the temp file is created exclusively, 0600, next to the cache", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const path = join(dir, "tokens.json")
      const target = join(dir, "stolen")
      // every temp name an attacker can guess from the pid: the old `${path}.${pid}.${n}.tmp`
      for (let n = 1; n <= 50; n++) symlinkSync(target, `${path}.${process.pid}.${n}.tmp`)
      yield* Effect.flatMap(TokenCache.TokenCache, (cache) => cache.set("k", token("secret-token-value"))).pipe(
        Effect.provide(fileCache(path))
      )
      expect(() => lstatSync(target)).toThrow()
      expect(readFileSync(path, "utf8")).toContain("secret-token-value")
      expect(lstatSync(path).isSymbolicLink()).toBe(false)
      expect(statSync(path).mode & 0o777).toBe(0o600)
    })
  )

  it.effect(
    "removes the temp files of dead writers, and takes over a stale lock (a dead pid, or older than 10 s)",
    () =>
      Effect.gen(function* () {
        const dir = tempDir()
        const path = join(dir, "tokens.json")
        // pid 2^22 + 1 is above Linux's pid_max: no such process
        const dead = 4194305
        writeFileSync(`${path}.${dead}.1.tmp`, "{}")
        writeFileSync(`${path}.${dead}.abc123.tmp`, "{}")
        writeFileSync(`${path}.${process.pid}.keep.tmp`, "{}")
        writeFileSync(`${path}.lock`, `${dead}\n`)
        const warnings: Array<string> = []
        const logger = Logger.replace(
          Logger.defaultLogger,
          Logger.make(({ message }) => warnings.push(String(message)))
        )
        yield* Effect.flatMap(TokenCache.TokenCache, (cache) => cache.set("k", token("t1"))).pipe(
          Effect.provide(fileCache(path)),
          Effect.provide(logger)
        )
        expect(readdirSync(dir).sort()).toEqual(["tokens.json", `tokens.json.${process.pid}.keep.tmp`])
        expect(warnings).toEqual([`TokenCache.layerFile: took over the stale lock ${path}.lock`])

        // a live pid (this one) but a lock untouched for a minute: a hung writer
        writeFileSync(`${path}.lock`, `${process.pid}\n`)
        const minuteAgo = new Date(Date.now() - 60_000)
        utimesSync(`${path}.lock`, minuteAgo, minuteAgo)
        yield* Effect.flatMap(TokenCache.TokenCache, (cache) => cache.set("k2", token("t2"))).pipe(
          Effect.provide(fileCache(path))
        )
        expect(storedKeys(path).sort()).toEqual(["k", "k2"])
      })
  )
})

describe("a deeply nested token response (issue 13 item 2)", () => {
  it("keeps a bounded copy of the other fields: what is stored survives JSON.stringify", () => {
    const stored = Token.fromResponse({ access_token: "a", profile: deep(100_000), note: "x".repeat(10_000) }, 0)
    expect(() => JSON.stringify(stored)).not.toThrow()
    let level = stored.fields.profile as Record<string, unknown>
    let depth = 1
    while (typeof level.a === "object") {
      level = level.a as Record<string, unknown>
      depth++
    }
    expect(depth).toBe(7)
    expect(level.a).toBe("<omitted>")
    expect((stored.fields.note as string).length).toBe(4097)
  })

  it.effect("a cache write never throws: the file and KeyValueStore caches log a warning and keep it in memory", () =>
    Effect.gen(function* () {
      // built directly, not from a response: nothing bounded it
      const hostile = token("t", { profile: deep(100_000) })
      const path = join(tempDir(), "tokens.json")
      const warnings: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => warnings.push(String(message)))
      )
      const caches = [
        fileCache(path),
        TokenCache.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))
      ] as const
      for (const layer of caches) {
        const cached = yield* Effect.gen(function* () {
          const cache = yield* TokenCache.TokenCache
          yield* cache.set("k", hostile)
          return yield* cache.get("k")
        }).pipe(Effect.provide(layer), Effect.provide(logger))
        expect(Option.map(cached, (t) => Redacted.value(t.accessToken))).toEqual(Option.some("t"))
      }
      expect(warnings.length).toBe(2)
      expect(warnings[0]).toMatch(/^TokenCache\.layerFile: could not/)
      expect(warnings[1]).toMatch(/^TokenCache\.layerKeyValueStore: could not encode the token/)
    })
  )
})

describe("expires_in of 1e306 (issue 13 item 10)", () => {
  it.effect("is clamped to a year: renewed like any token, and stored as a number", () =>
    Effect.gen(function* () {
      const huge = Token.fromResponse({ access_token: "a", expires_in: 1e306 }, 1000)
      expect(huge.expiresAt).toBe(1000 + 365 * 24 * 3600 * 1000)
      expect(Token.isExpired(huge, huge.expiresAt)).toBe(true)
      const jwtExp = Token.fromResponse(
        { access_token: `e30.${Buffer.from(JSON.stringify({ exp: 1e300 })).toString("base64url")}.sig` },
        0
      )
      expect(jwtExp.expiresAt).toBe(365 * 24 * 3600 * 1000)
      const path = join(tempDir(), "tokens.json")
      yield* Effect.flatMap(TokenCache.TokenCache, (cache) => cache.set("k", huge)).pipe(
        Effect.provide(fileCache(path))
      )
      expect(JSON.parse(readFileSync(path, "utf8")).tokens.k.expiresAt).toBe(huge.expiresAt)
    })
  )
})
