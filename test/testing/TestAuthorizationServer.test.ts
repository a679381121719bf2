import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import { Bearer, HttpAuth } from "effect-http-auth"
import { TestAuthorizationServer } from "effect-http-auth/testing"

const tokenRequest = (params: Record<string, string>) =>
  HttpClient.execute(HttpClientRequest.post("https://auth.test/token").pipe(HttpClientRequest.bodyUrlParams(params)))

describe("TestAuthorizationServer", () => {
  it.effect(
    "answers the token endpoint from its script, then with fresh tokens (no refresh token for client credentials)",
    () =>
      Effect.gen(function* () {
        const unavailable = yield* tokenRequest({ grant_type: "client_credentials" })
        expect([unavailable.status, unavailable.headers["retry-after"], yield* unavailable.text]).toEqual([
          503,
          "1",
          "busy"
        ])
        const refused = yield* tokenRequest({ grant_type: "refresh_token", refresh_token: "old" })
        expect([refused.status, yield* refused.json]).toEqual([
          400,
          { error: "invalid_grant", error_description: "expired" }
        ])
        // Client credentials get no refresh token unless the script gives one (RFC 6749 section 4.4.3).
        const first = yield* tokenRequest({ grant_type: "client_credentials" })
        expect(yield* first.json).toEqual({ access_token: "access-1", token_type: "Bearer", expires_in: 60 })
        const scripted = yield* tokenRequest({ grant_type: "client_credentials" })
        expect(yield* scripted.json).toEqual({
          access_token: "access-2",
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: "given"
        })
        const unscripted = yield* tokenRequest({ grant_type: "client_credentials" })
        expect(yield* unscripted.json).toEqual({ access_token: "access-3", token_type: "Bearer", expires_in: 3600 })
        const password = yield* tokenRequest({ grant_type: "password", username: "u", password: "p" })
        expect(yield* password.json).toEqual({
          access_token: "access-4",
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: "refresh-4"
        })
        const server = yield* TestAuthorizationServer.TestAuthorizationServer
        expect((yield* server.tokenRequests).map((request) => request.params.grant_type)).toEqual([
          "client_credentials",
          "refresh_token",
          "client_credentials",
          "client_credentials",
          "client_credentials",
          "password"
        ])
      }).pipe(
        Effect.provide(
          TestAuthorizationServer.layer({
            script: [
              TestAuthorizationServer.status(503, "busy", { "retry-after": "1" }),
              TestAuthorizationServer.error("invalid_grant", { description: "expired" }),
              TestAuthorizationServer.token({ expiresIn: 60 }),
              TestAuthorizationServer.token({ refreshToken: "given" })
            ]
          })
        )
      )
  )

  it.effect("the resource server accepts an issued token until it expires on the Clock or is revoked", () =>
    Effect.gen(function* () {
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      yield* tokenRequest({ grant_type: "client_credentials" })
      yield* tokenRequest({ grant_type: "client_credentials" })
      const withAccess = (token: string) =>
        Effect.flatMap(HttpAuth.client(Bearer.make(token)), (client) => client.get("https://api.test/me"))
      expect((yield* withAccess("access-1")).status).toBe(200)
      expect((yield* withAccess("unknown")).status).toBe(401)
      yield* TestClock.adjust(Duration.seconds(61))
      const expired = yield* withAccess("access-1")
      expect([expired.status, expired.headers["www-authenticate"]]).toEqual([401, 'Bearer error="invalid_token"'])
      expect((yield* withAccess("access-2")).status).toBe(200)
      yield* server.revoke("access-2")
      expect((yield* withAccess("access-2")).status).toBe(401)
      expect((yield* server.resourceRequests).map((request) => request.status)).toEqual([200, 401, 401, 200, 401])
    }).pipe(
      Effect.provide(
        TestAuthorizationServer.layer({
          script: [TestAuthorizationServer.token({ expiresIn: 60 }), TestAuthorizationServer.token({ expiresIn: null })]
        })
      )
    )
  )
})
