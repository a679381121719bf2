/**
 * Signed JWTs at the token endpoint: a client that authenticates with its
 * private key (`private_key_jwt`, Entra ID's and Okta's certificate
 * credentials), the JWT bearer grant, token exchange, a Google service
 * account, and a compliance hook for a provider's non-standard answer. The
 * authorization server is an embedded oidc-provider (with the two grants
 * registered); Google's token endpoint is a stand-in on 127.0.0.1 that
 * verifies the assertion.
 *
 *   npx tsx examples/jwt-assertions.ts
 */
import { generateKeyPairSync } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { ClientAuth, Google, HttpAuth, OAuth2 } from "effect-http-auth"
import { SignJWT } from "jose"
import { registerAssertionGrants } from "./support/assertionGrants.js"
import { startGoogleToken } from "./support/googleToken.js"
import { echo, serve } from "./support/loopback.js"
import { protectedApi, startOidcProvider } from "./support/oidcProvider.js"

// Keys made here: the app's (its public JWK registered at the server), a robot's, an identity provider's.
const appKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
const robotKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
const idpKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
const googleKey = generateKeyPairSync("rsa", { modulusLength: 2048 })

const registered = {
  response_types: [],
  redirect_uris: [],
  scope: "api:read",
  token_endpoint_auth_method: "private_key_jwt",
  jwks: { keys: [{ ...appKey.publicKey.export({ format: "jwk" }), kid: "app-2024", alg: "ES256", use: "sig" }] }
}

/** GET /me through an auth: who the API says the token is for. */
const me = <E, R>(auth: Effect.Effect<HttpAuth.HttpAuth, E, R>, url: string) =>
  Effect.gen(function* () {
    const client = yield* HttpAuth.client(auth)
    const response = yield* client.get(url)
    const body = (yield* response.json) as { readonly client: string; readonly sub: string | null }
    return `${response.status} for client ${body.client}${body.sub === null ? "" : `, subject ${body.sub}`}`
  })

const main = Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients: [
      { ...registered, client_id: "reporting", grant_types: ["client_credentials"] },
      {
        ...registered,
        client_id: "robot-runner",
        grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:token-exchange"]
      },
      { client_id: "api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
    ] as any,
    configuration: { scopes: ["api:read"] }
  })
  yield* Effect.promise(() =>
    registerAssertionGrants(oidc, { assertion: robotKey.publicKey, subjectToken: idpKey.publicKey })
  )
  const api = yield* protectedApi(oidc, { clientId: "api", clientSecret: "api-secret" })
  const clientAuth = ClientAuth.privateKeyJwt("robot-runner", appKey.privateKey, { keyId: "app-2024" })

  // 1. client credentials, the client authenticated by a signed assertion instead of a secret
  const signedIn = yield* me(
    OAuth2.clientCredentials({
      tokenUrl: oidc.tokenUrl,
      scope: "api:read",
      clientAuth: ClientAuth.privateKeyJwt("reporting", appKey.privateKey, { keyId: "app-2024" })
    }),
    `${api.origin}/me`
  )
  yield* Console.log(`private_key_jwt: GET /me -> ${signedIn}`)
  const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey
  const refused: { readonly _tag: string } = yield* Effect.flip(
    me(
      OAuth2.clientCredentials({
        tokenUrl: oidc.tokenUrl,
        clientAuth: ClientAuth.privateKeyJwt("reporting", stranger, { keyId: "app-2024" })
      }),
      `${api.origin}/me`
    )
  )
  yield* Console.log(`another key: ${refused._tag} ${(refused as { error?: string }).error}`)

  // 2. the JWT bearer grant: the robot's signed assertion is the grant
  const robot = yield* me(
    OAuth2.jwtBearer({
      tokenUrl: oidc.tokenUrl,
      clientAuth,
      scope: "api:read",
      assertion: { issuer: "robot@example.com", subject: "nightly-report", privateKey: robotKey.privateKey }
    }),
    `${api.origin}/me`
  )
  yield* Console.log(`jwtBearer: GET /me -> ${robot}`)

  // 3. token exchange: an identity provider's token, read for each token request, traded for one for the API
  const idpToken = Effect.promise(() =>
    new SignJWT({ sub: "carol" }).setProtectedHeader({ alg: "ES256" }).setExpirationTime("5m").sign(idpKey.privateKey)
  )
  const exchanged = yield* me(
    OAuth2.tokenExchange({
      tokenUrl: oidc.tokenUrl,
      clientAuth,
      scope: "api:read",
      subjectToken: idpToken,
      subjectTokenType: OAuth2.tokenTypes.jwt,
      onToken: (token) => Console.log(`tokenExchange: issued_token_type ${token.fields.issued_token_type}`)
    }),
    `${api.origin}/me`
  )
  yield* Console.log(`tokenExchange: GET /me -> ${exchanged}`)

  // 4. a Google service account: the key file's fields, the RS256 assertion Google wants
  const google = yield* startGoogleToken(googleKey)
  const echoApi = yield* serve(echo)
  const googleClient = yield* HttpAuth.client(
    Google.serviceAccount({
      credentials: {
        type: "service_account",
        client_email: "robot@demo.iam.gserviceaccount.com",
        private_key: googleKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        private_key_id: "k-0123",
        token_uri: google.tokenUri
      },
      scopes: ["https://www.googleapis.com/auth/cloud-platform"]
    })
  )
  const seen = (yield* Effect.flatMap(googleClient.get(`${echoApi.origin}/v1/projects`), (r) => r.json)) as {
    readonly headers: Record<string, string>
  }
  const claims = google.assertions[0]!
  yield* Console.log(`Google.serviceAccount: ${seen.headers.authorization?.slice(0, 16)}…`)
  yield* Console.log(
    `  assertion: kid ${(claims.header as { kid: string }).kid}, iss ${claims.iss}, lives ${(claims.exp as number) - (claims.iat as number)} s`
  )

  // 5. a compliance hook: a provider that nests its token under "data"
  const nested = yield* serve(() =>
    HttpServerResponse.unsafeJson({ code: 0, data: { access_token: "nested-token", expires_in: 7200 } })
  )
  const hooked = yield* HttpAuth.client(
    OAuth2.clientCredentials({
      tokenUrl: `${nested.origin}/token`,
      clientId: "app",
      clientSecret: "s3cret",
      tokenResponse: (fields) => (typeof fields.data === "object" ? (fields.data as Record<string, unknown>) : fields)
    })
  )
  const hookedSeen = (yield* Effect.flatMap(hooked.get(`${echoApi.origin}/`), (r) => r.json)) as {
    readonly headers: Record<string, string>
  }
  yield* Console.log(`tokenResponse hook: ${hookedSeen.headers.authorization?.slice(0, 13)}…`)
})

NodeRuntime.runMain(Effect.scoped(main).pipe(Effect.provide(NodeHttpClient.layerUndici)))
