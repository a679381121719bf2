import { FileSystem, KeyValueStore } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, Option, Redacted, Ref, TestClock } from "effect"
import { HttpAuth, OAuth2, Token, TokenCache } from "../src/index.js"
import { TestAuthorizationServer } from "../src/testing/index.js"

const token = (value: string, expiresAt = 3_600_000, refreshToken?: string) =>
  new Token.Token({
    accessToken: Redacted.make(value),
    tokenType: "Bearer",
    expiresAt,
    ...(refreshToken === undefined ? {} : { refreshToken: Redacted.make(refreshToken) }),
    fields: { scope_note: "x" }
  })

/** A fetch that counts its calls and hands out `t-1`, `t-2`, ... living one hour. */
const counter = Effect.map(Ref.make(0), (calls) => ({
  calls: Ref.get(calls),
  fetch: () =>
    Effect.map(
      Ref.updateAndGet(calls, (n) => n + 1),
      (n) => token(`t-${n}`, 3_600_000 * n)
    )
}))

const storm = (cache: TokenCache.Service, fetch: () => Effect.Effect<Token.Token>) =>
  Effect.forEach(Array.from({ length: 1000 }), () => cache.getOrFetch("key", fetch), { concurrency: "unbounded" })

const tempFile = Effect.map(
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped()),
  (dir) => `${dir}/tokens.json`
)

/** The cache a layer builds, alive for the rest of the test's scope. */
const cacheOf = <E, R>(layer: Layer.Layer<TokenCache.TokenCache, E, R>) =>
  Effect.map(Layer.build(layer), Context.get(TokenCache.TokenCache))

const layers = {
  layerMemory: (_path: string) => TokenCache.layerMemory,
  layerFile: (path: string) => TokenCache.layerFile({ path }),
  layerKeyValueStore: (_path: string) => TokenCache.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))
}

describe("TokenCache", () => {
  for (const [name, layer] of Object.entries(layers)) {
    it.scoped(`${name}: 1,000 concurrent gets on a cold key make 1 fetch, and 1 again after expiry`, () =>
      Effect.gen(function* () {
        const path = yield* tempFile
        const cache = yield* cacheOf(layer(path))
        const { calls, fetch } = yield* counter
        const first = yield* storm(cache, fetch)
        expect(new Set(first.map((t) => Redacted.value(t.accessToken)))).toEqual(new Set(["t-1"]))
        expect(yield* calls).toBe(1)
        yield* TestClock.adjust("3571 seconds") // 29 s before expiry: inside the 30 s early expiry
        const second = yield* storm(cache, fetch)
        expect(new Set(second.map((t) => Redacted.value(t.accessToken)))).toEqual(new Set(["t-2"]))
        expect(yield* calls).toBe(2)
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )
  }

  it.scoped("a failed fetch is not cached: every waiter gets the failure, the next call fetches again", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      const attempts = yield* Ref.make(0)
      const failing = Effect.zipRight(
        Ref.update(attempts, (n) => n + 1),
        Effect.fail("down" as const)
      )
      const results = yield* Effect.forEach(
        Array.from({ length: 50 }),
        () => Effect.exit(cache.getOrFetch("k", () => failing)),
        { concurrency: "unbounded" }
      )
      expect(results.every((exit) => Exit.isFailure(exit))).toBe(true)
      expect(yield* Ref.get(attempts)).toBe(1)
      const ok = yield* cache.getOrFetch("k", () => Effect.succeed(token("good")))
      expect(Redacted.value(ok.accessToken)).toBe("good")
    })
  )

  it.scoped("getOrFetch hands the expired token to fetch, for a refresh; earlyExpiry 0 means 0", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      yield* cache.set("k", token("old", 60_000, "r-1"))
      yield* TestClock.adjust("59 seconds")
      const kept = yield* cache.getOrFetch("k", () => Effect.die("no fetch"), { earlyExpiry: 0 })
      expect(Redacted.value(kept.accessToken)).toBe("old")
      const seen: Array<Option.Option<Token.Token>> = []
      yield* cache.getOrFetch("k", (expired) =>
        Effect.sync(() => {
          seen.push(expired)
          return token("new")
        })
      )
      expect(seen.map(Option.map((t) => Redacted.value(t.refreshToken!)))).toEqual([Option.some("r-1")])
    })
  )

  it.scoped("invalidate with a token drops it only while it is the cached one", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      yield* cache.set("k", token("new"))
      yield* cache.invalidate("k", token("old"))
      expect(Option.map(yield* cache.get("k"), (t) => Redacted.value(t.accessToken))).toEqual(Option.some("new"))
      yield* cache.invalidate("k", token("new"))
      expect(yield* cache.get("k")).toEqual(Option.none())
      yield* cache.set("a", token("a"))
      yield* cache.clear
      expect(yield* cache.get("a")).toEqual(Option.none())
    })
  )

  // each instance over the one store: a file, or one KeyValueStore
  const sharing: Record<
    string,
    (path: string) => Layer.Layer<TokenCache.TokenCache, never, FileSystem.FileSystem | KeyValueStore.KeyValueStore>
  > = {
    layerFile: (path) => TokenCache.layerFile({ path }),
    layerKeyValueStore: () => TokenCache.layerKeyValueStore()
  }
  for (const [name, layer] of Object.entries(sharing)) {
    it.scoped(`${name}: invalidate(key, T1) keeps T2, which another instance wrote meanwhile`, () =>
      Effect.gen(function* () {
        const path = yield* tempFile
        const shared = yield* Layer.build(KeyValueStore.layerMemory)
        const make = () => cacheOf(layer(path).pipe(Layer.provide(Layer.succeedContext(shared))))
        const a = yield* make()
        const b = yield* make()
        yield* a.set("k", token("t-1"))
        yield* b.set("k", token("t-2"))
        yield* a.invalidate("k", token("t-1"))
        const read = yield* a.getOrFetch("k", () => Effect.die("must not fetch"))
        expect(Redacted.value(read.accessToken)).toBe("t-2")
        // the token the store holds is removed
        yield* b.invalidate("k", token("t-2"))
        expect(yield* (yield* make()).get("k")).toEqual(Option.none())
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )
  }

  it.scoped("layerFile: a second layer on the same file reads the token (a restart); the file is 0600", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* tempFile
      const first = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* first.set("k", token("persisted", 3_600_000, "r"))
      expect((yield* fs.stat(path)).mode & 0o777).toBe(0o600)
      const restarted = yield* cacheOf(TokenCache.layerFile({ path }))
      const read = yield* restarted.getOrFetch("k", () => Effect.die("must not fetch"))
      expect(Redacted.value(read.accessToken)).toBe("persisted")
      expect(Redacted.value(read.refreshToken!)).toBe("r")
      expect(read.fields).toEqual({ scope_note: "x" })
      // no temporary file is left beside it
      expect((yield* fs.readDirectory(path.replace(/\/tokens\.json$/, ""))).sort()).toEqual(["tokens.json"])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("layerFile: re-reads the file when another process changed it, and merges on write", () =>
    Effect.gen(function* () {
      const path = yield* tempFile
      const a = yield* cacheOf(TokenCache.layerFile({ path }))
      const b = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* a.set("from-a", token("A"))
      yield* b.set("from-b", token("B"))
      const fromA = yield* b.getOrFetch("from-a", () => Effect.die("must not fetch"))
      expect(Redacted.value(fromA.accessToken)).toBe("A")
      const text = yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path))
      expect(Object.keys(JSON.parse(text).tokens).sort()).toEqual(["from-a", "from-b"])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  for (const [what, content] of [
    ["truncated", '{"version":1,"tokens":{"k":{"accessToken":"a'],
    ["not JSON", "\u0000\u0001garbage"],
    ["of another shape", "[1,2,3]"]
  ] as const) {
    it.scoped(`layerFile: a ${what} file is an empty cache, and the next write replaces it`, () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* tempFile
        yield* fs.writeFileString(path, content)
        const cache = yield* cacheOf(TokenCache.layerFile({ path }))
        const fetched = yield* cache.getOrFetch("k", () => Effect.succeed(token("fresh")))
        expect(Redacted.value(fetched.accessToken)).toBe("fresh")
        const written = JSON.parse(yield* fs.readFileString(path))
        expect(Object.keys(written.tokens)).toEqual(["k"])
        expect((yield* fs.stat(path)).mode & 0o777).toBe(0o600)
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )
  }

  it.scoped("a Store that answers one token for every key seeds a cache (the test kit's seeded cache)", () =>
    Effect.gen(function* () {
      const seeded = token("seeded")
      const cache = yield* TokenCache.make({
        load: () => Effect.succeedSome(seeded),
        save: () => Effect.void,
        remove: () => Effect.void,
        clear: Effect.void
      })
      for (const key of ["a", "b"]) {
        const got = yield* cache.getOrFetch(key, () => Effect.die("must not fetch"))
        expect(Redacted.value(got.accessToken)).toBe("seeded")
      }
    })
  )

  it.scoped("persist false: the token stays in memory; the store is never asked, written, nor removed from", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const cache = yield* TokenCache.make({
        load: (key) => Effect.sync(() => calls.push(`load ${key}`)).pipe(Effect.as(Option.some(token("stored")))),
        save: (key) => Effect.sync(() => calls.push(`save ${key}`)),
        remove: (key) => Effect.sync(() => calls.push(`remove ${key}`)),
        clear: Effect.void
      })
      const { calls: fetches, fetch } = yield* counter
      const first = yield* cache.getOrFetch("bound", fetch, { persist: false })
      expect(Redacted.value(first.accessToken)).toBe("t-1")
      // the hot path and get read memory
      expect(Redacted.value((yield* cache.getOrFetch("bound", fetch, { persist: false })).accessToken)).toBe("t-1")
      expect(Option.map(yield* cache.get("bound"), (t) => Redacted.value(t.accessToken))).toEqual(Option.some("t-1"))
      // a 401 for it: forgotten in memory, and the next call fetches
      yield* cache.invalidate("bound", first)
      expect(Redacted.value((yield* cache.getOrFetch("bound", fetch, { persist: false })).accessToken)).toBe("t-2")
      yield* cache.invalidate("bound")
      expect(yield* fetches).toBe(2)
      expect(calls).toEqual([])
      // the default keeps its store: read on a miss, forgotten there too
      expect(Redacted.value((yield* cache.getOrFetch("shared", fetch)).accessToken)).toBe("stored")
      yield* cache.invalidate("shared")
      expect(calls).toEqual(["load shared", "remove shared"])
    })
  )

  it.scoped("layerFile: a corrupt file logs a warning that names the file and no token", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* tempFile
      yield* fs.writeFileString(path, '{"tokens": {"k": {"accessToken": "secret-tok')
      const logs: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        logs.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      const cache = yield* cacheOf(TokenCache.layerFile({ path }))
      yield* cache.get("k").pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(logs).toEqual([
        `WARN TokenCache.layerFile: could not use the corrupt file ${path} (it is not JSON); going on without it`
      ])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("layerFile: an unwritable place logs and goes on from memory, never a crash", () =>
    Effect.gen(function* () {
      const cache = yield* cacheOf(TokenCache.layerFile({ path: "/proc/no-such-dir/tokens.json" }))
      const first = yield* cache.getOrFetch("k", () => Effect.succeed(token("kept")))
      const again = yield* cache.getOrFetch("k", () => Effect.die("must not fetch"))
      expect([first, again].map((t) => Redacted.value(t.accessToken))).toEqual(["kept", "kept"])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("layerKeyValueStore: another instance on the same store reads the token; a corrupt value is a miss", () =>
    Effect.gen(function* () {
      const store = yield* KeyValueStore.KeyValueStore
      const a = yield* cacheOf(TokenCache.layerKeyValueStore({ prefix: "t/" }))
      const b = yield* cacheOf(TokenCache.layerKeyValueStore({ prefix: "t/" }))
      yield* a.set("k", token("shared"))
      expect(Redacted.value((yield* b.getOrFetch("k", () => Effect.die("no"))).accessToken)).toBe("shared")
      yield* store.set("t/bad", "{not json")
      expect(Redacted.value((yield* b.getOrFetch("bad", () => Effect.succeed(token("fetched")))).accessToken)).toBe(
        "fetched"
      )
      yield* store.set("other", "kept")
      yield* a.clear
      expect(yield* store.get("t/k")).toEqual(Option.none())
      expect(yield* store.get("other")).toEqual(Option.some("kept"))
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it.scoped("through an auth: a storm on layerKeyValueStore makes 1 token request", () =>
    Effect.gen(function* () {
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({ tokenUrl: "https://auth.test/token", clientId: "app", clientSecret: "s" })
      )
      yield* Effect.forEach(Array.from({ length: 1000 }), () => client.get("https://api.test/x"), {
        concurrency: "unbounded"
      })
      expect((yield* server.tokenRequests).length).toBe(1)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          TestAuthorizationServer.layer(),
          TokenCache.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))
        )
      )
    )
  )
})
