/**
 * The grants against a real authorization server (oidc-provider) and a
 * resource server that validates each token by introspection (RFC 7662).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import type { AuthError } from "../src/index.js"
import { HttpAuth, OAuth2, type Token } from "../src/index.js"
import { basicApp, oidcWithApi } from "./fixtures/oidcProvider.js"
import { echo, serve } from "./fixtures/server.js"

const clients = [
  basicApp("api:read api:write"),
  {
    client_id: "post-app",
    client_secret: "post-secret",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read",
    token_endpoint_auth_method: "client_secret_post"
  },
  {
    client_id: "cli",
    client_secret: "cli-secret",
    grant_types: ["password", "refresh_token"],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: "client_secret_basic"
  }
]

const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`

/** oidc-provider, and an API that asks it whether each bearer token is active. */
const servers = Effect.gen(function* () {
  const { oidc, api } = yield* oidcWithApi({
    clients,
    features: { revocation: { enabled: true, allowedPolicy: async () => true } },
    passwordGrant: { alice: "wonderland" },
    configuration: { scopes: ["openid", "offline_access", "api:read", "api:write"] }
  })
  const revoke = (token: Token.Token, id: string, secret: string) =>
    Effect.promise(() =>
      fetch(`${oidc.issuer}/token/revocation`, {
        method: "POST",
        headers: { authorization: basicAuth(id, secret), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: Redacted.value(token.accessToken) }).toString()
      }).then((response) => response.status)
    )
  return { oidc, api, revoke }
})

describe("OAuth2 against oidc-provider", () => {
  it.scoped("client credentials with client_secret_basic: one token request for many API calls", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const issued: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl: oidc.tokenUrl,
          clientId: "basic-app",
          clientSecret: Redacted.make("basic-secret"),
          scope: ["api:read", "api:write"],
          onToken: (token) => Effect.sync(() => issued.push(token))
        })
      )
      for (let i = 0; i < 3; i++) {
        const response = yield* client.get(`${api.origin}/me`)
        expect(response.status).toBe(200)
        expect(yield* response.json).toEqual({ client: "basic-app", sub: null })
      }
      expect(issued.length).toBe(1)
      expect(yield* oidc.tokenRequests).toBe(1)
      expect(issued[0]!.scope).toBe("api:read api:write")
      expect(issued[0]!.tokenType).toBe("Bearer")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("client credentials with client_secret_post", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl: oidc.tokenUrl,
          clientId: "post-app",
          clientSecret: "post-secret",
          scope: "api:read",
          clientAuth: "client_secret_post"
        })
      )
      const response = yield* client.get(`${api.origin}/me`)
      expect(yield* response.json).toEqual({ client: "post-app", sub: null })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a wrong secret fails with the server's own invalid_client, and the message holds no secret", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({ tokenUrl: oidc.tokenUrl, clientId: "basic-app", clientSecret: "not-the-secret" })
      )
      const error = yield* Effect.flip(client.get(`${api.origin}/me`))
      expect(error._tag).toBe("OAuth2Error")
      const oauth = error as AuthError.OAuth2Error
      expect(oauth.error).toBe("invalid_client")
      expect(oauth.status).toBe(401)
      expect(oauth.message).toBe('OAuth 2 error "invalid_client" (HTTP 401): client authentication failed')
      expect(oauth.message).not.toContain("not-the-secret")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("password grant with offline_access: a refresh token, used when the token expires", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const issued: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.password({
          tokenUrl: oidc.tokenUrl,
          username: "alice",
          password: Redacted.make("wonderland"),
          clientId: "cli",
          clientSecret: "cli-secret",
          scope: "openid offline_access",
          onToken: (token) => Effect.sync(() => issued.push(token))
        })
      )
      expect(yield* Effect.flatMap(client.get(`${api.origin}/me`), (r) => r.json)).toEqual({
        client: "cli",
        sub: "alice"
      })
      expect(issued[0]!.refreshToken).toBeDefined()
      // the engine's clock says the token expired; the server's refresh token is still good
      yield* TestClock.adjust("1 hour")
      expect(yield* Effect.flatMap(client.get(`${api.origin}/me`), (r) => r.json)).toEqual({
        client: "cli",
        sub: "alice"
      })
      expect(issued.length).toBe(2)
      expect(issued[1]!.fields.scope ?? issued[1]!.scope).toBe("openid offline_access")
      expect(Redacted.value(issued[1]!.accessToken)).not.toBe(Redacted.value(issued[0]!.accessToken))
      expect(issued[1]!.refreshToken).toBeDefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a wrong password fails with invalid_grant", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const client = yield* HttpAuth.client(
        OAuth2.password({
          tokenUrl: oidc.tokenUrl,
          username: "alice",
          password: "guess",
          clientId: "cli",
          clientSecret: "cli-secret"
        })
      )
      const error = (yield* Effect.flip(client.get(`${api.origin}/me`))) as AuthError.OAuth2Error
      expect([error._tag, error.error, error.errorDescription]).toEqual([
        "OAuth2Error",
        "invalid_grant",
        "grant request is invalid"
      ])
      expect(error.message).not.toContain("guess")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a revoked token: the API answers 401, the engine fetches a fresh token and sends again", () =>
    Effect.gen(function* () {
      const { oidc, api, revoke } = yield* servers
      const issued: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl: oidc.tokenUrl,
          clientId: "basic-app",
          clientSecret: "basic-secret",
          onToken: (token) => Effect.sync(() => issued.push(token))
        })
      )
      expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
      expect(yield* revoke(issued[0]!, "basic-app", "basic-secret")).toBe(200)
      expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
      expect(issued.length).toBe(2)
      const seen = yield* api.seen
      expect(seen.map((s) => s.headers.authorization)).toEqual([
        `Bearer ${Redacted.value(issued[0]!.accessToken)}`,
        `Bearer ${Redacted.value(issued[0]!.accessToken)}`,
        `Bearer ${Redacted.value(issued[1]!.accessToken)}`
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a storm of 300 concurrent API calls on a cold cache makes 1 token request to the real server", () =>
    Effect.gen(function* () {
      const { oidc } = yield* servers
      const echoApi = yield* serve(echo)
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({ tokenUrl: oidc.tokenUrl, clientId: "basic-app", clientSecret: "basic-secret" })
      )
      const responses = yield* Effect.forEach(Array.from({ length: 300 }), () => client.get(`${echoApi.origin}/x`), {
        concurrency: "unbounded"
      })
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(yield* oidc.tokenRequests).toBe(1)
      expect(new Set((yield* echoApi.seen).map((s) => s.headers.authorization)).size).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
