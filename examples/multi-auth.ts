/**
 * Two schemes at once (an API key and a bearer token), limited to one
 * origin, following a redirect safely: the credentials reach the API and are
 * dropped when a redirect leads elsewhere.
 *
 *   npx tsx examples/multi-auth.ts
 */
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Redacted } from "effect"
import { ApiKey, Bearer, HttpAuth } from "effect-http-auth"
import { echo, seenOf, serve } from "./support/loopback.js"

const main = Effect.gen(function* () {
  const downloads = yield* serve(echo)
  const api = yield* serve((seen) =>
    seen.url === "/report"
      ? HttpServerResponse.empty({ status: 302, headers: { location: `${downloads.origin}/report.csv` } })
      : HttpServerResponse.json(seen)
  )

  const auth = HttpAuth.all(ApiKey.header(Redacted.make("k-123")), Bearer.make(Redacted.make("t-456"))).pipe(
    HttpAuth.forOrigins([api.origin]),
    HttpAuth.followRedirects({ maxRedirects: 5 })
  )
  const AuthLive = HttpAuth.layer(auth).pipe(Layer.provide(NodeHttpClient.layerUndici))

  yield* Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const me = yield* Effect.flatMap(client.get(`${api.origin}/me`), seenOf)
    yield* Console.log(`api /me: x-api-key=${me.headers["x-api-key"]} authorization=${me.headers.authorization}`)
    const report = yield* Effect.flatMap(client.get(`${api.origin}/report`), seenOf)
    yield* Console.log(
      `redirected to ${report.url} on another origin: x-api-key=${report.headers["x-api-key"] ?? "(none)"} authorization=${report.headers.authorization ?? "(none)"}`
    )
  }).pipe(Effect.provide(AuthLive))
})

NodeRuntime.runMain(Effect.scoped(main))
