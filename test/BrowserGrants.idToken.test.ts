/**
 * The authorization code grant with PKCE given the issuer alone: its endpoints discovered, a nonce
 * sent with openid, and the id_token validated (OpenID Connect Core 3.1.3.7) against oidc-provider's
 * JWKS, its claims on the token; two logins read the metadata and the JWKS once; `revokeOnClose`
 * revokes the tokens when the scope closes. A real headless Chromium logs in on oidc-provider's pages.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Discovery, HttpAuth, OAuth2, type Token } from "../src/index.js"
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
