/**
 * End to end: a real headless Chromium logs in at a real oidc-provider
 * (its dev login and consent pages), the redirect listener takes the code,
 * the PKCE grant exchanges it, and a resource server that introspects each
 * token (RFC 7662) answers the authenticated request.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { HttpAuth, OAuth2, type Token } from "../src/index.js"
import { launch } from "./fixtures/chromium.js"
import { logIn, oidcWithApi } from "./fixtures/oidcProvider.js"
import { freePort } from "./fixtures/server.js"

describe("browser grants against oidc-provider, with headless Chromium", () => {
  it.scopedLive(
    "authorization code with PKCE through the login and consent pages, then an authenticated API call",
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
          features: { devInteractions: { enabled: true } },
          configuration: { scopes: ["openid", "offline_access"] }
        })
        // Launched after the servers, so closed before them.
        const browser = yield* launch

        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.authorizationCodePkce({
            authorizationUrl: `${oidc.issuer}/auth`,
            tokenUrl: oidc.tokenUrl,
            clientId: "cli",
            scope: ["openid", "offline_access"],
            authorizationParams: { prompt: "consent" },
            redirectUriDomain: "127.0.0.1",
            redirectUriPort: port,
            redirectUriEndpoint: "callback",
            onToken: (token) => Effect.sync(() => tokens.push(token))
          })
        ).pipe(Effect.provide(browser.layer(logIn("alice"))))

        const me = yield* client.get(`${api.origin}/me`)
        expect(me.status).toBe(200)
        expect(yield* me.json).toEqual({ client: "cli", sub: "alice" })
        // a second call uses the cached token: no second login
        expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
        expect(browser.pages.length).toBe(1)
        expect(yield* oidc.tokenRequests).toBe(1)
        expect(browser.errors).toEqual([])

        // oidc-provider checked the PKCE verifier and the redirect_uri; the token came with a refresh token
        expect(tokens.length).toBe(1)
        expect(tokens[0]!.refreshToken).toBeDefined()
        expect(tokens[0]!.idToken).toBeDefined()
        expect(Redacted.value(tokens[0]!.accessToken).length).toBeGreaterThan(20)

        // The browser went to the authorization endpoint with an S256 challenge and ended on our success page.
        const authorize = browser.exchanges.find((exchange) => exchange.url.startsWith(`${oidc.issuer}/auth?`))!
        const sent = new URL(authorize.url).searchParams
        expect(sent.get("code_challenge_method")).toBe("S256")
        expect(sent.get("redirect_uri")).toBe(redirectUri)
        const callback = browser.exchanges.find((exchange) => exchange.url.startsWith(`${redirectUri}?`))!
        expect(callback.status).toBe(200)
        expect(new URL(callback.url).searchParams.get("iss")).toBe(oidc.issuer)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )
})
