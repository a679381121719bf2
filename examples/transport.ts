/**
 * The transport under an auth: an API behind a corporate proxy (squid with
 * Basic proxy auth), served over HTTPS by a private CA and asking for a
 * client certificate. NodeTransport.layer trusts the CA (verify), presents
 * the certificate (cert) and goes through the proxy (proxy); the auth on top
 * sends its own credentials to the API, the proxy's go to the proxy only.
 *
 *   npx tsx examples/transport.ts
 */
import { HttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { AuthError, Bearer, HttpAuth } from "effect-http-auth"
import { NodeTransport } from "effect-http-auth/node"
import { squid } from "./support/squid.js"
import { serveHttps, tlsMaterial } from "./support/tls.js"

const main = Effect.gen(function* () {
  const tls = yield* tlsMaterial
  const proxy = yield* squid({ username: "corp-user", password: "corp-pass" })
  const api = yield* serveHttps(tls, { requireClientCert: true }, (request, response) => {
    response.writeHead(200, { "content-type": "text/plain" })
    response.end(`authorization=${request.headers.authorization?.slice(0, 11) ?? "(none)"}…`)
  })

  const Transport = NodeTransport.layer({
    verify: { caFile: tls.caFile },
    cert: { certFile: tls.clientCert, keyFile: tls.clientKeyEncrypted, passphrase: Redacted.make(tls.passphrase) },
    proxy: { url: proxy.origin, username: "corp-user", password: Redacted.make("corp-pass") }
  })
  const AuthLive = HttpAuth.layer(Bearer.make("api-token-123")).pipe(Layer.provide(Transport))

  const call = (layer: Layer.Layer<HttpClient.HttpClient, unknown>) =>
    Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${api.origin}/me`)).pipe(
      Effect.flatMap((response) => Effect.map(response.text, (text) => `${response.status} ${text}`)),
      Effect.catchAll((error) =>
        Effect.succeed(
          Option.match(AuthError.fromHttpClientError(error), {
            onNone: () => `failed: ${String(error)}`,
            onSome: (cause) => `${cause._tag}: ${cause.message}`
          })
        )
      ),
      Effect.provide(layer)
    )

  yield* Console.log(`verify + cert + proxy: GET /me -> ${yield* call(AuthLive)}`)
  const seen = api.seen()[0]
  yield* Console.log(
    `the API saw: client certificate ${seen?.clientSubject}, proxy-authorization ${seen?.headers["proxy-authorization"] ?? "(none)"}`
  )

  // what goes wrong, typed
  yield* Console.log(
    `system roots only: ${yield* call(NodeTransport.layer({ proxy: { url: proxy.origin, username: "corp-user", password: "corp-pass" } }))}`
  )
  yield* Console.log(
    `no proxy credentials: ${yield* call(NodeTransport.layer({ verify: { caFile: tls.caFile }, proxy: proxy.origin }))}`
  )
  const bad = yield* Effect.flip(
    Effect.scoped(NodeTransport.make({ cert: { certFile: tls.clientCert, keyFile: tls.strangerKey } }))
  )
  yield* Console.log(`a key that is not the certificate's: ${bad.message}`)
})

NodeRuntime.runMain(Effect.scoped(main))
