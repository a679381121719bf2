/**
 * `tokenClient` on the OAuth 2 grants: the identity provider (oidc-provider
 * over HTTPS with a private CA) is reached only through the token client,
 * the API (plain http) through the client the auth wraps; a token client
 * given as a Layer lives as long as the auth (the ClientDestroyedError
 * pitfall of `Effect.provide` around the grant).
 */
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Scope } from "effect"
import { AuthError, HttpAuth, OAuth2 } from "effect-http-auth"
import { NodeTransport } from "effect-http-auth/node"
import { type OidcProvider, startOidcProvider } from "../fixtures/oidcProvider.js"
import { serve } from "../fixtures/server.js"
import { type TlsMaterial, tlsMaterial } from "../fixtures/tls.js"

let material: TlsMaterial
let oidc: OidcProvider
let scope: Scope.CloseableScope

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  material = await Effect.runPromise(Scope.extend(tlsMaterial, scope))
  oidc = await Effect.runPromise(
    Scope.extend(
      startOidcProvider({
        clients: [
          {
            client_id: "reporting",
            client_secret: "reporting-secret",
            grant_types: ["client_credentials"],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: "client_secret_basic"
          }
        ],
        features: { revocation: { enabled: true, allowedPolicy: async () => true } },
        https: { cert: material.read(material.serverCert), key: material.read(material.serverKey) }
      }),
      scope
    )
  )
}, 60_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

/** The API on plain http: what Authorization it saw. */
const api = serve((seen) => HttpServerResponse.text(`authorization=${seen.headers.authorization ?? "(none)"}`))

const grant = (extra: Partial<OAuth2.ClientCredentialsOptions> = {}) =>
  OAuth2.clientCredentials({ issuer: oidc.issuer, clientId: "reporting", clientSecret: "reporting-secret", ...extra })

/** GET `url` through the authenticated client of `layer`: status and body. */
const call = (layer: Layer.Layer<HttpClient.HttpClient, unknown>, url: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url)).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => `${response.status} ${text}`)),
    Effect.provide(layer)
  )

const bearer = /^200 authorization=Bearer [A-Za-z0-9_-]{20,}$/

describe("tokenClient", () => {
  it.scoped("the IdP (HTTPS, private CA) only through tokenClient, the API (http) through the main client", () =>
    Effect.gen(function* () {
      const server = yield* api
      const before = yield* oidc.tokenRequests
      const AuthLive = HttpAuth.layer(
        grant({ tokenClient: NodeTransport.layer({ verify: { caFile: material.caFile } }) })
      ).pipe(Layer.provide(NodeHttpClient.layerUndici))
      expect(yield* call(AuthLive, `${server.origin}/me`)).toMatch(bearer)
      expect((yield* oidc.tokenRequests) - before).toBe(1)

      // the main client trusts the system's roots only: without tokenClient, discovery cannot reach the IdP
      const refused = yield* Effect.flip(
        call(HttpAuth.layer(grant()).pipe(Layer.provide(NodeTransport.layer())), `${server.origin}/me`)
      )
      expect(Option.getOrUndefined(AuthError.fromHttpClientError(refused))).toMatchObject({
        _tag: "DiscoveryError",
        issuer: oidc.issuer
      })
      expect(yield* server.seen).toHaveLength(1)
    })
  )

  it.scopedLive(
    "a Layer lives as long as the auth: the token request after the build works (no ClientDestroyedError)",
    () =>
      Effect.gen(function* () {
        const server = yield* api
        const Idp = NodeTransport.layer({ verify: { caFile: material.caFile } })
        // the pitfall was `Effect.provide(Idp)` around the grant: the IdP's dispatcher closed once the auth was
        // built, before its first token request; as tokenClient, the layer is built in the auth's scope
        const AuthLive = HttpAuth.layer(
          OAuth2.clientCredentials({
            tokenUrl: oidc.tokenUrl,
            clientId: "reporting",
            clientSecret: "reporting-secret",
            tokenClient: Idp
          })
        ).pipe(Layer.provide(NodeHttpClient.layerUndici))
        const twice = Effect.zip(
          Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.origin}/a`)),
          Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.origin}/b`))
        ).pipe(Effect.provide(AuthLive))
        const [a, b] = yield* twice
        expect([a.status, b.status]).toEqual([200, 200])
      })
  )

  it.scoped(
    "the pitfall itself, Effect.provide around the grant: AuthenticationFailed at once, naming tokenClient",
    () =>
      Effect.gen(function* () {
        const server = yield* api
        // TestClock: a retry of the closed pool would sleep forever here; the failure must come without one
        const AuthLive = HttpAuth.layer(
          OAuth2.clientCredentials({
            tokenUrl: oidc.tokenUrl,
            clientId: "reporting",
            clientSecret: "reporting-secret"
          }).pipe(Effect.provide(NodeTransport.layer({ verify: { caFile: material.caFile } })))
        ).pipe(Layer.provide(NodeHttpClient.layerUndici))
        const error = yield* Effect.flip(
          Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.origin}/a`)).pipe(
            Effect.provide(AuthLive)
          )
        )
        const failed = AuthError.fromHttpClientError(error)
        expect(Option.map(failed, (e) => `${e._tag}: ${e.message}`)).toEqual(
          Option.some(
            `AuthenticationFailed: TokenEndpoint: the token endpoint ${oidc.tokenUrl} was not asked: the HttpClient's connection pool is closed (UND_ERR_DESTROYED). A Layer given with Effect.provide around the auth closes once the auth is built: give it as the grant's tokenClient option instead`
          )
        )
        expect(yield* server.seen).toHaveLength(0)
      })
  )

  it.scoped("an HttpClient value: discovery, token and revokeOnClose go through it", () =>
    Effect.gen(function* () {
      const server = yield* api
      const idp = yield* NodeTransport.make({ verify: { caFile: material.caFile } })
      const before = (yield* oidc.requests).length
      const inner = yield* Scope.make()
      const main = yield* NodeTransport.make()
      const client = yield* HttpAuth.client(grant({ tokenClient: idp, revokeOnClose: true })).pipe(
        Effect.provideService(HttpClient.HttpClient, main),
        Scope.extend(inner)
      )
      const response = yield* client.get(`${server.origin}/me`)
      expect(`${response.status} ${yield* response.text}`).toMatch(bearer)
      yield* Scope.close(inner, Exit.void)
      expect((yield* oidc.requests).slice(before)).toEqual([
        "GET /.well-known/openid-configuration",
        "POST /token",
        "POST /token/revocation"
      ])
    })
  )

  it.effect("a tokenClient that is neither an HttpClient nor a Layer is InvalidOptions", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(
          OAuth2.clientCredentials({
            tokenUrl: "https://idp.example/token",
            clientId: "reporting",
            clientSecret: "reporting-secret",
            tokenClient: { get: () => undefined } as never
          })
        ).pipe(Effect.provide(NodeHttpClient.layerUndici))
      )
      expect(error).toMatchObject({
        _tag: "InvalidOptions",
        option: "tokenClient",
        message: 'OAuth2.clientCredentials: option "tokenClient" must be an HttpClient or a Layer that provides one'
      })
    })
  )
})
