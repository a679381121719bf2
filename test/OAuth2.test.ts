import { describe, expect, it } from "@effect/vitest"
import { HttpClient } from "@effect/platform"
import { Effect, Layer, Redacted, Schedule, TestClock } from "effect"
import { HttpAuth, OAuth2, TokenCache } from "../src/index.js"
import { TestAuthorizationServer } from "../src/testing/index.js"

const tokenUrl = "https://auth.test/token"
const Server = (script: ReadonlyArray<TestAuthorizationServer.Step> = []) =>
  TestAuthorizationServer.layer({ tokenUrl, script })
const options = { tokenUrl, clientId: "app", clientSecret: Redacted.make("s3cret"), scope: ["read", "write"] }

const inspect = Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (server) =>
  Effect.zip(server.tokenRequests, server.resourceRequests)
)

describe("OAuth2 engine (in-memory servers)", () => {
  it.scoped("client credentials: one token request, then the cached token on every request", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(OAuth2.clientCredentials(options))
      for (let i = 0; i < 3; i++) expect((yield* client.get("https://api.test/me")).status).toBe(200)
      const [tokens, resources] = yield* inspect
      expect(tokens).toEqual([
        {
          params: { grant_type: "client_credentials", scope: "read write" },
          authorization: `Basic ${Buffer.from("app:s3cret").toString("base64")}`
        }
      ])
      expect(resources.map((r) => r.authorization)).toEqual(Array(3).fill("Bearer access-1"))
    }).pipe(Effect.provide(Server()))
  )

  it.scoped(
    "a storm of 1,000 concurrent requests on a cold cache makes 1 token request, and 1 again after expiry",
    () =>
      Effect.gen(function* () {
        const client = yield* HttpAuth.client(OAuth2.clientCredentials(options))
        const storm = Effect.forEach(Array.from({ length: 1000 }), () => client.get("https://api.test/me"), {
          concurrency: "unbounded"
        })
        const first = yield* storm
        expect(first.every((r) => r.status === 200)).toBe(true)
        expect((yield* inspect)[0].length).toBe(1)
        yield* TestClock.adjust("3590 seconds") // inside the 30 s early expiry
        const second = yield* storm
        expect(second.every((r) => r.status === 200)).toBe(true)
        const [tokens, resources] = yield* inspect
        // the expired token had a refresh token (scripted: client credentials get none by default): one refresh for the whole storm
        expect(tokens.map((t) => t.params.grant_type)).toEqual(["client_credentials", "refresh_token"])
        expect(resources.slice(1000).every((r) => r.authorization === "Bearer access-2")).toBe(true)
      }).pipe(Effect.provide(Server([TestAuthorizationServer.token({ refreshToken: "refresh-1" })])))
  )

  it.scoped("refreshes an expired token with its refresh token, keeping the old one when none comes back", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const client = yield* HttpAuth.client(
        OAuth2.password({
          tokenUrl,
          username: "alice",
          password: "pw",
          clientId: "cli",
          onToken: (token) => Effect.sync(() => seen.push(Redacted.value(token.accessToken)))
        })
      )
      yield* client.get("https://api.test/a")
      yield* TestClock.adjust("1 hour")
      yield* client.get("https://api.test/b")
      yield* TestClock.adjust("1 hour")
      yield* client.get("https://api.test/c")
      const [tokens] = yield* inspect
      expect(tokens.map((t) => t.params)).toEqual([
        { grant_type: "password", username: "alice", password: "pw", client_id: "cli" },
        { grant_type: "refresh_token", refresh_token: "refresh-1", client_id: "cli" },
        { grant_type: "refresh_token", refresh_token: "refresh-1", client_id: "cli" }
      ])
      expect(seen).toEqual(["access-1", "fresh-2", "access-3"])
    }).pipe(
      Effect.provide(
        Server([
          TestAuthorizationServer.token(),
          TestAuthorizationServer.token({ accessToken: "fresh-2", refreshToken: null })
        ])
      )
    )
  )

  it.scoped("falls back to the full grant once when the refresh token is refused with invalid_grant", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(OAuth2.password({ tokenUrl, username: "alice", password: "pw" }))
      yield* client.get("https://api.test/a")
      yield* TestClock.adjust("1 hour")
      expect((yield* client.get("https://api.test/b")).status).toBe(200)
      const [tokens] = yield* inspect
      expect(tokens.map((t) => t.params.grant_type)).toEqual(["password", "refresh_token", "password"])
    }).pipe(Effect.provide(Server([TestAuthorizationServer.token(), TestAuthorizationServer.error("invalid_grant")])))
  )

  it.scoped("on a 401 drops the token and sends again once with a fresh one", () =>
    Effect.gen(function* () {
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      const client = yield* HttpAuth.client(OAuth2.clientCredentials(options))
      yield* client.get("https://api.test/a")
      yield* server.revoke("access-1")
      expect((yield* client.get("https://api.test/b")).status).toBe(200)
      const [tokens, resources] = yield* inspect
      expect(resources.map((r) => `${r.authorization} ${r.status}`)).toEqual([
        "Bearer access-1 200",
        "Bearer access-1 401",
        "Bearer access-2 200"
      ])
      expect(tokens.length).toBe(2)
    }).pipe(Effect.provide(Server()))
  )

  // tokens of 0 s: the resource server refuses each one as soon as it is issued
  const refusedEveryTime = Server(Array.from({ length: 5 }, () => TestAuthorizationServer.token({ expiresIn: 0 })))

  it.scoped("a second 401 in a row is returned to the caller, without a loop", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(OAuth2.clientCredentials({ ...options, earlyExpiry: 0 }))
      expect((yield* client.get("https://api.test/a")).status).toBe(401)
      const [tokens, resources] = yield* inspect
      expect(resources.map((r) => `${r.authorization} ${r.status}`)).toEqual([
        "Bearer access-1 401",
        "Bearer access-2 401"
      ])
      expect(tokens.length).toBe(2)
    }).pipe(Effect.provide(refusedEveryTime))
  )

  it.scoped("retryUnauthorized takes a Schedule: recurs(2) sends three times, Schedule.stop once", () =>
    Effect.gen(function* () {
      const three = yield* HttpAuth.client(
        OAuth2.clientCredentials({ ...options, earlyExpiry: 0, retryUnauthorized: Schedule.recurs(2) })
      )
      expect((yield* three.get("https://api.test/a")).status).toBe(401)
      expect((yield* inspect)[1].length).toBe(3)
      const one = yield* HttpAuth.client(
        OAuth2.clientCredentials({ ...options, scope: "x", earlyExpiry: 0, retryUnauthorized: Schedule.stop })
      )
      expect((yield* one.get("https://api.test/b")).status).toBe(401)
      expect((yield* inspect)[1].length).toBe(4)
    }).pipe(Effect.provide(refusedEveryTime))
  )

  it.scoped("a cache given in the options is used, and auths that differ only in secret do not share a token", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      const a = yield* HttpAuth.client(OAuth2.clientCredentials({ ...options, cache }))
      const b = yield* HttpAuth.client(OAuth2.clientCredentials({ ...options, clientSecret: "other", cache }))
      const c = yield* HttpAuth.client(OAuth2.clientCredentials({ ...options, scope: "write read", cache }))
      yield* a.get("https://api.test/a")
      yield* b.get("https://api.test/b")
      yield* c.get("https://api.test/c")
      const [tokens, resources] = yield* inspect
      expect(tokens.length).toBe(2)
      expect(resources.map((r) => r.authorization)).toEqual(["Bearer access-1", "Bearer access-2", "Bearer access-1"])
    }).pipe(Effect.provide(Server()))
  )

  it.effect("through HttpAuth.layer: the program's requests carry the token, the token request does not", () =>
    Effect.gen(function* () {
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get("https://api.test/me")).pipe(
        Effect.provide(HttpAuth.layer(OAuth2.clientCredentials(options)).pipe(Layer.provide(TokenCache.layerMemory)))
      )
      expect(response.status).toBe(200)
      const [tokens, resources] = yield* inspect
      expect(tokens.map((t) => t.authorization)).toEqual([`Basic ${Buffer.from("app:s3cret").toString("base64")}`])
      expect(resources.map((r) => r.authorization)).toEqual(["Bearer access-1"])
    }).pipe(Effect.provide(Server()))
  )
})
