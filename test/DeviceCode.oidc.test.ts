/**
 * End to end: the device authorization grant against oidc-provider's real device flow
 * (`features.deviceFlow`), discovered from the issuer alone. A headless Chromium opens
 * `verification_uri_complete`, confirms the code, logs in and consents on oidc-provider's pages while
 * the grant polls; then a resource server that introspects each token (RFC 7662) answers.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { Page } from "playwright-core"
import { DeviceDisplay, HttpAuth, OAuth2, type Token } from "../src/index.js"
import { launch, signInAndConsent } from "./fixtures/chromium.js"
import { oidcWithApi } from "./fixtures/oidcProvider.js"

/** The person: confirms the code shown, signs in on the dev login page, then consents. */
const confirmAndLogIn = (login: string) => async (page: Page) => {
  await page.click('button[type="submit"]:not([name="abort"])')
  await page.waitForSelector('input[name="login"]')
  await signInAndConsent(page, login)
}

describe("the device grant against oidc-provider, with headless Chromium", () => {
  it.scopedLive(
    "issuer only: the device code shown, the verification page confirmed in Chromium, the token used",
    () =>
      Effect.gen(function* () {
        const { oidc, api } = yield* oidcWithApi({
          clients: [
            {
              client_id: "tv",
              token_endpoint_auth_method: "none",
              grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
              response_types: [],
              redirect_uris: []
            }
          ],
          features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
          configuration: { scopes: ["openid", "offline_access"] }
        })
        const browser = yield* launch
        const prompts: Array<DeviceDisplay.Prompt> = []
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.deviceCode({
            issuer: oidc.issuer,
            clientId: "tv",
            scope: ["openid", "offline_access"],
            openBrowser: true,
            onToken: (token) => Effect.sync(() => tokens.push(token))
          })
        ).pipe(
          Effect.provide(browser.layer(confirmAndLogIn("alice"))),
          Effect.provide(DeviceDisplay.layer((prompt) => Effect.sync(() => prompts.push(prompt))))
        )

        const me = yield* client.get(`${api.origin}/me`)
        expect(me.status).toBe(200)
        expect(yield* me.json).toEqual({ client: "tv", sub: "alice" })
        expect(browser.errors).toEqual([])
        expect(prompts.length).toBe(1)
        expect(prompts[0]!.verificationUri).toBe(`${oidc.issuer}/device`)
        expect(prompts[0]!.verificationUriComplete).toBe(
          `${oidc.issuer}/device?user_code=${encodeURIComponent(prompts[0]!.userCode)}`
        )
        expect(browser.pages.length).toBe(1)
        expect(tokens.length).toBe(1)
        expect(tokens[0]!.refreshToken).toBeDefined()
        expect(Redacted.value(tokens[0]!.accessToken).length).toBeGreaterThan(20)
        // the id_token (openid was asked) validates against oidc-provider's JWKS (OpenID Connect Core 3.1.3.7)
        const idToken = tokens[0]!.idToken!
        const claims = yield* OAuth2.validateIdToken(idToken, { issuer: oidc.issuer, clientId: "tv" })
        expect(claims.sub).toBe("alice")
        expect(claims.aud).toBe("tv")
        const otherAudience = yield* Effect.flip(
          OAuth2.validateIdToken(idToken, { issuer: oidc.issuer, clientId: "another-client" })
        )
        expect(otherAudience._tag).toBe("InvalidToken")
        expect(otherAudience.message).toBe(
          'Invalid token: id_token: claim aud check failed (check_failed): unexpected "aud" claim value'
        )
        const wrongNonce = yield* Effect.flip(
          OAuth2.validateIdToken(idToken, { issuer: oidc.issuer, clientId: "tv", nonce: "not-sent" })
        )
        expect(wrongNonce.message).toBe(
          "Invalid token: id_token: its nonce is not the one sent with the authorization request"
        )
        // oidc-provider's id_token of the device grant has no at_hash (optional there): nothing to check
        expect(claims.at_hash).toBeUndefined()
        // userinfo with the access token: the discovered userinfo_endpoint
        const info = yield* OAuth2.userinfo({ issuer: oidc.issuer, accessToken: tokens[0]!.accessToken })
        expect(info).toEqual({ sub: "alice" })

        // a second call uses the cached token: no second device login
        expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
        expect(prompts.length).toBe(1)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )
})
