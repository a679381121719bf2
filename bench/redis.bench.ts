/**
 * The fleet's token cache: a request with a cached token through the Redis
 * cache as a ratio to the memory cache (goal: at most 1.1x: the memory front
 * answers, Redis is read on a miss or an expiry only), and the fleet figure:
 * token requests per expiry for N = 1, 2, 4, 8 processes sharing one Redis
 * (goal: 1 for every N). Starts its own redis-server (Debian's).
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { HttpAuth, OAuth2, TokenCache } from "effect-http-auth"
import { RedisTokenCache } from "effect-http-auth/redis"
import { fleet, loop, tokenServer, until } from "../test/fixtures/fleet.js"
import { redisServer } from "../test/fixtures/redis.js"
import { getTasks } from "./support/clients.js"
import { medians, printRatios } from "./support/measure.js"

const tokenUrl = "http://auth.bench/token"

/** Answers the token endpoint and, elsewhere, "ok". */
const inMemory = HttpClient.make((request, url) => {
  if (url.href !== tokenUrl) return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok")))
  const token = JSON.stringify({ access_token: "bench-token", token_type: "Bearer", expires_in: 3600 })
  return Effect.succeed(
    HttpClientResponse.fromWeb(request, new Response(token, { headers: { "content-type": "application/json" } }))
  )
})

const cachedRequest = async (url: string, scope: Scope.Scope) => {
  const runtime = ManagedRuntime.make(Layer.succeed(HttpClient.HttpClient, inMemory))
  const clientOf = <E>(cache: Effect.Effect<TokenCache.Service, E, Scope.Scope>) =>
    runtime.runPromise(
      Effect.flatMap(cache, (made) =>
        HttpAuth.client(OAuth2.clientCredentials({ tokenUrl, clientId: "bench", clientSecret: "secret", cache: made }))
      ).pipe(Scope.extend(scope))
    ) as Promise<HttpClient.HttpClient>
  const memory = await clientOf(TokenCache.make())
  const redis = await clientOf(RedisTokenCache.make({ url, prefix: `bench-${Date.now()}:` }))
  const results = await medians(
    getTasks(
      runtime,
      [
        { name: "TokenCache.layerMemory", client: memory },
        { name: "RedisTokenCache.layer", client: redis }
      ],
      "http://api.bench/items"
    )
  )
  printRatios("a request with a cached token, in-memory client", results, "TokenCache.layerMemory")
  await runtime.dispose()
}

/** Token requests for one expiry: the requests of one renewal come together, renewals half a lifetime apart. */
const perExpiry = (times: ReadonlyArray<number>) => {
  const clusters: Array<number> = []
  for (const [i, at] of times.entries()) {
    if (i === 0 || at - times[i - 1]! > 250) clusters.push(1)
    else clusters[clusters.length - 1]!++
  }
  return clusters
}

const fleetFigure = async (url: string) => {
  console.log("\nfleet: token requests per expiry (1 s tokens renewed at half life, bursts of 10 requests per process)")
  for (const n of [1, 2, 4, 8]) {
    const scope = Effect.runSync(Scope.make())
    const server = await Effect.runPromise(Scope.extend(tokenServer, scope))
    const workers = await Effect.runPromise(
      Scope.extend(fleet(n, { cache: "redis", origin: server.origin, redisUrl: url, lockTtl: "2 seconds" }), scope)
    )
    const scenario = `fleet-${n}`
    server.lifetimes.set(scenario, 1)
    const totals = await loop(workers, scenario, 10, () =>
      until(() => server.issues(scenario).length >= 7, 60_000, "7 token requests")
    )
    // the first is the cold miss; the rest are renewals
    const clusters = perExpiry(server.issues(scenario).map((issue) => issue.at)).slice(1)
    const failed = totals.reduce((sum, total) => sum + total.failed, 0)
    const requests = totals.reduce((sum, total) => sum + total.ok + total.failed, 0)
    console.log(
      `  N = ${n}: ${clusters.length} expiries, token requests per expiry max ${Math.max(...clusters)}, ` +
        `mean ${(clusters.reduce((a, b) => a + b, 0) / clusters.length).toFixed(2)}; ` +
        `${requests} requests, ${failed} failed, refresh tokens reused ${server.reuses(scenario)}`
    )
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

export default async () => {
  const scope = Effect.runSync(Scope.make())
  const redis = await Effect.runPromise(Scope.extend(redisServer, scope))
  await cachedRequest(redis.url, scope)
  await fleetFigure(redis.url)
  await Effect.runPromise(Scope.close(scope, Exit.void))
}
