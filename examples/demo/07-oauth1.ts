import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { AuthError, HttpAuth, OAuth1, SecureRandom } from "../../src/index.js"
import { BrowserTest } from "../../src/testing/index.js"
import { oauth1Provider } from "../support/oauth1Provider.js"

export const title = "OAuth 1.0a (RFC 5849): oauthlib as the provider, BrowserTest as the person"

const consumer = { clientId: "demo-printer", clientSecret: "demo-secret" }

/** An OAuth Authorization value with the signature and nonce shortened. */
const show = (header: string | undefined) =>
  (header ?? "(none)")
    .replace(/oauth_signature="([^"]{8})[^"]*"/, 'oauth_signature="$1…"')
    .replace(/oauth_nonce="([^"]{6})[^"]*"/, 'oauth_nonce="$1…"')
    .replace(/oauth_token="([^"]{6})[^"]*"/, 'oauth_token="$1…"')
    .replace(/oauth_timestamp="\d+"/, 'oauth_timestamp="…"')

const describe = (error: unknown) =>
  AuthError.isAuthError(error) ? `${error._tag} ${"problem" in error ? error.problem : ""}` : String(error)

export default Effect.gen(function* () {
  const provider = yield* oauth1Provider({
    clients: { [consumer.clientId]: { secret: consumer.clientSecret } },
    testVerifier: "verifier-1",
    user: { screen_name: "jane" }
  })
  const client = yield* HttpAuth.client(
    OAuth1.authorize({
      ...consumer,
      requestTokenUrl: provider.requestTokenUrl,
      authorizationUrl: provider.authorizationUrl,
      accessTokenUrl: provider.accessTokenUrl,
      redirectUriPort: 0,
      onToken: (credentials) => Console.log(`access token issued to ${credentials.fields.screen_name}`)
    })
  )
  const first = yield* client.get(`${provider.origin}/resource/me`)
  const [visit] = yield* BrowserTest.visits
  yield* Console.log(
    `browser opened ${visit!.url.split("?")[0]} with oauth_token, came back with a verifier: ${visit!.status}`
  )
  yield* Console.log(`GET /resource/me -> ${first.status}  ${show(first.request.headers.authorization)}`)
  yield* client.get(`${provider.origin}/resource/me`)
  yield* Console.log(`GET /resource/me again -> 200, authorizations so far: ${(yield* BrowserTest.visits).length}`)

  // The same nonce twice (fixed randomness), then a wrong secret: oauthlib refuses, the error is typed.
  const signer = yield* HttpAuth.client(OAuth1.make(consumer))
  const fixed = SecureRandom.layerFixed(new Uint8Array([42]))
  yield* Effect.ignore(signer.get(`${provider.origin}/resource/me`).pipe(Effect.provide(fixed)))
  const replay = yield* Effect.flip(signer.get(`${provider.origin}/resource/me`).pipe(Effect.provide(fixed)))
  yield* Console.log(`replayed nonce: ${describe(replay)}`)
  const wrong = yield* HttpAuth.client(OAuth1.make({ ...consumer, clientSecret: "guess" }))
  yield* Console.log(`wrong secret: ${describe(yield* Effect.flip(wrong.get(`${provider.origin}/resource/me`)))}`)
}).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer())))
