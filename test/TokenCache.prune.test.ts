/**
 * The file cache drops the tokens that can no longer serve when it writes
 * (a save, a remove), in the same read-merge-write under the lock file, on
 * the real file system; time through TestClock.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted, TestClock } from "effect"
import { AuthError, Token, TokenCache } from "../src/index.js"

const hour = 3_600_000
const day = 24 * hour

const token = (value: string, expiresAt: number, refreshToken?: string) =>
  new Token.Token({
    accessToken: Redacted.make(value),
    tokenType: "Bearer",
    expiresAt,
    ...(refreshToken === undefined ? {} : { refreshToken: Redacted.make(refreshToken) }),
    fields: {}
  })

/** A token as the file holds it. */
const stored = (value: string, expiresAt: number, refreshToken?: string) => ({
  accessToken: value,
  tokenType: "Bearer",
  expiresAt,
  ...(refreshToken === undefined ? {} : { refreshToken }),
  fields: {}
})

/** The file's exact text for these entries, in this order. */
const fileText = (tokens: Record<string, unknown>) => JSON.stringify({ version: 1, tokens }, null, 2)

const tempFile = Effect.map(
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped()),
  (dir) => `${dir}/tokens.json`
)

const cacheOf = <E, R>(layer: Layer.Layer<TokenCache.TokenCache, E, R>) =>
  Effect.map(Layer.build(layer), Context.get(TokenCache.TokenCache))

const read = (path: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path))

describe("TokenCache.layerFile prunes on write", () => {
  it.scoped(
    "a save drops an expired token without a refresh token, keeps a refreshable one, a fresh one and another cache's; 0600",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* tempFile
        const a = yield* cacheOf(TokenCache.layerFile({ path }))
        const b = yield* cacheOf(TokenCache.layerFile({ path }))
        yield* a.set("expired", token("e", hour))
        yield* a.set("refreshable", token("r", hour, "refresh-r"))
        yield* a.set("fresh", token("f", 10 * hour))
        // another cache on the file writes after a's last write: a's copy of the file is stale
        yield* b.set("other", token("o", 10 * hour))
        yield* TestClock.adjust("1 hour") // now === the expiry of "expired" and "refreshable"
        yield* a.set("new", token("n", 2 * hour))
        expect(yield* read(path)).toBe(
          fileText({
            refreshable: stored("r", hour, "refresh-r"),
            fresh: stored("f", 10 * hour),
            other: stored("o", 10 * hour),
            new: stored("n", 2 * hour)
          })
        )
        expect((yield* fs.stat(path)).mode & 0o777).toBe(0o600)
        // no lock and no temporary file is left beside it
        expect(yield* fs.readDirectory(path.replace(/\/tokens\.json$/, ""))).toEqual(["tokens.json"])
        // b reads the pruned file: a miss for "expired", which its fetch fills
        const refetched = yield* b.getOrFetch("expired", () => Effect.succeed(token("e2", 3 * hour)))
        expect(Redacted.value(refetched.accessToken)).toBe("e2")
      }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a token is kept up to its expiry (exclusive), and an expired one saved is not written", () =>
    Effect.gen(function* () {
      const path = yield* tempFile
      const cache = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* cache.set("short", token("s", 1000))
      yield* TestClock.adjust(999)
      yield* cache.set("k", token("k1", hour))
      expect(yield* read(path)).toBe(fileText({ short: stored("s", 1000), k: stored("k1", hour) }))
      yield* TestClock.adjust(1)
      // as Redis, which does not write a token whose TTL is 0
      yield* cache.set("late", token("l", 1000))
      expect(yield* read(path)).toBe(fileText({ k: stored("k1", hour) }))
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a remove prunes too; a conditional remove that finds another token writes nothing", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* tempFile
      const cache = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* cache.set("expiring", token("x", hour))
      yield* cache.set("a", token("a1", 5 * hour))
      yield* cache.set("b", token("b1", 5 * hour))
      yield* TestClock.adjust("2 hours")
      // a 401 for a token the file no longer holds: no write, "expiring" stays until the next write
      const before = yield* fs.stat(path)
      yield* cache.invalidate("a", token("not-a1", 5 * hour))
      expect(yield* read(path)).toBe(
        fileText({ expiring: stored("x", hour), a: stored("a1", 5 * hour), b: stored("b1", 5 * hour) })
      )
      expect((yield* fs.stat(path)).ino).toEqual(before.ino)
      yield* cache.invalidate("a", token("a1", 5 * hour))
      expect(yield* read(path)).toBe(fileText({ b: stored("b1", 5 * hour) }))
      expect((yield* fs.stat(path)).mode & 0o777).toBe(0o600)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a token with a refresh token is dropped 30 days past its expiry by default", () =>
    Effect.gen(function* () {
      const path = yield* tempFile
      const cache = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* cache.set("refreshable", token("r", hour, "refresh-r"))
      yield* TestClock.setTime(hour + 30 * day - 1)
      yield* cache.set("k", token("k1", 40 * day))
      expect(yield* read(path)).toBe(
        fileText({ refreshable: stored("r", hour, "refresh-r"), k: stored("k1", 40 * day) })
      )
      yield* TestClock.adjust(1)
      yield* cache.set("k", token("k2", 40 * day))
      expect(yield* read(path)).toBe(fileText({ k: stored("k2", 40 * day) }))
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("keepRefreshable bounds it; Duration.infinity keeps it until it is replaced", () =>
    Effect.gen(function* () {
      const path = yield* tempFile
      const short = yield* cacheOf(TokenCache.layerFile({ path, keepRefreshable: "1 day" }))
      yield* short.set("refreshable", token("r", hour, "refresh-r"))
      yield* TestClock.setTime(hour + day)
      yield* short.set("k", token("k1", 40 * day))
      expect(yield* read(path)).toBe(fileText({ k: stored("k1", 40 * day) }))

      const forever = yield* cacheOf(TokenCache.layerFile({ path, keepRefreshable: Duration.infinity }))
      yield* forever.set("refreshable", token("r", hour, "refresh-r"))
      yield* TestClock.adjust("3650 days")
      yield* forever.set("k", token("k2", 4000 * day))
      expect(yield* read(path)).toBe(
        fileText({ k: stored("k2", 4000 * day), refreshable: stored("r", hour, "refresh-r") })
      )
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("an entry this version cannot decode is kept (another version's)", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* tempFile
      yield* fs.writeFileString(path, fileText({ odd: { accessToken: 1 }, gone: stored("g", 1) }))
      const cache = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* TestClock.adjust(1)
      yield* cache.set("k", token("k1", hour))
      expect(yield* read(path)).toBe(fileText({ odd: { accessToken: 1 }, k: stored("k1", hour) }))
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  for (const [keepRefreshable, reason] of [
    [-1, "must not be negative"],
    ["soon", "is not a Duration"],
    [Number.NaN, "is not a Duration"]
  ] as const) {
    it.scoped(`keepRefreshable ${String(keepRefreshable)}: InvalidOptions when the layer is built`, () =>
      Effect.gen(function* () {
        const path = yield* tempFile
        const error = yield* Effect.flip(
          cacheOf(TokenCache.layerFile({ path, keepRefreshable: keepRefreshable as Duration.DurationInput }))
        )
        expect(error).toEqual(
          new AuthError.InvalidOptions({ scheme: "TokenCache.layerFile", option: "keepRefreshable", reason })
        )
        expect(error.message).toBe(`TokenCache.layerFile: option "keepRefreshable" ${reason}`)
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )
  }
})
