import { HttpClient, HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Redacted } from "effect"
import { ApiKey, Basic, Bearer, HttpAuth } from "../../src/index.js"
import { echo, type Seen, seenOf, serve } from "../support/loopback.js"

export const title = "Static schemes: Basic, Bearer, API keys, multi-auth, safe redirects"

/** What the server saw, credentials shortened so that the demo prints no secret in full. */
const show = (seen: Seen, names: ReadonlyArray<string>) =>
  [`${seen.method} ${seen.url.replace(/(api_key=)[^&]+/, "$1…")}`]
    .concat(
      names.map(
        (name) => `${name}: ${seen.headers[name] === undefined ? "(none)" : `${seen.headers[name]!.slice(0, 12)}…`}`
      )
    )
    .join("  ")

export default Effect.gen(function* () {
  // A protected endpoint: 200 only with the right Basic credentials.
  const protectedServer = yield* serve((seen) =>
    seen.headers.authorization === Redacted.value(Basic.encode("demo", Redacted.make("s3cret")))
      ? HttpServerResponse.text("welcome")
      : HttpServerResponse.text("who are you?", { status: 401 })
  )
  const basic = yield* HttpAuth.client(Basic.make("demo", Redacted.make("s3cret")))
  const ok = yield* basic.get(`${protectedServer.origin}/private`)
  yield* Console.log(`Basic:   GET /private -> ${ok.status} ${yield* ok.text}`)
  const anonymous = yield* HttpClient.get(`${protectedServer.origin}/private`)
  yield* Console.log(`No auth: GET /private -> ${anonymous.status} ${yield* anonymous.text}`)

  const server = yield* serve(echo)
  for (const [name, auth, headers] of [
    ["Bearer", Bearer.make("demo-token"), ["authorization"]],
    ["ApiKey.header", ApiKey.header("demo-key", { headerName: "X-Demo-Key" }), ["x-demo-key"]],
    ["ApiKey.query", ApiKey.query("demo-key"), []],
    ["HttpAuth.all", HttpAuth.all(Bearer.make("demo-token"), ApiKey.header("demo-key")), ["authorization", "x-api-key"]]
  ] as const) {
    const client = yield* HttpAuth.client(auth)
    const seen = yield* Effect.flatMap(client.get(`${server.origin}/items?page=2`), seenOf)
    yield* Console.log(`${name.padEnd(14)} ${show(seen, headers)}`)
  }

  // A redirect from one origin to another drops what the auth added.
  const elsewhere = yield* serve(echo)
  const redirecting = yield* serve(() =>
    HttpServerResponse.empty({ status: 302, headers: { location: `${elsewhere.origin}/landing` } })
  )
  const follower = yield* HttpAuth.client(
    HttpAuth.followRedirects(HttpAuth.all(Bearer.make("demo-token"), ApiKey.query("demo-key")))
  )
  const landed = yield* Effect.flatMap(follower.execute(HttpClientRequest.get(`${redirecting.origin}/start`)), seenOf)
  yield* Console.log(`Redirect ${redirecting.origin} -> ${elsewhere.origin}: ${show(landed, ["authorization"])}`)
}).pipe(Effect.provide(NodeHttpClient.layerUndici))
