/**
 * DPoP (RFC 9449): client credentials whose token is bound to a key that
 * lives only in this process. oidc-provider asks for a nonce (the library
 * sends the token request once more with it), and the API verifies each
 * request's proof and the token's binding. The same token, stolen and sent
 * without the key's proof, is refused.
 *
 *   npx tsx examples/dpop.ts
 */
import { randomBytes } from "node:crypto"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Redacted } from "effect"
import { HttpAuth, OAuth2, type Token } from "effect-http-auth"
import { dpopApi } from "./support/dpopResource.js"
import { startOidcProvider } from "./support/oidcProvider.js"

const main = Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients: [
      {
        client_id: "reporting",
        client_secret: "reporting-secret",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        scope: "api:read"
      },
      { client_id: "api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
    ],
    // a nonce required at the token endpoint (RFC 9449 section 8)
    features: { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } },
    configuration: { scopes: ["api:read"] }
  })
  const api = yield* dpopApi(oidc, { clientId: "api", clientSecret: "api-secret" })

  const tokens: Array<Token.Token> = []
  // The user's wiring: `dpop: true` is a fresh ES256 key for this auth, kept in memory
  const client = yield* HttpAuth.client(
    OAuth2.clientCredentials({
      tokenUrl: oidc.tokenUrl,
      clientId: "reporting",
      clientSecret: Redacted.make("reporting-secret"),
      scope: "api:read",
      dpop: true,
      onToken: (token) => Effect.sync(() => tokens.push(token))
    })
  )
  const response = yield* client.get(`${api.origin}/me`)
  const body = (yield* response.json) as { readonly client: string; readonly jkt: string }
  yield* Console.log(`GET /me -> ${response.status} for ${body.client}, token_type ${tokens[0]!.tokenType}`)
  yield* Console.log(`token bound to the key's thumbprint: ${body.jkt === tokens[0]!.jkt}`)
  yield* Console.log(`token requests: ${yield* oidc.tokenRequests} (the first was answered use_dpop_nonce)`)

  // a thief with the token and no key
  const stolen = yield* HttpClient.execute(
    HttpClientRequest.get(`${api.origin}/me`).pipe(
      HttpClientRequest.setHeader("authorization", `DPoP ${Redacted.value(tokens[0]!.accessToken)}`)
    )
  )
  yield* Console.log(`the stolen token without a proof -> ${stolen.status} ${stolen.headers["www-authenticate"]}`)
}).pipe(Effect.provide(NodeHttpClient.layerUndici))

NodeRuntime.runMain(Effect.scoped(main))
