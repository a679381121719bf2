import { generateKeyPairSync } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect } from "effect"
import { SignJWT } from "jose"
import { ClientAuth, Google, HttpAuth, OAuth2 } from "../../src/index.js"
import { registerAssertionGrants } from "../support/assertionGrants.js"
import { answer, failure, got, header, note, sent } from "../support/demoLines.js"
import { startGoogleToken } from "../support/googleToken.js"
import { echo, seenOf, serve } from "../support/loopback.js"
import { protectedApi, startOidcProvider } from "../support/oidcProvider.js"

export const title = "Signed JWTs: private_key_jwt, JWT bearer, token exchange, Google, hooks"

const appKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
const robotKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
const idpKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
const googleKey = generateKeyPairSync("rsa", { modulusLength: 2048 })

const client = {
  client_id: "demo-app",
  grant_types: [
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange"
  ],
  response_types: [],
  redirect_uris: [],
  scope: "api:read",
  token_endpoint_auth_method: "private_key_jwt",
  jwks: { keys: [{ ...appKey.publicKey.export({ format: "jwk" }), kid: "app-1", alg: "ES256", use: "sig" }] }
}

export default Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients: [
      client as any,
      { client_id: "demo-api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
    ],
    configuration: { scopes: ["api:read"] }
  })
  const seen = yield* Effect.promise(() =>
    registerAssertionGrants(oidc, { assertion: robotKey.publicKey, subjectToken: idpKey.publicKey })
  )
  const api = yield* protectedApi(oidc, { clientId: "demo-api", clientSecret: "api-secret" })
  const clientAuth = ClientAuth.privateKeyJwt("demo-app", appKey.privateKey, { keyId: "app-1" })

  // private_key_jwt: the form carries a signed assertion, never a secret
  const signed = yield* HttpAuth.client(OAuth2.clientCredentials({ tokenUrl: oidc.tokenUrl, clientAuth }))
  yield* sent("privateKeyJwt", "POST /token  grant_type=client_credentials", [
    "client_assertion: ES256 JWT, iss=sub=demo-app, kid app-1"
  ])
  const ok = yield* signed.get(`${api.origin}/me`)
  yield* sent("API", "GET /me", [header("authorization", ok.request.headers.authorization)])
  yield* got(yield* answer(ok))
  const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey
  const wrong = yield* HttpAuth.client(
    OAuth2.clientCredentials({
      tokenUrl: oidc.tokenUrl,
      clientAuth: ClientAuth.privateKeyJwt("demo-app", stranger, { keyId: "app-1" })
    })
  )
  yield* sent("another key", "POST /token  grant_type=client_credentials")
  yield* got(failure(yield* Effect.flip(wrong.get(`${api.origin}/me`))))

  // the JWT bearer grant: a robot's signed assertion is the grant
  const robot = yield* HttpAuth.client(
    OAuth2.jwtBearer({
      tokenUrl: oidc.tokenUrl,
      clientAuth,
      assertion: { issuer: "robot@example.com", subject: "nightly", privateKey: robotKey.privateKey }
    })
  )
  const asRobot = yield* robot.get(`${api.origin}/me`)
  const claims = seen.assertions[0]!
  yield* sent("jwtBearer", "POST /token  grant_type=…:jwt-bearer", [
    `assertion: RS256, iss=${claims.iss}, lives ${(claims.exp as number) - (claims.iat as number)} s`
  ])
  yield* got(yield* answer(asRobot))

  // token exchange: an identity provider's token traded for one for the API
  const idpToken = Effect.promise(() =>
    new SignJWT({ sub: "carol" }).setProtectedHeader({ alg: "ES256" }).setExpirationTime("5m").sign(idpKey.privateKey)
  )
  const exchange = yield* HttpAuth.client(
    OAuth2.tokenExchange({
      tokenUrl: oidc.tokenUrl,
      clientAuth,
      subjectToken: idpToken,
      subjectTokenType: OAuth2.tokenTypes.jwt
    })
  )
  const asCarol = yield* exchange.get(`${api.origin}/me`)
  yield* sent("tokenExchange", "POST /token  grant_type=…:token-exchange", ["subject_token_type=…:jwt"])
  yield* got(yield* answer(asCarol))

  // a Google service account against a stand-in that verifies the assertion
  const google = yield* startGoogleToken(googleKey)
  const echoApi = yield* serve(echo)
  const account = yield* HttpAuth.client(
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
  const googleSeen = yield* seenOf(yield* account.get(`${echoApi.origin}/v1/projects`))
  const googleClaims = google.assertions[0]!
  yield* sent("Google", "POST /token  grant_type=…:jwt-bearer", [
    `kid ${(googleClaims.header as { kid: string }).kid}`,
    `scope ${String(googleClaims.scope).replace("https://www.googleapis.com/auth/", "…/")}`
  ])
  yield* sent("API", "GET /v1/projects", [header("authorization", googleSeen.headers.authorization)])

  // a compliance hook: a provider that nests its token under "data"
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
  const hookedSeen = yield* seenOf(yield* hooked.get(`${echoApi.origin}/`))
  yield* sent("tokenResponse", "GET /", [header("authorization", hookedSeen.headers.authorization)])
  yield* note(`token requests at oidc-provider: ${yield* oidc.tokenRequests}; each assertion signed afresh`)
}).pipe(Effect.provide(NodeHttpClient.layerUndici))
