/**
 * The one OAuth 2 pipeline (issue 12): a `ClientAuth` value in every grant,
 * one refresh rule, the refresh's scope, the authorization URL's own
 * parameters, cache keys without what changes on every run, short-lived
 * tokens, and token requests that end with the scope that made the auth.
 */
import { describe, expect, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Exit, Fiber, Layer, Schedule, Scope, TestClock } from "effect"
import { type ClientAuth, HttpAuth, OAuth2, Okta, TokenCache } from "../src/index.js"
import { BrowserTest, TestAuthorizationServer } from "../src/testing/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"

const tokenUrl = "https://auth.test/token"
const authorizationUrl = "https://auth.test/authorize"
const Server = (...script: ReadonlyArray<TestAuthorizationServer.Step>) =>
  TestAuthorizationServer.layer({ tokenUrl, script })
const requests = Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (server) => server.tokenRequests)

/** A client authentication method of the user's own: a signed header, no secret in the form. */
const signedHeader = (clientId: string): ClientAuth.ClientAuth => ({
  method: "x_signed_header",
  clientId,
  apply: (request) =>
    Effect.succeed({
      ...request,
      params: { ...request.params, client_id: clientId },
      headers: { ...request.headers, authorization: `Signed ${clientId}:${request.params.grant_type}` }
    })
})

const get = <E, R>(auth: HttpAuth.Input<E, R>, url = "https://api.test/me") =>
  Effect.flatMap(HttpAuth.client(auth), (client) => client.get(url))

describe("a ClientAuth value in every grant", () => {
  it.scoped("client credentials, password and refresh: the value authenticates, no clientSecret needed", () =>
    Effect.gen(function* () {
      yield* get(OAuth2.clientCredentials({ tokenUrl, clientAuth: signedHeader("svc"), scope: "read" }))
      const password = yield* HttpAuth.client(
        OAuth2.password({ tokenUrl, username: "alice", password: "pw", clientAuth: signedHeader("cli") })
      )
      yield* password.get("https://api.test/a")
      yield* TestClock.adjust("1 hour")
      yield* password.get("https://api.test/b")
      expect(yield* requests).toEqual([
        {
          params: { grant_type: "client_credentials", scope: "read", client_id: "svc" },
          authorization: "Signed svc:client_credentials"
        },
        {
          params: { grant_type: "password", username: "alice", password: "pw", client_id: "cli" },
          authorization: "Signed cli:password"
        },
        {
          params: { grant_type: "refresh_token", refresh_token: "refresh-2", client_id: "cli" },
          authorization: "Signed cli:refresh_token"
        }
      ])
    }).pipe(Effect.provide(Server()))
  )

  it.scoped("the authorization code grant: the code exchange is authenticated by the value", () =>
    Effect.gen(function* () {
      yield* get(
        OAuth2.authorizationCode({ authorizationUrl, tokenUrl, clientAuth: signedHeader("web"), redirectUriPort: 0 })
      )
      const [visit] = yield* BrowserTest.visits
      expect(visit!.params.client_id).toBe("web")
      const [exchange] = yield* requests
      expect(exchange!.authorization).toBe("Signed web:authorization_code")
      expect(exchange!.params.client_id).toBe("web")
    }).pipe(Effect.provide(Layer.merge(BrowserTest.layer(), Server())))
  )

  it.scoped("a clientId other than the value's, or a method name without a secret, is refused when built", () =>
    Effect.gen(function* () {
      const other = yield* Effect.flip(
        OAuth2.clientCredentials({ tokenUrl, clientId: "app", clientAuth: signedHeader("svc") })
      )
      expect(other.message).toBe('OAuth2.clientCredentials: option "clientId" is "app", while clientAuth is for svc')
      const noSecret = yield* Effect.flip(OAuth2.clientCredentials({ tokenUrl, clientId: "app" }))
      expect(noSecret.message).toBe(
        'OAuth2.clientCredentials: option "clientSecret" is needed with clientAuth client_secret_basic'
      )
      const postNoSecret = yield* Effect.flip(
        OAuth2.password({ tokenUrl, username: "u", password: "p", clientId: "a", clientAuth: "client_secret_post" })
      )
      expect(postNoSecret.message).toBe(
        'OAuth2.password: option "clientSecret" is needed with clientAuth client_secret_post'
      )
      const notAValue = yield* Effect.flip(OAuth2.clientCredentials({ tokenUrl, clientAuth: {} as never }))
      expect(notAValue.message).toContain('option "clientAuth" must be a method name or a ClientAuth')
    }).pipe(Effect.provide(Server()))
  )
})

describe("one refresh rule", () => {
  for (const refused of ["invalid_grant", "invalid_request", "unauthorized_client", "invalid_scope"]) {
    it.scoped(`a refresh refused with ${refused} runs the full grant once`, () =>
      Effect.gen(function* () {
        const client = yield* HttpAuth.client(OAuth2.password({ tokenUrl, username: "alice", password: "pw" }))
        yield* client.get("https://api.test/a")
        yield* TestClock.adjust("1 hour")
        expect((yield* client.get("https://api.test/b")).status).toBe(200)
        expect((yield* requests).map((r) => r.params.grant_type)).toEqual(["password", "refresh_token", "password"])
      }).pipe(Effect.provide(Server(TestAuthorizationServer.token(), TestAuthorizationServer.error(refused))))
    )
  }

  it.scoped("a refused refresh whose full grant fails: the grant's error, and the token is not kept (file cache)", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      const auth = OAuth2.password({ tokenUrl, username: "alice", password: "pw", cache })
      const client = yield* HttpAuth.client(auth)
      yield* client.get("https://api.test/a")
      yield* TestClock.adjust("1 hour")
      const error = yield* Effect.flip(client.get("https://api.test/b"))
      expect(error.message).toContain("access_denied")
      // the expired token and its refresh token are gone: the next request runs the full grant, no refresh
      expect((yield* cache.get(OAuth2.cacheKey({ grant: "password", tokenUrl })))._tag).toBe("None")
      expect((yield* client.get("https://api.test/c")).status).toBe(200)
      expect((yield* requests).map((r) => r.params.grant_type)).toEqual([
        "password",
        "refresh_token",
        "password",
        "password"
      ])
    }).pipe(
      Effect.provide(
        Server(
          TestAuthorizationServer.token(),
          TestAuthorizationServer.error("invalid_request"),
          TestAuthorizationServer.error("access_denied")
        )
      )
    )
  )

  it.scoped("a refresh carries the grant's scope", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(
        OAuth2.password({ tokenUrl, username: "alice", password: "pw", clientId: "cli", scope: ["openid", "email"] })
      )
      yield* client.get("https://api.test/a")
      yield* TestClock.adjust("1 hour")
      yield* client.get("https://api.test/b")
      const [, refresh] = yield* requests
      expect(refresh!.params).toEqual({
        grant_type: "refresh_token",
        refresh_token: "refresh-1",
        scope: "openid email",
        client_id: "cli"
      })
    }).pipe(Effect.provide(Server()))
  )
})

describe("short-lived tokens", () => {
  it.scoped("20-second tokens with the default 30 s earlyExpiry: 5 requests, 1 token request", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(OAuth2.clientCredentials({ tokenUrl, clientId: "app", clientSecret: "s" }))
      for (let i = 0; i < 5; i++) {
        expect((yield* client.get(`https://api.test/${i}`)).status).toBe(200)
        yield* TestClock.adjust("1 second")
      }
      expect((yield* requests).length).toBe(1)
      // renewed at half its lifetime
      yield* TestClock.adjust("5 seconds")
      yield* client.get("https://api.test/again")
      expect((yield* requests).length).toBe(2)
    }).pipe(Effect.provide(Server(TestAuthorizationServer.token({ expiresIn: 20 }))))
  )
})

describe("the authorization URL's own parameters", () => {
  const WithApi = Layer.merge(BrowserTest.layer(), NodeHttpClient.layerUndici)

  it.scoped("response_type in the URL is sent as given, not the default", () =>
    Effect.gen(function* () {
      yield* get(
        OAuth2.authorizationCode({
          authorizationUrl: `${authorizationUrl}?response_type=my_code&audience=api`,
          tokenUrl,
          clientId: "app",
          redirectUriPort: 0
        })
      )
      const [visit] = yield* BrowserTest.visits
      expect(visit!.params.response_type).toBe("my_code")
      expect(visit!.params.audience).toBe("api")
      expect(new URL(visit!.url).searchParams.getAll("response_type")).toEqual(["my_code"])
    }).pipe(Effect.provide(Layer.merge(BrowserTest.layer(BrowserTest.code("c-1")), Server())))
  )

  it.scoped("implicit: response_type=id_token in the URL reads the token from id_token, with a nonce", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      const auth = OAuth2.implicit({
        authorizationUrl: `${authorizationUrl}?response_type=id_token`,
        clientId: "app",
        redirectUriPort: 0,
        cache
      })
      const api = yield* serve(echo)
      const sent = yield* get(auth, `${api.origin}/me`)
      const [visit] = yield* BrowserTest.visits
      expect(visit!.params.response_type).toBe("id_token")
      expect(visit!.params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const seen = yield* seenOf(sent)
      // the id_token (a JWT carrying the nonce sent) is the token sent
      const jwt = seen.headers.authorization!.replace(/^Bearer /, "")
      const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"))
      expect(claims.nonce).toBe(visit!.params.nonce)
    }).pipe(Effect.provide(WithApi))
  )

  it.scoped("two auths that differ only in the nonce share one token: one login", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.make()
      const api = yield* serve(echo)
      const base = { authorizationUrl, clientId: "app", redirectUriPort: 0, cache }
      yield* get(OAuth2.implicit({ ...base, nonce: "first" }), `${api.origin}/me`)
      yield* get(OAuth2.implicit({ ...base, nonce: "second" }), `${api.origin}/me`)
      yield* get(
        OAuth2.implicit({ ...base, authorizationUrl: `${authorizationUrl}?nonce=third&state=s` }),
        `${api.origin}/me`
      )
      expect((yield* BrowserTest.visits).length).toBe(1)
    }).pipe(Effect.provide(WithApi))
  )
})

describe("token requests end with the scope that built the auth", () => {
  it.effect(
    "closing the scope interrupts a token request waiting on its retry; nothing reaches the endpoint after",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const client = yield* HttpAuth.client(
          OAuth2.clientCredentials({
            tokenUrl,
            clientId: "app",
            clientSecret: "s",
            retry: Schedule.spaced("10 seconds").pipe(Schedule.compose(Schedule.recurs(5)))
          })
        ).pipe(Scope.extend(scope))
        const pending = yield* Effect.fork(client.get("https://api.test/me"))
        yield* TestClock.adjust("1 second")
        expect((yield* requests).length).toBe(1)
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.await(pending)
        expect(Exit.isInterrupted(exit)).toBe(true)
        yield* TestClock.adjust("1 minute")
        expect((yield* requests).length).toBe(1)
      }).pipe(Effect.provide(Server(...Array.from({ length: 6 }, () => TestAuthorizationServer.status(503)))))
  )

  it.effect("closing the scope interrupts a pending browser wait; no code is exchanged after", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const client = yield* HttpAuth.client(
        OAuth2.authorizationCode({ authorizationUrl, tokenUrl, clientId: "app", redirectUriPort: 0 })
      ).pipe(Scope.extend(scope))
      const pending = yield* Effect.fork(client.get("https://api.test/me"))
      for (let turn = 0; turn < 10_000 && (yield* BrowserTest.visits).length === 0; turn++) yield* Effect.yieldNow()
      expect((yield* BrowserTest.visits).length).toBe(1)
      yield* Scope.close(scope, Exit.void)
      expect(Exit.isInterrupted(yield* Fiber.await(pending))).toBe(true)
      yield* TestClock.adjust("10 minutes")
      expect((yield* requests).length).toBe(0)
    }).pipe(Effect.provide(Layer.merge(BrowserTest.layer(BrowserTest.noReply), Server())))
  )
})

describe("Okta instance", () => {
  it.scoped("accepts every host name OAuth2 accepts (test_okta, a port); refuses a path", () =>
    Effect.gen(function* () {
      yield* Okta.clientCredentials({ instance: "test_okta", clientId: "a", clientSecret: "s", scope: "x" })
      yield* Okta.clientCredentials({ instance: "okta.test:8443", clientId: "a", clientSecret: "s", scope: "x" })
      const path = yield* Effect.flip(
        Okta.clientCredentials({ instance: "okta.test/evil", clientId: "a", clientSecret: "s", scope: "x" })
      )
      expect(path.message).toContain('option "instance" must be a host name')
    }).pipe(Effect.provide(Server()))
  )
})
