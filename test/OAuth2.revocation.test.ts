/**
 * Revocation (RFC 7009) and introspection (RFC 7662) against oidc-provider's `features.revocation`
 * and `features.introspection`, their endpoints discovered from the issuer: after `revoke`,
 * introspection says `active: false`, the API refuses the token, and the auth gets a new one.
 */
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Redacted, Stream } from "effect"
import type { AuthError } from "../src/index.js"
import { HttpAuth, OAuth2, type Token } from "../src/index.js"
import { basicApp, oidcWithApi } from "./fixtures/oidcProvider.js"
import { serve } from "./fixtures/server.js"

const clients = [basicApp("api:read")]

const servers = oidcWithApi({
  clients,
  features: { revocation: { enabled: true, allowedPolicy: async () => true } },
  configuration: { scopes: ["openid", "api:read"] }
})

describe("OAuth2.revoke and OAuth2.introspect against oidc-provider", () => {
  it.scoped(
    "introspect says active; revoke; introspect says inactive; the API refuses it; the auth gets a new one",
    () =>
      Effect.gen(function* () {
        const { oidc, api } = yield* servers
        const issued: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.clientCredentials({
            issuer: oidc.issuer,
            clientId: "basic-app",
            clientSecret: "basic-secret",
            scope: "api:read",
            onToken: (token) => Effect.sync(() => issued.push(token))
          })
        )
        expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
        const first = issued[0]!.accessToken
        const asResourceServer = { issuer: oidc.issuer, clientId: "resource-server", clientSecret: "rs-secret" }

        const before = yield* OAuth2.introspect({ ...asResourceServer, token: first, tokenTypeHint: "access_token" })
        expect(before.active).toBe(true)
        expect(before.client_id).toBe("basic-app")
        expect(before.scope).toBe("api:read")
        expect(before.token_type).toBe("Bearer")
        expect(typeof before.exp).toBe("number")

        yield* OAuth2.revoke({
          issuer: oidc.issuer,
          token: first,
          tokenTypeHint: "access_token",
          clientId: "basic-app",
          clientSecret: "basic-secret"
        })
        const after = yield* OAuth2.introspect({ ...asResourceServer, token: first })
        expect(after).toEqual({ active: false })

        // the API refuses the revoked token (401); the auth drops it, gets a new one and sends again
        const again = yield* client.get(`${api.origin}/me`)
        expect(again.status).toBe(200)
        expect(issued.length).toBe(2)
        expect(Redacted.value(issued[1]!.accessToken)).not.toBe(Redacted.value(first))
        expect(yield* oidc.tokenRequests).toBe(2)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped(
    "errors: a wrong client secret is the server's invalid_client; no endpoint and no issuer is InvalidOptions",
    () =>
      Effect.gen(function* () {
        const { oidc } = yield* servers
        const refused = yield* Effect.flip(
          OAuth2.revoke({
            revocationUrl: `${oidc.issuer}/token/revocation`,
            token: "some-token",
            clientId: "basic-app",
            clientSecret: "not-the-secret"
          })
        )
        expect(refused._tag).toBe("OAuth2Error")
        expect((refused as AuthError.OAuth2Error).error).toBe("invalid_client")
        expect((refused as AuthError.OAuth2Error).status).toBe(401)
        expect(refused.message).not.toContain("not-the-secret")
        expect(refused.message).not.toContain("some-token")

        const missing = yield* Effect.flip(OAuth2.introspect({ token: "t", clientId: "resource-server" }))
        expect(missing.message).toBe(
          'OAuth2.introspect: option "introspectionUrl" is mandatory, unless issuer is given'
        )

        // an unknown token is not an error (RFC 7009 section 2.2): 200
        yield* OAuth2.revoke({
          issuer: oidc.issuer,
          token: "unknown",
          clientId: "basic-app",
          clientSecret: "basic-secret"
        })
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("revokeOnClose: closing the auth's scope revokes its cached token (logout as a finalizer)", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const issued: Array<Token.Token> = []
      yield* Effect.scoped(
        Effect.gen(function* () {
          const client = yield* HttpAuth.client(
            OAuth2.clientCredentials({
              issuer: oidc.issuer,
              clientId: "basic-app",
              clientSecret: "basic-secret",
              revokeOnClose: true,
              onToken: (token) => Effect.sync(() => issued.push(token))
            })
          )
          expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
          const open = yield* OAuth2.introspect({
            issuer: oidc.issuer,
            token: issued[0]!.accessToken,
            clientId: "resource-server",
            clientSecret: "rs-secret"
          })
          expect(open.active).toBe(true)
        })
      )
      const closed = yield* OAuth2.introspect({
        issuer: oidc.issuer,
        token: issued[0]!.accessToken,
        clientId: "resource-server",
        clientSecret: "rs-secret"
      })
      expect(closed).toEqual({ active: false })

      const noEndpoint = yield* Effect.flip(
        OAuth2.clientCredentials({
          tokenUrl: oidc.tokenUrl,
          clientId: "basic-app",
          clientSecret: "basic-secret",
          revokeOnClose: true
        })
      )
      expect(noEndpoint.message).toBe(
        'OAuth2.clientCredentials: option "revocationUrl" is needed with revokeOnClose, unless issuer is given'
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped(
    "revokeOnClose: an endless answer of the revocation endpoint is read to 1 MiB, then a warning without the token",
    () =>
      Effect.gen(function* () {
        // a server of ours: a token, then a 503 whose body never ends (before the bound, the close read it forever)
        const chunk = new Uint8Array(64 * 1024).fill(120)
        const server = yield* serve((seen) =>
          seen.url === "/token"
            ? HttpServerResponse.unsafeJson({ access_token: "at-secret-1", token_type: "Bearer", expires_in: 3600 })
            : seen.url === "/revoke"
              ? Effect.succeed(HttpServerResponse.stream(Stream.repeatValue(chunk), { status: 503 }))
              : HttpServerResponse.text("ok")
        )
        const logs: Array<string> = []
        const logger = Logger.make(({ message }) => logs.push(String(message)))
        yield* Effect.scoped(
          Effect.gen(function* () {
            const client = yield* HttpAuth.client(
              OAuth2.clientCredentials({
                tokenUrl: `${server.origin}/token`,
                revocationUrl: `${server.origin}/revoke`,
                clientId: "app",
                clientSecret: "client-secret-1",
                revokeOnClose: true
              })
            )
            expect((yield* client.get(`${server.origin}/me`)).status).toBe(200)
          })
        ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        expect(logs).toEqual([
          "OAuth2.clientCredentials: revokeOnClose could not revoke the access_token: the revocation endpoint answered HTTP 503"
        ])
        const seen = yield* server.seen
        expect(seen.map((request) => request.url)).toEqual(["/token", "/me", "/revoke"])
        expect(seen[2]!.body).toBe("token=at-secret-1&token_type_hint=access_token")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
