/**
 * A fleet shares one token through Redis: a redis-server started here (Debian's
 * redis-server), a token endpoint on a loopback server, and three "processes"
 * (three RedisTokenCache instances, each with its own Redis connections and
 * memory front, as separate processes have) sending 100 concurrent requests
 * each. The token endpoint sees one request; Redis holds the token sealed.
 *
 *   npx tsx examples/redis-fleet.ts
 */
import { randomBytes } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Redacted } from "effect"
import { HttpAuth, OAuth2 } from "effect-http-auth"
import { RedisTokenCache } from "effect-http-auth/redis"
import { Redis } from "ioredis"
import { serve } from "./support/loopback.js"
import { redisServer } from "./support/redis.js"

const main = Effect.gen(function* () {
  const redis = yield* redisServer
  let tokenRequests = 0
  const server = yield* serve((seen) => {
    if (seen.url === "/token") {
      tokenRequests++
      return HttpServerResponse.json({ access_token: "fleet-token", token_type: "Bearer", expires_in: 3600 })
    }
    return seen.headers.authorization === "Bearer fleet-token"
      ? HttpServerResponse.text("ok")
      : HttpServerResponse.text("no token", { status: 401 })
  })
  // every process of the fleet is configured alike: the same Redis, the same key
  const encryptionKey = Redacted.make(randomBytes(32).toString("base64"))
  const member = (name: string) =>
    Effect.gen(function* () {
      const cache = yield* RedisTokenCache.make({ url: redis.url, encryptionKey })
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl: `${server.origin}/token`,
          clientId: "fleet",
          clientSecret: "s3cret",
          cache
        })
      )
      const answers = yield* Effect.forEach(
        Array.from({ length: 100 }),
        () => Effect.flatMap(client.get(`${server.origin}/items`), (response) => response.text),
        { concurrency: "unbounded" }
      )
      return `${name}: ${answers.filter((answer) => answer === "ok").length} of 100 requests -> 200`
    })
  const lines = yield* Effect.all([member("process 1"), member("process 2"), member("process 3")], {
    concurrency: "unbounded"
  })
  for (const line of lines) yield* Console.log(line)
  yield* Console.log(`token requests: ${tokenRequests}`)
  const admin = new Redis(redis.url)
  const [key] = yield* Effect.promise(() => admin.keys("effect-http-auth:token:*"))
  const value = yield* Effect.promise(() => admin.get(key!))
  admin.disconnect()
  yield* Console.log(
    `in Redis: ${value!.slice(0, 3)}… (sealed: the token is ${value!.includes("fleet-token") ? "readable" : "not readable"})`
  )
}).pipe(Effect.provide(NodeHttpClient.layerUndici))

NodeRuntime.runMain(Effect.scoped(main))
