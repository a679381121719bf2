/**
 * OAuth 1.0a against a real provider (oauthlib, run by
 * examples/support/oauth1Provider.py; Debian python3-oauthlib): the
 * three-legged flow once through a browser stand-in, then signed requests
 * with the access credentials in every signature method, and the provider's
 * refusal of a wrong secret, typed.
 *
 *   npx tsx examples/oauth1.ts
 */
import { generateKeyPairSync } from "node:crypto"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Redacted } from "effect"
import { HttpAuth, OAuth1 } from "effect-http-auth"
import { BrowserTest } from "effect-http-auth/testing"
import { oauth1Provider } from "./support/oauth1Provider.js"

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const consumer = { clientId: "photo-printer", clientSecret: "kd94hf93k423kf44" }

const main = Effect.gen(function* () {
  const provider = yield* oauth1Provider({
    clients: {
      [consumer.clientId]: {
        secret: consumer.clientSecret,
        rsaPublicKey: rsa.publicKey.export({ type: "spki", format: "pem" }).toString()
      }
    },
    // the verifier the stand-in browser brings back (a person would get one from the approval page)
    testVerifier: "verifier-1",
    user: { user_id: "42", screen_name: "jane" }
  })

  // The wiring: the whole dance runs once, on the first request.
  const AuthLive = HttpAuth.layer(
    OAuth1.authorize({
      ...consumer,
      requestTokenUrl: provider.requestTokenUrl,
      authorizationUrl: provider.authorizationUrl,
      accessTokenUrl: provider.accessTokenUrl,
      redirectUriPort: 0,
      onToken: (credentials) =>
        Console.log(
          `authorized: access token for ${credentials.fields.screen_name} (user ${credentials.fields.user_id})`
        )
    })
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

  const token = yield* Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const me = yield* client.get(`${provider.origin}/resource/me`)
    const seen = (yield* me.json) as { token: string }
    yield* Console.log(`GET /resource/me -> ${me.status}, signed with HMAC-SHA1 in the header`)
    yield* client.get(`${provider.origin}/resource/photos`)
    yield* Console.log(`second request: no new authorization (visits: ${(yield* BrowserTest.visits).length})`)
    return seen.token
  }).pipe(Effect.provide(AuthLive))

  // The building blocks give the same credentials to OAuth1.make, in any method and placement.
  const temporary = yield* OAuth1.fetchRequestToken({ ...consumer, url: provider.requestTokenUrl, callback: "oob" })
  const access = yield* OAuth1.fetchAccessToken({
    ...consumer,
    url: provider.accessTokenUrl,
    token: temporary.token,
    tokenSecret: temporary.tokenSecret,
    verifier: "verifier-1"
  })
  yield* Console.log(
    `fetchAccessToken: a second token (${Redacted.value(access.token) !== token ? "a new one" : "the same"})`
  )
  for (const signatureMethod of OAuth1.signatureMethods) {
    const signatureType = signatureMethod === "PLAINTEXT" ? "query" : "header"
    const client = yield* HttpAuth.client(
      OAuth1.make({
        clientId: consumer.clientId,
        ...(signatureMethod.startsWith("RSA-") ? { rsaKey: rsa.privateKey } : { clientSecret: consumer.clientSecret }),
        token: access.token,
        tokenSecret: access.tokenSecret,
        signatureMethod,
        signatureType
      })
    )
    const response = yield* client.get(`${provider.origin}/resource/photos?size=original`)
    yield* Console.log(`${signatureMethod} in the ${signatureType} -> ${response.status}`)
  }

  const wrong = yield* HttpAuth.client(
    OAuth1.make({ ...consumer, clientSecret: "not-it", token: access.token, tokenSecret: access.tokenSecret })
  )
  const error = yield* Effect.flip(wrong.get(`${provider.origin}/resource/photos`))
  yield* Console.log(`wrong secret -> ${error._tag} ${"problem" in error ? error.problem : ""}`)
}).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer())))

NodeRuntime.runMain(Effect.scoped(main))
