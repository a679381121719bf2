import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Effect, Layer } from "effect"
import { HttpAuth, OAuth1, SecureRandom } from "../../src/index.js"
import { BrowserTest } from "../../src/testing/index.js"
import { failure, got, note, sent } from "../support/demoLines.js"
import { oauth1Provider } from "../support/oauth1Provider.js"

export const title = "OAuth 1.0a (RFC 5849): oauthlib as the provider, BrowserTest as the person"

const consumer = { clientId: "demo-printer", clientSecret: "demo-secret" }

/** The parts of an OAuth Authorization value, the secrets and the per-request values cut short. */
const oauthParts = (header: string | undefined) =>
  (header ?? "(none)")
    .replace(/^OAuth /, "")
    .split(", ")
    .map((part) =>
      part
        .replace(/(oauth_signature|oauth_nonce|oauth_token)="([^"]{4})[^"]*"/, '$1="$2…"')
        .replace(/oauth_timestamp="\d+"/, 'oauth_timestamp="…"')
    )

export default Effect.gen(function* () {
  const provider = yield* oauth1Provider({
    clients: { [consumer.clientId]: { secret: consumer.clientSecret } },
    testVerifier: "verifier-1",
    user: { screen_name: "jane" }
  })
  const issued: Array<string> = []
  const client = yield* HttpAuth.client(
    OAuth1.authorize({
      ...consumer,
      requestTokenUrl: provider.requestTokenUrl,
      authorizationUrl: provider.authorizationUrl,
      accessTokenUrl: provider.accessTokenUrl,
      redirectUriPort: 0,
      onToken: (credentials) => Effect.sync(() => issued.push(String(credentials.fields.screen_name)))
    })
  )
  const first = yield* client.get(`${provider.origin}/resource/me`)
  const [visit] = yield* BrowserTest.visits
  yield* sent("browser", `GET ${new URL(visit!.url).pathname}`, ["oauth_token=…", "oauth_callback=the listener"])
  yield* got(`back to the listener with oauth_token and oauth_verifier; it answered ${visit!.status}`)
  yield* sent("access token", "POST /access_token  oauth_token=…  oauth_verifier=…")
  yield* got(`200 access token and secret for ${issued.join(", ")} (onToken)`)
  yield* sent("API", "GET /resource/me", ["authorization: OAuth", ...oauthParts(first.request.headers.authorization)])
  const body = (yield* first.json) as { client: string; method: string }
  yield* got(`${first.status} ${JSON.stringify({ client: body.client, method: body.method })}`)
  const again = yield* client.get(`${provider.origin}/resource/me`)
  yield* sent("API", "GET /resource/me  (signed again, new nonce)")
  yield* got(`${again.status}`)
  yield* note(`authorizations so far: ${(yield* BrowserTest.visits).length}, the access token was reused`)

  // The same nonce twice (fixed randomness), then a wrong secret: oauthlib refuses, the error is typed.
  // A nonce is unique per timestamp (RFC 5849 section 3.3), so both requests are signed in the same
  // second: the clock is held still for them, or a second boundary between them makes no replay.
  const signer = yield* HttpAuth.client(OAuth1.make(consumer))
  const clock = yield* Effect.clock
  const millis = yield* Clock.currentTimeMillis
  const still: Clock.Clock = Object.assign(Object.create(clock) as Clock.Clock, {
    unsafeCurrentTimeMillis: () => millis,
    currentTimeMillis: Effect.succeed(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
    currentTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n)
  })
  const sameMoment = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.provide(SecureRandom.layerFixed(new Uint8Array([42]))), Effect.withClock(still))
  yield* Effect.ignore(sameMoment(signer.get(`${provider.origin}/resource/me`)))
  const replay = yield* Effect.flip(sameMoment(signer.get(`${provider.origin}/resource/me`)))
  yield* sent("reused nonce", "GET /resource/me  (a nonce already used)")
  yield* got(failure(replay))
  const wrong = yield* HttpAuth.client(OAuth1.make({ ...consumer, clientSecret: "guess" }))
  yield* sent("wrong secret", "GET /resource/me  (signed with another secret)")
  yield* got(failure(yield* Effect.flip(wrong.get(`${provider.origin}/resource/me`))))
}).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer())))
