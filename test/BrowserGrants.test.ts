/**
 * The browser grants on the token engine, with BrowserTest as the person
 * (over the listener's real socket) and TestAuthorizationServer as the token
 * endpoint and the resource server (in memory, on the Clock).
 */
import { createHash } from "node:crypto"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import { HttpAuth, OAuth2, TokenCache } from "../src/index.js"
import { BrowserTest, createToken, TestAuthorizationServer } from "../src/testing/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"
import { freePort } from "./fixtures/server.js"

const authorizationUrl = "https://auth.test/authorize"
const tokenUrl = "https://auth.test/token"

const Test = (...replies: ReadonlyArray<BrowserTest.Reply>) =>
  Layer.merge(BrowserTest.layer(...replies), TestAuthorizationServer.layer())

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url")

const get = <E, R>(auth: HttpAuth.Input<E, R>, url = "https://api.test/me") =>
  Effect.flatMap(HttpAuth.client(auth), (client) => client.get(url))

describe("OAuth2.authorizationCode", () => {
  it.scoped("opens the authorization URL, exchanges the code with the same redirect_uri, and sends the token", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(
        OAuth2.authorizationCode({
          authorizationUrl: `${authorizationUrl}?tenant=t1`,
          tokenUrl,
          clientId: "app",
          clientSecret: Redacted.make("s3cret"),
          scope: ["openid", "profile"],
          redirectUriPort: 0,
          redirectUriEndpoint: "callback",
          authorizationParams: { audience: "api", prompt: "consent" },
          tokenParams: { resource: "https://api.test" }
        })
      )
      expect((yield* client.get("https://api.test/me")).status).toBe(200)
      expect((yield* client.get("https://api.test/me")).status).toBe(200)

      const [visit, ...more] = yield* BrowserTest.visits
      expect(more).toEqual([])
      const { state, redirect_uri, ...params } = visit!.params
      expect(params).toEqual({
        tenant: "t1",
        audience: "api",
        prompt: "consent",
        response_type: "code",
        client_id: "app",
        scope: "openid profile"
      })
      expect(redirect_uri).toMatch(/^http:\/\/localhost:\d+\/callback$/)
      // The client secret never goes to the browser.
      expect(visit!.url).not.toContain("s3cret")

      const [exchange, ...others] = yield* Effect.flatMap(
        TestAuthorizationServer.TestAuthorizationServer,
        (server) => server.tokenRequests
      )
      expect(others).toEqual([])
      expect(exchange!.params).toEqual({
        resource: "https://api.test",
        grant_type: "authorization_code",
        code: "code-1",
        redirect_uri
      })
      expect(exchange!.authorization).toBe(`Basic ${Buffer.from("app:s3cret").toString("base64")}`)
      const resources = yield* Effect.flatMap(
        TestAuthorizationServer.TestAuthorizationServer,
        (server) => server.resourceRequests
      )
      expect(resources.map((r) => r.authorization)).toEqual(["Bearer access-1", "Bearer access-1"])
    }).pipe(Effect.provide(Test()))
  )

  it.scoped("refreshes an expired token without another login, and logs in again when refresh fails", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(
        OAuth2.authorizationCode({ authorizationUrl, tokenUrl, clientId: "app", redirectUriPort: 0 })
      )
      yield* client.get("https://api.test/a")
      yield* TestClock.adjust("1 hour")
      yield* client.get("https://api.test/b")
      expect((yield* BrowserTest.visits).length).toBe(1)
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      const requests = yield* server.tokenRequests
      expect(requests[1]!.params).toEqual({ grant_type: "refresh_token", refresh_token: "refresh-1", client_id: "app" })

      yield* server.script(TestAuthorizationServer.error("invalid_grant"))
      yield* TestClock.adjust("1 hour")
      expect((yield* client.get("https://api.test/c")).status).toBe(200)
      const visits = yield* BrowserTest.visits
      expect(visits.length).toBe(2)
      expect(visits[0]!.params.state).not.toBe(visits[1]!.params.state)
      expect((yield* server.tokenRequests).map((r) => r.params.grant_type)).toEqual([
        "authorization_code",
        "refresh_token",
        "refresh_token",
        "authorization_code"
      ])
    }).pipe(Effect.provide(Test()))
  )

  it.scoped("caches the token under a key that does not depend on the listener's port", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const options = { authorizationUrl, tokenUrl, clientId: "app", scope: "read" }
      yield* get(OAuth2.authorizationCode({ ...options, redirectUriPort: 0 }))
      yield* get(OAuth2.authorizationCode({ ...options, redirectUriPort: port, redirectUriDomain: "127.0.0.1" }))
      expect((yield* BrowserTest.visits).length).toBe(1)
      // another scope is another token
      yield* get(OAuth2.authorizationCode({ ...options, scope: "write", redirectUriPort: 0 }))
      expect((yield* BrowserTest.visits).length).toBe(2)
    }).pipe(Effect.provide(Layer.merge(Test(), TokenCache.layerMemory)))
  )

  it.scoped("fails the request with the redirect's error; a forged state is answered 400 and the wait goes on", () =>
    Effect.gen(function* () {
      const auth = OAuth2.authorizationCode({ authorizationUrl, tokenUrl, clientId: "app", redirectUriPort: 0 })
      const denied = yield* Effect.flip(get(auth))
      expect(denied._tag).toBe("OAuth2Error")
      expect(denied.message).toBe(
        'OAuth 2 error "invalid_scope": The requested scope is invalid, unknown, or malformed.'
      )
      const forged = yield* Effect.fork(Effect.flip(get(auth)))
      while ((yield* BrowserTest.visits).length < 2 || (yield* BrowserTest.visits)[1]!.status === undefined) {
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      expect((yield* BrowserTest.visits)[1]!.status).toBe(400)
      yield* TestClock.adjust("60 seconds")
      expect((yield* Fiber.join(forged))._tag).toBe("AuthorizationTimeout")
      const tokenRequests = yield* Effect.flatMap(
        TestAuthorizationServer.TestAuthorizationServer,
        (server) => server.tokenRequests
      )
      expect(tokenRequests).toEqual([])
    }).pipe(Effect.provide(Test(BrowserTest.error("invalid_scope"), BrowserTest.wrongState())))
  )

  it.scoped("takes the code from a form_post and from a custom codeField", () =>
    Effect.gen(function* () {
      yield* get(
        OAuth2.authorizationCode({
          authorizationUrl,
          tokenUrl,
          clientId: "app",
          redirectUriPort: 0,
          responseType: "code",
          codeField: "authorization_code",
          authorizationParams: { response_mode: "form_post" }
        })
      )
      const [visit] = yield* BrowserTest.visits
      expect(visit!.responseMode).toBe("form_post")
      const [exchange] = yield* Effect.flatMap(
        TestAuthorizationServer.TestAuthorizationServer,
        (server) => server.tokenRequests
      )
      expect(exchange!.params.code).toBe("xyz")
    }).pipe(Effect.provide(Test(BrowserTest.formPost({ fields: { authorization_code: "xyz" } }))))
  )
})

describe("OAuth2.authorizationCodePkce", () => {
  it.scoped("sends the S256 challenge of a fresh verifier, and the verifier with the code", () =>
    Effect.gen(function* () {
      const options = { authorizationUrl, tokenUrl, clientId: "cli", redirectUriPort: 0 }
      yield* get(OAuth2.authorizationCodePkce(options))
      yield* get(OAuth2.authorizationCodePkce({ ...options, codeVerifierLength: 128 }))
      const visits = yield* BrowserTest.visits
      const requests = yield* Effect.flatMap(
        TestAuthorizationServer.TestAuthorizationServer,
        (server) => server.tokenRequests
      )
      expect(visits.length).toBe(2)
      for (const [i, visit] of visits.entries()) {
        const exchange = requests[i]!
        expect(visit.params.code_challenge_method).toBe("S256")
        expect(visit.params.code_challenge).toBe(s256(exchange.params.code_verifier!))
        expect(exchange.params).toMatchObject({ grant_type: "authorization_code", client_id: "cli" })
        expect(exchange.authorization).toBeUndefined()
      }
      expect(requests[0]!.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(requests[1]!.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{128}$/)
      expect(visits[0]!.params.code_challenge).not.toBe(visits[1]!.params.code_challenge)
    }).pipe(Effect.provide(Test()))
  )
})

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"))

describe("OAuth2.implicit", () => {
  const WithApi = Layer.merge(BrowserTest.layer(), NodeHttpClient.layerUndici)

  it.scoped("takes the token from the fragment, sends it, and logs in again once expires_in has passed", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const client = yield* HttpAuth.client(
        OAuth2.implicit({ authorizationUrl, clientId: "app", scope: "read", redirectUriPort: 0, earlyExpiry: 0 })
      )
      const seen = yield* Effect.flatMap(client.get(`${api.origin}/me`), seenOf)
      expect(seen.headers.authorization).toBe("Bearer access-1")
      yield* TestClock.adjust("3599 seconds")
      expect((yield* Effect.flatMap(client.get(`${api.origin}/me`), seenOf)).headers.authorization).toBe(
        "Bearer access-1"
      )
      yield* TestClock.adjust("1 second")
      expect((yield* Effect.flatMap(client.get(`${api.origin}/me`), seenOf)).headers.authorization).toBe(
        "Bearer access-2"
      )
      const [visit] = yield* BrowserTest.visits
      expect(visit!.params).toMatchObject({ response_type: "token", client_id: "app", scope: "read" })
      expect(visit!.params.nonce).toBeUndefined()
      expect(visit!.responseMode).toBe("fragment")
    }).pipe(Effect.provide(WithApi))
  )

  it.scoped("sends a fresh nonce for an id_token, checks its nonce claim, and takes the expiry from its exp", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const client = yield* HttpAuth.client(
        OAuth2.implicit({ authorizationUrl, clientId: "app", responseType: "id_token", redirectUriPort: 0 })
      )
      const seen = yield* Effect.flatMap(client.get(`${api.origin}/me`), seenOf)
      const jwt = seen.headers.authorization!.replace("Bearer ", "")
      const [visit] = yield* BrowserTest.visits
      expect(visit!.params.response_type).toBe("id_token")
      expect(visit!.params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(claimsOf(jwt)).toMatchObject({ nonce: visit!.params.nonce, aud: "app" })
      // no expires_in: the JWT's exp (1 hour), less the 30 s early expiry
      yield* TestClock.adjust("3569 seconds")
      yield* client.get(`${api.origin}/me`)
      expect((yield* BrowserTest.visits).length).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* client.get(`${api.origin}/me`)
      const visits = yield* BrowserTest.visits
      expect(visits.length).toBe(2)
      expect(visits[1]!.params.nonce).not.toBe(visits[0]!.params.nonce)
    }).pipe(Effect.provide(WithApi))
  )

  it.scoped("refuses an id_token with another nonce, or none, with InvalidToken", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const auth = OAuth2.implicit({
        authorizationUrl,
        clientId: "app",
        responseType: "id_token token",
        nonce: "fixed-nonce",
        redirectUriPort: 0
      })
      const replayed = yield* Effect.flip(get(auth, `${api.origin}/me`))
      expect(replayed._tag).toBe("InvalidToken")
      expect(replayed.message).toBe(
        "Invalid token: the id_token's nonce is not the one sent: a replayed token? (OpenID Connect Core section 3.2.2.11)"
      )
      const missing = yield* Effect.flip(get(auth, `${api.origin}/me`))
      expect(missing.message).toBe(
        "Invalid token: the id_token has no nonce claim, while one was sent (OpenID Connect Core section 3.2.2.11)"
      )
      const visits = yield* BrowserTest.visits
      expect(visits.map((visit) => visit.params.nonce)).toEqual(["fixed-nonce", "fixed-nonce"])
      expect((yield* api.seen).length).toBe(0)
    }).pipe(
      Effect.provide(
        Layer.merge(
          Layer.unwrapEffect(
            Effect.map(Effect.all([createToken({ claims: { nonce: "replayed" } }), createToken()]), ([other, none]) =>
              BrowserTest.layer(
                BrowserTest.token({ access_token: "a", id_token: other }),
                BrowserTest.token({ access_token: "b", id_token: none })
              )
            )
          ),
          NodeHttpClient.layerUndici
        )
      )
    )
  )
})

describe("browser grant options", () => {
  it.scoped("refuse bad options with InvalidOptions naming the option", () =>
    Effect.gen(function* () {
      const base = { authorizationUrl, tokenUrl, clientId: "app" }
      const cases = [
        [
          OAuth2.authorizationCode({ ...base, authorizationUrl: "nope" }),
          'OAuth2.authorizationCode: option "authorizationUrl" is not a URL'
        ],
        [
          OAuth2.authorizationCode({ ...base, tokenUrl: "ftp://x" }),
          'OAuth2.authorizationCode: option "tokenUrl" must be an http or https URL'
        ],
        [
          OAuth2.authorizationCode({ ...base, authorizationParams: { state: "x" } }),
          'OAuth2.authorizationCode: option "authorizationParams" must not set state: the grant sets it'
        ],
        [
          OAuth2.authorizationCode({ ...base, tokenParams: { code: "x" } }),
          'OAuth2.authorizationCode: option "tokenParams" must not set code: the grant sets it'
        ],
        [
          OAuth2.authorizationCode({ authorizationUrl, tokenUrl, clientSecret: "s" }),
          'OAuth2.authorizationCode: option "clientId" is needed with a clientSecret'
        ],
        [
          OAuth2.authorizationCode({ ...base, redirectUriPort: -1 }),
          'OAuth2.authorizationCode: option "redirectUriPort" must be a whole number from 0 to 65535'
        ],
        [
          OAuth2.authorizationCode({ ...base, codeField: "" }),
          'OAuth2.authorizationCode: option "codeField" must not be empty'
        ],
        [OAuth2.authorizationCode({ ...base, scope: 'a"b' }), 'OAuth2.authorizationCode: option "scope" holds "a\\"b"'],
        [
          OAuth2.authorizationCode({ ...base, clientAuth: "private_key_jwt" as never }),
          'OAuth2.authorizationCode: option "clientAuth" must be one of'
        ],
        [
          OAuth2.authorizationCode({ ...base, tokenTimeout: 0 }),
          'OAuth2.authorizationCode: option "tokenTimeout" must be more than 0'
        ],
        [
          OAuth2.authorizationCodePkce({ ...base, codeVerifierLength: 42 }),
          'OAuth2.authorizationCodePkce: option "codeVerifierLength" must be a whole number from 43 to 128 (RFC 7636 section 4.1), not 42'
        ],
        [
          OAuth2.authorizationCodePkce({ ...base, codeVerifierLength: 129 }),
          'OAuth2.authorizationCodePkce: option "codeVerifierLength" must be a whole number from 43 to 128'
        ],
        [OAuth2.implicit({ authorizationUrl, nonce: "" }), 'OAuth2.implicit: option "nonce" must not be empty'],
        [
          OAuth2.implicit({ authorizationUrl, authorizationParams: { client_id: "x" } }),
          'OAuth2.implicit: option "authorizationParams" must not set client_id: the grant sets it'
        ],
        [
          OAuth2.implicit({ authorizationUrl, timeout: "forever" as never }),
          'OAuth2.implicit: option "timeout" must be a positive, finite Duration'
        ],
        [
          OAuth2.implicit({ authorizationUrl, clientId: "app", revokeOnClose: true }),
          'OAuth2.implicit: option "revocationUrl" is needed with revokeOnClose, unless issuer is given'
        ],
        [
          OAuth2.authorizationCode({ ...base, revokeOnClose: true }),
          'OAuth2.authorizationCode: option "revocationUrl" is needed with revokeOnClose, unless issuer is given'
        ],
        [
          OAuth2.implicit({ issuer: "https://issuer.example/?tenant=1", clientId: "app" }),
          'OAuth2.implicit: option "issuer" the issuer must have no query or fragment (RFC 8414 section 2)'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(
          auth as unknown as Effect.Effect<unknown, { _tag: string; message: string }, never>
        )
        expect(error._tag, message).toBe("InvalidOptions")
        expect(error.message).toContain(message)
      }
    }).pipe(Effect.provide(Test()))
  )
})
