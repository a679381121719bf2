/**
 * An API key from the environment, sent in a header, to an API on a loopback
 * server that checks it.
 *
 *   npx tsx examples/static-key.ts
 */
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, ConfigProvider, Console, Effect, Layer } from "effect"
import { ApiKey, HttpAuth } from "effect-http-auth"
import { serve } from "./support/loopback.js"

const program = Effect.gen(function* () {
  // The user's code: it only knows HttpClient.
  const client = yield* HttpClient.HttpClient
  const response = yield* client.get(`${yield* Config.string("API_URL")}/items`)
  yield* Console.log(`GET /items -> ${response.status} ${yield* response.text}`)
})

// The wiring: the key is read from the environment (here, a map standing in for it).
const AuthLive = HttpAuth.layer(ApiKey.header(Config.redacted("API_KEY"), { headerName: "X-API-Key" })).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

const main = Effect.gen(function* () {
  const api = yield* serve((seen) =>
    seen.headers["x-api-key"] === "k-123"
      ? HttpServerResponse.text("[1,2,3]")
      : HttpServerResponse.text("missing key", { status: 401 })
  )
  const environment = ConfigProvider.fromMap(
    new Map([
      ["API_KEY", "k-123"],
      ["API_URL", api.origin]
    ])
  )
  yield* program.pipe(Effect.provide(AuthLive), Effect.withConfigProvider(environment))
})

NodeRuntime.runMain(Effect.scoped(main))
