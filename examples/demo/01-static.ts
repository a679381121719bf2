import { HttpClient, HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Redacted } from "effect"
import { ApiKey, Basic, Bearer, HttpAuth } from "../../src/index.js"
import { answer, got, header, note, sent } from "../support/demoLines.js"
import { echo, type Seen, seenOf, serve } from "../support/loopback.js"

export const title = "Static schemes: Basic, Bearer, API keys, multi-auth, safe redirects"

/** The request line as the server saw it, an API key in the query cut short. */
const requestLine = (seen: Seen) => `${seen.method} ${seen.url.replace(/(api_key=[^&]{4})[^&]*/, "$1…")}`

export default Effect.gen(function* () {
  // A protected endpoint: 200 only with the right Basic credentials.
  const protectedServer = yield* serve((seen) =>
    seen.headers.authorization === Redacted.value(Basic.encode("demo", Redacted.make("s3cret")))
      ? HttpServerResponse.text("welcome")
      : HttpServerResponse.text("who are you?", { status: 401 })
  )
  const basic = yield* HttpAuth.client(Basic.make("demo", Redacted.make("s3cret")))
  const ok = yield* basic.get(`${protectedServer.origin}/private`)
  yield* sent("Basic", "GET /private", [header("authorization", ok.request.headers.authorization)])
  yield* got(yield* answer(ok))
  const anonymous = yield* HttpClient.get(`${protectedServer.origin}/private`)
  yield* sent("No auth", "GET /private", ["authorization: (none)"])
  yield* got(yield* answer(anonymous))

  // An echo server shows what each scheme put on the request.
  const server = yield* serve(echo)
  for (const [name, auth, headers] of [
    ["Bearer", Bearer.make("demo-token"), ["authorization"]],
    ["ApiKey.header", ApiKey.header("demo-key", { headerName: "X-Demo-Key" }), ["x-demo-key"]],
    ["ApiKey.query", ApiKey.query("demo-key"), []],
    ["HttpAuth.all", HttpAuth.all(Bearer.make("demo-token"), ApiKey.header("demo-key")), ["authorization", "x-api-key"]]
  ] as const) {
    const client = yield* HttpAuth.client(auth)
    const response = yield* client.get(`${server.origin}/items?page=2`)
    const seen = yield* seenOf(response)
    yield* sent(
      name,
      requestLine(seen),
      headers.map((name) => header(name, seen.headers[name]))
    )
    yield* got(`${response.status}`)
  }

  // A redirect from one origin to another drops what the auth added.
  const elsewhere = yield* serve(echo)
  const redirecting = yield* serve(() =>
    HttpServerResponse.empty({ status: 302, headers: { location: `${elsewhere.origin}/landing` } })
  )
  const follower = yield* HttpAuth.client(
    HttpAuth.followRedirects(HttpAuth.all(Bearer.make("demo-token"), ApiKey.query("demo-key")))
  )
  const landed = yield* follower.execute(HttpClientRequest.get(`${redirecting.origin}/start`))
  const [first] = yield* redirecting.seen
  const seen = yield* seenOf(landed)
  yield* sent("Redirect", requestLine(first!), [header("authorization", first!.headers.authorization)])
  yield* got(`302 to another origin, ${elsewhere.origin}/landing`)
  yield* sent("", requestLine(seen), [header("authorization", seen.headers.authorization)])
  yield* got(`${landed.status}`)
  yield* note("the second origin got neither the token nor the key")
}).pipe(Effect.provide(NodeHttpClient.layerUndici))
