/**
 * The authorization code grant with PKCE given the issuer alone: its endpoints discovered, a nonce
 * sent with openid, and the id_token validated (OpenID Connect Core 3.1.3.7) against oidc-provider's
 * JWKS, its claims on the token; two logins read the metadata and the JWKS once; `revokeOnClose`
 * revokes the tokens when the scope closes. The hybrid flow (`code id_token`, OpenID Connect Core 3.3):
 * the redirect's id_token validated, c_hash included, before the code is exchanged. A real headless
 * Chromium logs in on oidc-provider's pages.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Discovery, HttpAuth, OAuth2, type Token } from "../src/index.js"
import { BrowserTest } from "../src/testing/index.js"
import { launch } from "./fixtures/chromium.js"
import { logIn, oidcWithApi } from "./fixtures/oidcProvider.js"
import { freePort } from "./fixtures/server.js"

describe("authorization code with an issuer: the id_token validated", () => {
  it.scopedLive(
    "issuer only, openid: the id_token checked; two logins, one JWKS read; revokeOnClose logs out on close",
    () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const redirectUri = `http://127.0.0.1:${port}/callback`
        const { oidc, api } = yield* oidcWithApi({
          clients: [
            {
              client_id: "cli",
              application_type: "native",
              token_endpoint_auth_method: "none",
              grant_types: ["authorization_code", "refresh_token"],
              response_types: ["code"],
              redirect_uris: [redirectUri]
            }
          ],
          features: {
            devInteractions: { enabled: true },
            revocation: { enabled: true, allowedPolicy: async () => true }
          },
          configuration: { scopes: ["openid", "offline_access"] }
        })
        const browser = yield* launch
        const tokens: Array<Token.Token> = []
        const login = (options: { readonly revokeOnClose: boolean }) =>
          HttpAuth.client(
            OAuth2.authorizationCodePkce({
              issuer: oidc.issuer,
              clientId: "cli",
              scope: ["openid", "offline_access"],
              // a login page each time, though the browser has a session
              authorizationParams: { prompt: "login consent" },
              redirectUriDomain: "127.0.0.1",
              redirectUriPort: port,
              redirectUriEndpoint: "callback",
              revokeOnClose: options.revokeOnClose,
              onToken: (token) => Effect.sync(() => tokens.push(token))
            })
          ).pipe(Effect.provide(browser.layer(logIn("alice"))))
        // two auths of one program share the Discovery service: its metadata and its JWKS
        yield* Effect.scoped(
          Effect.gen(function* () {
            const first = yield* login({ revokeOnClose: true })
            const me = yield* first.get(`${api.origin}/me`)
            expect(me.status).toBe(200)
            const second = yield* login({ revokeOnClose: false })
            expect((yield* second.get(`${api.origin}/me`)).status).toBe(200)
          })
        ).pipe(Effect.provide(Discovery.layer()))
        expect(browser.errors).toEqual([])
        expect(tokens.length).toBe(2)
        const authorize = browser.exchanges.find((exchange) => exchange.url.startsWith(`${oidc.issuer}/auth?`))!
        const nonce = new URL(authorize.url).searchParams.get("nonce")
        expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/)
        const claims = tokens[0]!.fields.id_token_claims as Record<string, unknown>
        expect(claims.sub).toBe("alice")
        expect(claims.aud).toBe("cli")
        expect(claims.iss).toBe(oidc.issuer)
        expect(claims.nonce).toBe(nonce)
        const requests = yield* oidc.requests
        expect(requests.filter((r) => r === "GET /.well-known/openid-configuration").length).toBe(1)
        expect(requests.filter((r) => r === "GET /jwks").length).toBe(1)

        // the first auth's scope closed: its refresh token, then its access token, revoked (RFC 7009)
        expect(requests.filter((r) => r === "POST /token/revocation").length).toBe(2)
        const active = (token: Token.Token, which: "accessToken" | "refreshToken") =>
          Effect.map(
            OAuth2.introspect({
              issuer: oidc.issuer,
              token: token[which]!,
              clientId: "resource-server",
              clientSecret: "rs-secret"
            }),
            (answer) => answer.active
          )
        expect(yield* active(tokens[0]!, "accessToken")).toBe(false)
        expect(yield* active(tokens[0]!, "refreshToken")).toBe(false)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )
})

/**
 * oidc-provider with a public client of the hybrid flow (its id_token comes in the fragment, section
 * 3.3.2.5), registered with a free port's redirect URI, and its API.
 */
const hybridProvider = Effect.gen(function* () {
  const port = yield* Effect.promise(freePort)
  const redirectUri = `http://127.0.0.1:${port}/callback`
  return { port, redirectUri, ...(yield* hybridServers(redirectUri)) }
})

const hybridServers = (redirectUri: string) =>
  oidcWithApi({
    clients: [
      {
        client_id: "hybrid",
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "implicit"],
        response_types: ["code id_token"],
        redirect_uris: [redirectUri]
      }
    ],
    features: { devInteractions: { enabled: true } },
    configuration: { scopes: ["openid"] }
  })

const hybrid = (issuer: string, port: number, more: Partial<OAuth2.AuthorizationCodePkceOptions> = {}) =>
  OAuth2.authorizationCodePkce({
    issuer,
    clientId: "hybrid",
    scope: "openid",
    responseType: "code id_token",
    authorizationParams: { prompt: "consent" },
    redirectUriDomain: "127.0.0.1",
    redirectUriPort: port,
    redirectUriEndpoint: "callback",
    ...more
  })

describe("the hybrid flow (code id_token): the redirect's id_token validated before the code is exchanged", () => {
  it.scopedLive(
    "a real login: the id_token of the fragment checked (c_hash, nonce), then the code exchanged once",
    () =>
      Effect.gen(function* () {
        const { api, oidc, port, redirectUri } = yield* hybridProvider
        const browser = yield* launch
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          hybrid(oidc.issuer, port, { onToken: (token) => Effect.sync(() => tokens.push(token)) })
        ).pipe(Effect.provide(browser.layer(logIn("alice"))))
        const me = yield* client.get(`${api.origin}/me`)
        expect(me.status).toBe(200)
        expect(yield* me.json).toEqual({ client: "hybrid", sub: "alice" })
        expect(browser.errors).toEqual([])
        const authorize = browser.exchanges.find((exchange) => exchange.url.startsWith(`${oidc.issuer}/auth?`))!
        const sent = new URL(authorize.url).searchParams
        expect(sent.get("response_type")).toBe("code id_token")
        expect(sent.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/)
        // the listener's page posted the fragment back, and the grant took it
        expect(browser.exchanges.filter((e) => e.url.startsWith(redirectUri)).map((e) => [e.method, e.status])).toEqual(
          [
            ["GET", 200],
            ["POST", 200]
          ]
        )
        expect(yield* oidc.tokenRequests).toBe(1)
        const claims = tokens[0]!.fields.id_token_claims as Record<string, unknown>
        expect(claims).toMatchObject({ sub: "alice", aud: "hybrid", iss: oidc.issuer, nonce: sent.get("nonce") })
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )

  it.scopedLive(
    "a code swapped on its way back (the id_token's c_hash is another code's): InvalidToken, no token request",
    () =>
      Effect.gen(function* () {
        const { api, oidc, port, redirectUri } = yield* hybridProvider
        const browser = yield* launch
        // an attacker's code injected into the response the listener's page posts back (OpenID Connect Core 3.3.2.11)
        yield* Effect.promise(() =>
          browser.context.route(`${redirectUri}*`, (route) => {
            const request = route.request()
            if (request.method() !== "POST") return route.continue()
            const form = new URLSearchParams(request.postData() ?? "")
            form.set("code", "the-attackers-code")
            return route.continue({ postData: form.toString() })
          })
        )
        const client = yield* HttpAuth.client(hybrid(oidc.issuer, port)).pipe(
          Effect.provide(browser.layer(logIn("alice")))
        )
        const error = yield* Effect.flip(client.get(`${api.origin}/me`))
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe("Invalid token: id_token: c_hash does not match the authorization code")
        expect(browser.errors).toEqual([])
        expect(yield* oidc.tokenRequests).toBe(0)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )

  it.scopedLive("an id_token of another key (BrowserTest's) in the redirect: InvalidToken, no token request", () =>
    Effect.gen(function* () {
      const { api, oidc, port } = yield* hybridProvider
      const client = yield* HttpAuth.client(hybrid(oidc.issuer, port))
      const error = yield* Effect.flip(client.get(`${api.origin}/me`))
      expect(error._tag).toBe("InvalidToken")
      expect(error.message).toBe("Invalid token: id_token: no key of the issuer's JWKS matches its kid null")
      const [visit] = yield* BrowserTest.visits
      expect(visit!.params.response_type).toBe("code id_token")
      expect(yield* oidc.tokenRequests).toBe(0)
    }).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer(BrowserTest.approve()))))
  )

  it.effect("code id_token without an issuer or a client id: InvalidOptions when the auth is built", () =>
    Effect.gen(function* () {
      const build = (options: Partial<OAuth2.AuthorizationCodePkceOptions>) =>
        Effect.flip(
          Effect.scoped(
            OAuth2.authorizationCodePkce({
              authorizationUrl: "https://as.example/authorize",
              tokenUrl: "https://as.example/token",
              clientId: "hybrid",
              responseType: "code id_token",
              ...options
            })
          )
        ).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer())))
      expect((yield* build({})).message).toBe(
        'OAuth2.authorizationCodePkce: option "issuer" is needed with responseType "code id_token", to validate the redirect\'s id_token'
      )
      expect((yield* build({ issuer: "https://as.example", clientId: undefined })).message).toBe(
        'OAuth2.authorizationCodePkce: option "clientId" is needed with issuer, to check the id_token\'s aud'
      )
    })
  )
})
