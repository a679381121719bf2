/**
 * Digest authentication against a Digest-protected server (http-auth, MD5,
 * qop=auth): the first request answers the server's challenge, the next ones
 * reuse it without a round trip, and a wrong password gets the 401 back.
 *
 *   npx tsx examples/digest.ts
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, ConfigProvider, Console, Effect, Layer } from "effect"
import { Digest, HttpAuth } from "effect-http-auth"
import { digestServer } from "./support/digestServer.js"

const main = Effect.gen(function* () {
  const server = yield* digestServer({ realm: "reports", users: [["mufasa", "Circle of Life"]] })

  // The wiring: the password comes from the environment (here, a map standing in for it).
  const AuthLive = HttpAuth.layer(Digest.make("mufasa", Config.redacted("REPORTS_PASSWORD"))).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
  const environment = ConfigProvider.fromMap(new Map([["REPORTS_PASSWORD", "Circle of Life"]]))

  yield* Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const first = yield* client.get(`${server.origin}/reports/1`)
    yield* Console.log(
      `GET /reports/1 -> ${first.status} after ${server.received.length} exchanges (challenge, answer)`
    )
    for (let i = 2; i <= 10; i++) yield* client.get(`${server.origin}/reports/${i}`)
    yield* Console.log(`10 requests -> ${server.received.length} exchanges: the challenge was reused`)
  }).pipe(Effect.provide(AuthLive), Effect.withConfigProvider(environment))

  const wrong = yield* HttpAuth.client(Digest.make("mufasa", "circle of life"))
  const before = server.received.length
  const refused = yield* wrong.get(`${server.origin}/reports/1`)
  yield* Console.log(`wrong password -> ${refused.status} after ${server.received.length - before} exchanges, no loop`)
}).pipe(Effect.provide(NodeHttpClient.layerUndici))

NodeRuntime.runMain(Effect.scoped(main))
