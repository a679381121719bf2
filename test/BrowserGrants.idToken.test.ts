/**
 * The authorization code grant with PKCE given the issuer alone: its endpoints discovered, a nonce
 * sent with openid, and the id_token validated (OpenID Connect Core 3.1.3.7) against oidc-provider's
 * JWKS, its claims on the token. A real headless Chromium logs in on oidc-provider's pages.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { HttpAuth, OAuth2, type Token } from "../src/index.js"
import { launch } from "./fixtures/chromium.js"
import { logIn, protectedApi, startOidcProvider } from "./fixtures/oidcProvider.js"
import { freePort } from "./fixtures/server.js"

describe("authorization code with an issuer: the id_token validated", () => {
  it.scopedLive(
    "issuer only, openid: a nonce sent, the id_token's signature, iss, aud, nonce and at_hash checked",
    () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const redirectUri = `http://127.0.0.1:${port}/callback`
        const oidc = yield* startOidcProvider({
          clients: [
            {
              client_id: "cli",
              application_type: "native",
              token_endpoint_auth_method: "none",
              grant_types: ["authorization_code", "refresh_token"],
              response_types: ["code"],
              redirect_uris: [redirectUri]
            },
            {
              client_id: "resource-server",
              client_secret: "rs-secret",
              grant_types: ["client_credentials"],
              response_types: [],
              redirect_uris: []
            }
          ],
          features: { devInteractions: { enabled: true } },
          configuration: { scopes: ["openid", "offline_access"] }
        })
        const api = yield* protectedApi(oidc, { clientId: "resource-server", clientSecret: "rs-secret" })
        const browser = yield* launch
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.authorizationCodePkce({
            issuer: oidc.issuer,
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
        expect(browser.errors).toEqual([])
        const authorize = browser.exchanges.find((exchange) => exchange.url.startsWith(`${oidc.issuer}/auth?`))!
        const nonce = new URL(authorize.url).searchParams.get("nonce")
        expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/)
        const claims = tokens[0]!.fields.id_token_claims as Record<string, unknown>
        expect(claims.sub).toBe("alice")
        expect(claims.aud).toBe("cli")
        expect(claims.iss).toBe(oidc.issuer)
        expect(claims.nonce).toBe(nonce)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )
})
