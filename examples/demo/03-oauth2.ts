import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Effect, Redacted } from "effect"
import { HttpAuth, OAuth2 } from "../../src/index.js"
import { answer, failure, got, header, note, sent } from "../support/demoLines.js"
import { protectedApi, startOidcProvider } from "../support/oidcProvider.js"

export const title = "OAuth 2 client credentials against an embedded oidc-provider"

const clients = [
  {
    client_id: "demo-app",
    client_secret: "demo-secret",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read"
  },
  { client_id: "demo-api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
]

export default Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients,
    ttl: { ClientCredentials: 600 },
    configuration: { scopes: ["api:read"] }
  })
  // an API that asks the provider whether each token is active (RFC 7662)
  const api = yield* protectedApi(oidc, { clientId: "demo-api", clientSecret: "api-secret" })

  const client = yield* HttpAuth.client(
    OAuth2.clientCredentials({
      tokenUrl: oidc.tokenUrl,
      clientId: "demo-app",
      clientSecret: Redacted.make("demo-secret"),
      scope: ["api:read"],
      onToken: (token) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          got(
            `${token.tokenType} token for "${token.scope}", ${Math.round((token.expiresAt - now) / 60_000)} minutes (onToken)`
          )
        )
    })
  )
  yield* sent("token request", "POST /token  grant_type=client_credentials  scope=api:read", [
    header("authorization", `Basic ${Buffer.from("demo-app:demo-secret").toString("base64")}`)
  ])
  const responses = yield* Effect.forEach([1, 2, 3], () => client.get(`${api.origin}/me`), { concurrency: "unbounded" })
  for (const response of responses) {
    yield* sent("API", "GET /me", [header("authorization", response.request.headers.authorization)])
    yield* got(yield* answer(response))
  }
  yield* note(`3 concurrent API calls, ${yield* oidc.tokenRequests} token request`)

  const wrong = yield* HttpAuth.client(
    OAuth2.clientCredentials({ tokenUrl: oidc.tokenUrl, clientId: "demo-app", clientSecret: "not-it" })
  )
  yield* sent("wrong secret", "POST /token  grant_type=client_credentials", [
    header("authorization", `Basic ${Buffer.from("demo-app:not-it").toString("base64")}`)
  ])
  yield* got(failure(yield* Effect.flip(wrong.get(`${api.origin}/me`))))
}).pipe(Effect.provide(NodeHttpClient.layerUndici))
