/**
 * The browser presets: Okta, Microsoft Entra ID (Azure AD), WakaTime. The
 * person is BrowserTest (over the listener's socket); the token endpoint
 * and the API are TestAuthorizationServer, at the provider's token URL.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { AzureAD, HttpAuth, Okta, WakaTime } from "../src/index.js"
import { BrowserTest, TestAuthorizationServer } from "../src/testing/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"

const Test = (tokenUrl: string, script: ReadonlyArray<TestAuthorizationServer.Step> = []) =>
  Layer.merge(BrowserTest.layer(), TestAuthorizationServer.layer({ tokenUrl, script }))

const server = TestAuthorizationServer.TestAuthorizationServer
const get = <E, R>(auth: HttpAuth.Input<E, R>, url = "https://api.test/me") =>
  Effect.flatMap(HttpAuth.client(auth), (client) => client.get(url))
const endpointOf = (url: string) => url.split("?")[0]

describe("Okta browser presets", () => {
  it.scoped("authorizationCodePkce: Okta's endpoints, scope openid, an S256 challenge", () =>
    Effect.gen(function* () {
      const response = yield* get(
        Okta.authorizationCodePkce({ instance: "dev-1.okta.com", clientId: "0oa1", redirectUriPort: 0 })
      )
      expect(response.status).toBe(200)
      const [visit] = yield* BrowserTest.visits
      expect(endpointOf(visit!.url)).toBe("https://dev-1.okta.com/oauth2/default/v1/authorize")
      expect(visit!.params).toMatchObject({ client_id: "0oa1", scope: "openid", code_challenge_method: "S256" })
      const [exchange] = yield* Effect.flatMap(server, (s) => s.tokenRequests)
      expect(exchange!.params).toMatchObject({ grant_type: "authorization_code", client_id: "0oa1" })
      expect(exchange!.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }).pipe(Effect.provide(Test("https://dev-1.okta.com/oauth2/default/v1/token")))
  )

  it.scoped("authorizationCode: another authorization server, a client secret in Basic, never in the URL", () =>
    Effect.gen(function* () {
      yield* get(
        Okta.authorizationCode({
          instance: "dev-1.okta.com",
          authorizationServer: "aus1",
          clientId: "0oa1",
          clientSecret: "okta-secret",
          scope: "openid email",
          redirectUriPort: 0
        })
      )
      const [visit] = yield* BrowserTest.visits
      expect(endpointOf(visit!.url)).toBe("https://dev-1.okta.com/oauth2/aus1/v1/authorize")
      expect(visit!.params.scope).toBe("openid email")
      expect(visit!.url).not.toContain("okta-secret")
      const [exchange] = yield* Effect.flatMap(server, (s) => s.tokenRequests)
      expect(exchange!.authorization).toBe(`Basic ${Buffer.from("0oa1:okta-secret").toString("base64")}`)
    }).pipe(Effect.provide(Test("https://dev-1.okta.com/oauth2/aus1/v1/token")))
  )

  it.scoped("implicit and implicitIdToken: scope openid profile email, a nonce for the id_token", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const options = { instance: "dev-1.okta.com", clientId: "0oa1", redirectUriPort: 0 }
      const access = yield* Effect.flatMap(get(Okta.implicit(options), `${api.origin}/a`), seenOf)
      const id = yield* Effect.flatMap(get(Okta.implicitIdToken(options), `${api.origin}/b`), seenOf)
      expect(access.headers.authorization).toBe("Bearer access-1")
      expect(id.headers.authorization).toMatch(/^Bearer ey/)
      const [first, second] = yield* BrowserTest.visits
      expect(endpointOf(first!.url)).toBe("https://dev-1.okta.com/oauth2/default/v1/authorize")
      expect(first!.params).toMatchObject({ response_type: "token", scope: "openid profile email" })
      expect(first!.params.nonce).toBeUndefined()
      expect(second!.params).toMatchObject({ response_type: "id_token", scope: "openid profile email" })
      expect(second!.params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }).pipe(Effect.provide(Layer.merge(BrowserTest.layer(), NodeHttpClient.layerUndici)))
  )

  it.scoped("refuses a bad instance", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Okta.implicit({ instance: "dev-1.okta.com/x", clientId: "0oa1" })).pipe(
        Effect.provide(NodeHttpClient.layerUndici)
      )
      expect(error.message).toBe(
        'Okta.implicit: option "instance" must be a host name such as "dev-123.okta.com", not "dev-1.okta.com/x"'
      )
    })
  )
})

describe("Microsoft Entra ID (Azure AD) presets", () => {
  it.scoped("implicit and implicitIdToken on the v1 authorization endpoint", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const options = { tenantId: "contoso.onmicrosoft.com", clientId: "app-guid", redirectUriPort: 0 }
      yield* get(AzureAD.implicit(options), `${api.origin}/a`)
      yield* get(AzureAD.implicitIdToken({ ...options, nonce: "n-1" }), `${api.origin}/b`)
      const [first, second] = yield* BrowserTest.visits
      expect(endpointOf(first!.url)).toBe("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize")
      expect(first!.params).toMatchObject({ response_type: "token", client_id: "app-guid" })
      expect(second!.params).toMatchObject({ response_type: "id_token", nonce: "n-1" })
      const seen = yield* api.seen
      expect(seen.map((s) => s.headers.authorization?.slice(0, 9))).toEqual(["Bearer ac", "Bearer ey"])
    }).pipe(Effect.provide(Layer.merge(BrowserTest.layer(), NodeHttpClient.layerUndici)))
  )

  it.scoped("authorizationCodePkce on the v2.0 endpoints, with Microsoft's default scopes", () =>
    Effect.gen(function* () {
      expect(
        (yield* get(AzureAD.authorizationCodePkce({ tenantId: "common", clientId: "app-guid", redirectUriPort: 0 })))
          .status
      ).toBe(200)
      const [visit] = yield* BrowserTest.visits
      expect(endpointOf(visit!.url)).toBe("https://login.microsoftonline.com/common/oauth2/v2.0/authorize")
      expect(visit!.params).toMatchObject({ scope: "openid profile offline_access", code_challenge_method: "S256" })
      const [exchange] = yield* Effect.flatMap(server, (s) => s.tokenRequests)
      expect(exchange!.params.code_verifier).toBeDefined()
      const error = yield* Effect.flip(AzureAD.implicit({ tenantId: "a/b", clientId: "x" }))
      expect(error.message).toBe(
        'AzureAD.implicit: option "tenantId" must be a tenant id, a domain or "common", not "a/b"'
      )
    }).pipe(Effect.provide(Test("https://login.microsoftonline.com/common/oauth2/v2.0/token")))
  )
})

describe("WakaTime preset", () => {
  it.scoped("scopes joined with commas, the secret in the token form only, a form-encoded token response", () =>
    Effect.gen(function* () {
      const response = yield* get(
        WakaTime.authorizationCode({
          clientId: "waka-app",
          clientSecret: "waka-secret",
          scope: ["read_stats", "email"],
          redirectUriPort: 0,
          retryUnauthorized: Schedule.recurs(0)
        })
      )
      const [visit] = yield* BrowserTest.visits
      expect(endpointOf(visit!.url)).toBe("https://wakatime.com/oauth/authorize")
      expect(visit!.params).toMatchObject({ scope: "read_stats,email", client_id: "waka-app", response_type: "code" })
      expect(visit!.url).not.toContain("waka-secret")
      const [exchange] = yield* Effect.flatMap(server, (s) => s.tokenRequests)
      expect(exchange!.params).toMatchObject({
        grant_type: "authorization_code",
        client_id: "waka-app",
        client_secret: "waka-secret",
        code: "code-1"
      })
      expect(exchange!.authorization).toBeUndefined()
      // the form-encoded token was read and sent (the in-memory API does not know it: 401)
      const [resource] = yield* Effect.flatMap(server, (s) => s.resourceRequests)
      expect(resource!.authorization).toBe("Bearer waka_tok_1")
      expect(response.status).toBe(401)
    }).pipe(
      Effect.provide(
        Test("https://wakatime.com/oauth/token", [
          TestAuthorizationServer.status(
            200,
            "access_token=waka_tok_1&refresh_token=waka_ref_1&token_type=bearer&uid=u1&expires_at=2030-01-01T00%3A00%3A00Z",
            { "content-type": "application/x-www-form-urlencoded" }
          )
        ])
      )
    )
  )

  it.scoped("refuses a missing or malformed scope", () =>
    Effect.gen(function* () {
      const empty = yield* Effect.flip(WakaTime.authorizationCode({ clientId: "a", clientSecret: "s", scope: [] }))
      expect(empty.message).toBe(
        'WakaTime.authorizationCode: option "scope" is mandatory: a list of WakaTime scopes such as read_stats'
      )
      const bad = yield* Effect.flip(WakaTime.authorizationCode({ clientId: "a", clientSecret: "s", scope: ["a b"] }))
      expect(bad.message).toBe('WakaTime.authorizationCode: option "scope" holds "a b", which is not a WakaTime scope')
    }).pipe(Effect.provide(Test("https://wakatime.com/oauth/token")))
  )
})
