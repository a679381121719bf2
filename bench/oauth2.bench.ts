/**
 * OAuth 2: the per-request cost of a cached token as a ratio to a static
 * bearer token (goal: at most 1.1x), on an in-memory client (the auth's own
 * cost shows) and on a loopback server; and cold-cache storms (requests sent
 * vs token requests made) through each cache layer.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient, HttpClientResponse, KeyValueStore } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { Clock, Deferred, Effect, Layer, ManagedRuntime, Option, Scope, SynchronizedRef } from "effect"
import { Bearer, HttpAuth, OAuth2, Token, TokenCache } from "effect-http-auth"
import { getTasks } from "./support/clients.js"
import { medians, printRatios } from "./support/measure.js"

const tokenUrl = "http://auth.bench/token"
let tokenRequests = 0

/** Answers the token endpoint and, elsewhere, "ok". */
const inMemory = HttpClient.make((request, url) => {
  if (url.href !== tokenUrl) return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok")))
  tokenRequests++
  const token = JSON.stringify({ access_token: "bench-token", token_type: "Bearer", expires_in: 3600 })
  return Effect.succeed(
    HttpClientResponse.fromWeb(request, new Response(token, { headers: { "content-type": "application/json" } }))
  )
})

/** A cache that takes a SynchronizedRef lock on every get, hit or miss: the baseline the lock-free hot path beats. */
const lockedCache = Effect.map(
  Effect.zip(TokenCache.make(), SynchronizedRef.make(Option.none<Token.Token>())),
  ([service, ref]): TokenCache.Service => ({
    ...service,
    getOrFetch: (_key, fetch) =>
      SynchronizedRef.modifyEffect(ref, (current) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Option.isSome(current) && !Token.isExpired(current.value, now)
            ? Effect.succeed([current.value, current] as const)
            : Effect.map(fetch(current), (token) => [token, Option.some(token)] as const)
        )
      )
  })
)

const clientCredentials = OAuth2.clientCredentials({ tokenUrl, clientId: "bench", clientSecret: "secret" })

// the auths live as long as the bench: their token requests run in this scope
const scope = Effect.runSync(Scope.make())

const measure = async (title: string, base: Layer.Layer<HttpClient.HttpClient>, url: string) => {
  // the token requests go to the in-memory endpoint; the API requests to `base`
  const runtime = ManagedRuntime.make(base)
  const bearer = (await runtime.runPromise(HttpAuth.client(Bearer.make("bench-token")))) as HttpClient.HttpClient
  const oauthAuth = await Effect.runPromise(
    clientCredentials.pipe(Effect.provideService(HttpClient.HttpClient, inMemory), Scope.extend(scope))
  )
  const bare = await runtime.runPromise(HttpClient.HttpClient)
  const oauth = oauthAuth.wrap(bare) as HttpClient.HttpClient
  // the design this engine avoids: a SynchronizedRef lock taken on every request
  const lockedAuth = await Effect.runPromise(
    Effect.flatMap(lockedCache, (cache) =>
      OAuth2.clientCredentials({ tokenUrl, clientId: "bench", clientSecret: "secret", cache })
    ).pipe(Effect.provideService(HttpClient.HttpClient, inMemory), Scope.extend(scope))
  )
  const locked = lockedAuth.wrap(bare) as HttpClient.HttpClient
  await runtime.runPromise(oauth.get(url)) // warm the caches
  await runtime.runPromise(locked.get(url))
  const results = await medians(
    getTasks(
      runtime,
      [
        { name: "Bearer (static)", client: bearer },
        { name: "OAuth2 (cached token)", client: oauth },
        { name: "OAuth2 (lock per request)", client: locked }
      ],
      url
    )
  )
  printRatios(title, results, "Bearer (static)")
  await runtime.dispose()
}

const storm = async (name: string, cache: Layer.Layer<TokenCache.TokenCache>) => {
  tokenRequests = 0
  const program = Effect.gen(function* () {
    const client = yield* HttpAuth.client(clientCredentials)
    yield* Effect.forEach(Array.from({ length: 1000 }), () => client.get("http://api.bench/x"), {
      concurrency: "unbounded"
    })
  })
  await Effect.runPromise(
    program.pipe(Effect.provide(Layer.merge(cache, Layer.succeed(HttpClient.HttpClient, inMemory))), Effect.scoped)
  )
  console.log(`  ${name.padEnd(28)} 1000 requests sent, ${tokenRequests} token request(s)`)
}

/**
 * Heap held by each request of a storm while it waits: `count` requests at
 * once through `auth`, held (the token endpoint for a cold OAuth 2 cache, the
 * API for a static Bearer) until every one is waiting; the heap (after a GC,
 * when run with --expose-gc) is read then, and compared with the heap before.
 */
const heldHeap = async (
  auth: HttpAuth.Input<unknown, Scope.Scope | HttpClient.HttpClient>,
  holdsToken: boolean,
  count: number
) => {
  const gc = (globalThis as { gc?: () => void }).gc
  const release = Effect.runSync(Deferred.make<void>())
  let arrived = 0
  let measured = 0
  const everyone = Effect.runSync(Deferred.make<void>())
  const held = HttpClient.make((request, url) => {
    const isToken = url.href === tokenUrl
    const respond = isToken
      ? new Response(JSON.stringify({ access_token: "t", token_type: "Bearer", expires_in: 3600 }), {
          headers: { "content-type": "application/json" }
        })
      : new Response("ok")
    const response = Effect.succeed(HttpClientResponse.fromWeb(request, respond))
    if (isToken !== holdsToken) return response
    arrived++
    return Effect.zipRight(Deferred.await(release), response)
  })
  const program = Effect.gen(function* () {
    const client = yield* HttpAuth.client(auth)
    gc?.()
    const before = process.memoryUsage().heapUsed
    const all = yield* Effect.fork(
      Effect.forEach(Array.from({ length: count }), () => client.get("http://api.bench/x"), {
        concurrency: "unbounded",
        discard: true
      })
    )
    // every request has reached the held point (the one token request for OAuth 2: let the others queue)
    yield* Effect.yieldNow()
    while (holdsToken ? arrived < 1 : arrived < count) yield* Effect.sleep(1)
    for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
    gc?.()
    measured = process.memoryUsage().heapUsed - before
    yield* Deferred.succeed(release, undefined)
    yield* Effect.fromFiber(all)
    yield* Deferred.succeed(everyone, undefined)
  })
  await Effect.runPromise(
    program.pipe(
      Effect.provide(Layer.merge(TokenCache.layerMemory, Layer.succeed(HttpClient.HttpClient, held))),
      Effect.scoped
    )
  )
  return measured / count
}

export default async () => {
  await measure("in-memory client", Layer.succeed(HttpClient.HttpClient, inMemory), "http://api.bench/items")

  const server = createServer((_, response) => response.end("ok"))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  await measure("loopback server (undici)", NodeHttpClient.layerUndici, `http://127.0.0.1:${port}/items`)
  server.close()

  console.log("\ncold-cache storm: 1000 concurrent requests through one auth")
  const dir = mkdtempSync(join(tmpdir(), "oauth2-bench-"))
  await storm("TokenCache.layerMemory", TokenCache.layerMemory)
  await storm(
    "TokenCache.layerFile",
    TokenCache.layerFile({ path: join(dir, "tokens.json") }).pipe(Layer.provide(NodeFileSystem.layer))
  )
  await storm(
    "TokenCache.layerKeyValueStore",
    TokenCache.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))
  )
  rmSync(dir, { recursive: true, force: true })

  const count = 10_000
  const gcNote = (globalThis as { gc?: () => void }).gc === undefined ? " (no --expose-gc: heap read without a GC)" : ""
  console.log(`\nstorm memory: heap per waiting request, ${count} at once${gcNote}`)
  const staticBytes: Array<number> = []
  const oauthBytes: Array<number> = []
  for (let round = 0; round < 3; round++) {
    staticBytes.push(await heldHeap(Bearer.make("t"), false, count))
    oauthBytes.push(await heldHeap(clientCredentials, true, count))
  }
  const mid = (values: Array<number>) => values.sort((a, b) => a - b)[1]!
  console.log(`  ${"static Bearer (API held)".padEnd(36)} ${(mid(staticBytes) / 1024).toFixed(2)} KB`)
  console.log(`  ${"OAuth2, cold cache (token held)".padEnd(36)} ${(mid(oauthBytes) / 1024).toFixed(2)} KB`)
  console.log(
    `  ${"OAuth2 over static".padEnd(36)} ${((mid(oauthBytes) - mid(staticBytes)) / 1024).toFixed(2)} KB (3 runs, median; goal ≤ 2 KB)`
  )
}
