import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Redacted, Schedule, TestClock } from "effect"
import { decodeJwt } from "jose"
import { type AuthError, ClientAuth, DPoP, TokenEndpoint } from "../src/index.js"
import { requestExpecting } from "../src/TokenEndpoint.js"
import { serve } from "./fixtures/server.js"
import { type Fault, jwt, nextSleeps, sleepUntil, startTokenFaults } from "./fixtures/tokenFaults.js"

const request = (fault: Fault, options: Partial<TokenEndpoint.RequestOptions> = {}) =>
  Effect.gen(function* () {
    const faults = yield* startTokenFaults
    const client = yield* HttpClient.HttpClient
    return {
      faults,
      run: TokenEndpoint.request(client, {
        tokenUrl: faults.url(fault),
        params: { grant_type: "client_credentials" },
        retry: Schedule.stop,
        ...options
      })
    }
  })

const failure = (fault: Fault, options: Partial<TokenEndpoint.RequestOptions> = {}) =>
  Effect.flatMap(request(fault, options), ({ run }) => Effect.flip(run))

describe("TokenEndpoint.request", () => {
  it.scoped("posts a form with Accept: application/json and client_secret_basic, form-urlencoded before base64", () =>
    Effect.gen(function* () {
      const { faults, run } = yield* request("expires-in-string", {
        params: { grant_type: "client_credentials", scope: "a b" },
        clientAuth: ClientAuth.clientSecretBasic("my app:1", Redacted.make("s€cret+/"))
      })
      yield* run
      const [seen] = yield* faults.seen("expires-in-string")
      expect(seen!.method).toBe("POST")
      expect(seen!.headers.accept).toBe("application/json")
      expect(seen!.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      expect(seen!.body).toBe("grant_type=client_credentials&scope=a+b")
      // RFC 6749 section 2.3.1: "my app:1" -> "my+app%3A1", "s€cret+/" -> "s%E2%82%ACcret%2B%2F"
      expect(seen!.headers.authorization).toBe(
        `Basic ${Buffer.from("my+app%3A1:s%E2%82%ACcret%2B%2F").toString("base64")}`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("client_secret_post and none put the client in the form", () =>
    Effect.gen(function* () {
      const post = yield* request("no-expires-in", {
        clientAuth: ClientAuth.clientSecretPost("app", Redacted.make("s"))
      })
      yield* post.run
      expect((yield* post.faults.seen("no-expires-in"))[0]!.body).toBe(
        "grant_type=client_credentials&client_id=app&client_secret=s"
      )
      const none = yield* request("no-expires-in", { clientAuth: ClientAuth.none("public") })
      yield* none.run
      const [seen] = yield* none.faults.seen("no-expires-in")
      expect(seen!.body).toBe("grant_type=client_credentials&client_id=public")
      expect(seen!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("expiry: expires_in as a string, else the JWT exp, else the default lifetime", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("100 seconds")
      const text = yield* Effect.flatMap(request("expires-in-string"), (r) => r.run)
      expect(text.expiresAt).toBe(220_000)
      expect(text.tokenType).toBe("Bearer")
      const fromJwt = yield* Effect.flatMap(request("jwt-exp"), (r) => r.run)
      expect(Redacted.value(fromJwt.accessToken)).toBe(jwt({ exp: 600 }))
      expect(fromJwt.expiresAt).toBe(600_000)
      const opaque = yield* Effect.flatMap(request("no-expires-in", { defaultLifetime: "5 minutes" }), (r) => r.run)
      expect(opaque.expiresAt).toBe(400_000)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("reads a form body labelled text/plain (GitHub), URL-decoded", () =>
    Effect.gen(function* () {
      const token = yield* Effect.flatMap(request("form"), (r) => r.run)
      expect(Redacted.value(token.accessToken)).toBe("gh+o abc")
      expect(token.scope).toBe("repo,user")
      expect(token.tokenType).toBe("Bearer")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a 2xx without the token field is GrantNotProvided naming the field, with no value", () =>
    Effect.gen(function* () {
      const error = yield* failure("no-token")
      expect(error._tag).toBe("GrantNotProvided")
      expect(error.message).toBe(
        'The response has no "access_token" field (it has: token, token_type, expires_in): check the tokenField option or the grant\'s parameters'
      )
      expect(error.message).not.toContain("elsewhere")
      const custom = yield* Effect.flatMap(request("no-token", { tokenField: "token" }), (r) => r.run)
      expect(Redacted.value(custom.accessToken)).toBe("elsewhere")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("RFC 6749 section 5.2 errors: the RFC's text without a description, no token value in the fields", () =>
    Effect.gen(function* () {
      const error = (yield* failure("error-no-description")) as AuthError.OAuth2Error
      expect(error.message).toBe(
        'OAuth 2 error "invalid_scope" (HTTP 400): The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.'
      )
      expect(error.fields).toEqual({ refresh_token: "<redacted>" })
      const in200 = (yield* failure("error-200")) as AuthError.OAuth2Error
      expect([in200.error, in200.errorDescription, in200.errorUri, in200.status]).toEqual([
        "access_denied",
        "nope",
        "https://e.x/d",
        200
      ])
      const text = (yield* failure("error-text")) as AuthError.OAuth2Error
      expect([text.error, text.status, text.body]).toEqual(["invalid_response", 400, "Bad Request: no grant"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("garbage JSON and an HTML page are invalid_response errors that keep the body", () =>
    Effect.gen(function* () {
      const garbage = (yield* failure("garbage-json")) as AuthError.OAuth2Error
      expect([garbage._tag, garbage.error, garbage.status, garbage.body]).toEqual([
        "OAuth2Error",
        "invalid_response",
        200,
        '{"access_token": "<redacted>'
      ])
      expect(garbage.message).not.toContain("abc")
      const html = (yield* failure("html")) as AuthError.OAuth2Error
      expect(html.message).toBe('OAuth 2 error "invalid_response" (HTTP 200): Body: <html><body>Sign in</body></html>')
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("retries a 500 and gets the token on the second attempt", () =>
    Effect.gen(function* () {
      const { faults, run } = yield* request("500-then-200", { retry: Schedule.spaced("2 seconds") })
      const fiber = yield* Effect.fork(run)
      // beside the first attempt's 60 s timeout, the schedule's 2 s
      expect(yield* sleepUntil(2000)).toEqual([2000, 60000])
      yield* TestClock.adjust("2 seconds")
      expect(Redacted.value((yield* Fiber.join(fiber)).accessToken)).toBe("fault-token")
      expect((yield* faults.seen("500-then-200")).length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("honours Retry-After on a 429 over a shorter schedule delay", () =>
    Effect.gen(function* () {
      const { faults, run } = yield* request("429-retry-after", { retry: Schedule.spaced("1 second") })
      const fiber = yield* Effect.fork(run)
      // Retry-After's 5 s, not the schedule's 1 s
      expect(yield* sleepUntil(5000)).toEqual([5000, 60000])
      yield* TestClock.adjust("4 seconds")
      expect((yield* faults.seen("429-retry-after")).length).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(Redacted.value((yield* Fiber.join(fiber)).accessToken)).toBe("after-wait")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a 503 past the retries is temporarily_unavailable with the body", () =>
    Effect.gen(function* () {
      const { faults, run } = yield* request("503-always", { retry: Schedule.recurs(2) })
      const error = (yield* Effect.flip(run)) as AuthError.OAuth2Error
      expect([error.error, error.status, error.body]).toEqual(["temporarily_unavailable", 503, "maintenance"])
      expect((yield* faults.seen("503-always")).length).toBe(3)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a server that hangs past the timeout is AuthenticationFailed after the retries", () =>
    Effect.gen(function* () {
      const { faults, run } = yield* request("hang", { timeout: "3 seconds", retry: Schedule.recurs(1) })
      const fiber = yield* Effect.fork(Effect.flip(run))
      expect(yield* nextSleeps).toEqual([3000])
      yield* TestClock.adjust("3 seconds")
      expect(yield* nextSleeps).toEqual([6000])
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("AuthenticationFailed")
      expect(error.message).toBe(`TokenEndpoint: the token endpoint ${faults.url("hang")} failed: no answer within 3s`)
      expect((yield* faults.seen("hang")).length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a closed port is AuthenticationFailed (connection refused), retried by the schedule", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const error = yield* Effect.flip(
        TokenEndpoint.request(client, {
          tokenUrl: "http://127.0.0.1:1/token",
          params: { grant_type: "client_credentials" },
          retry: Schedule.recurs(1)
        })
      )
      expect(error.message).toBe(
        "TokenEndpoint: the token endpoint http://127.0.0.1:1/token failed: could not connect (Transport)"
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped(
    "with a DPoP proof: a token answer of token_type Bearer is InvalidToken; another endpoint's answer is not checked",
    () =>
      Effect.gen(function* () {
        const server = yield* serve((seen) =>
          Effect.succeed(
            HttpServerResponse.unsafeJson(
              seen.url === "/par"
                ? { request_uri: "urn:ietf:params:oauth:request_uri:r-1", expires_in: 60 }
                : { access_token: "plain", token_type: "Bearer", expires_in: 60 },
              { status: seen.url === "/par" ? 201 : 200 }
            )
          )
        )
        const client = yield* HttpClient.HttpClient
        const dpop = yield* DPoP.make(true)
        const options = { params: { grant_type: "client_credentials" }, retry: Schedule.stop, dpop }
        const error = yield* Effect.flip(
          TokenEndpoint.request(client, { ...options, tokenUrl: `${server.origin}/token` })
        )
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe(
          'Invalid token: the token endpoint answered token_type "Bearer" to a DPoP proof, not "DPoP": the token is not bound to the key (RFC 9449 section 5); does the server support DPoP?'
        )
        // RFC 9126 section 2.2: the PAR answer has no token_type, and is read as it is
        const pushed = yield* requestExpecting(
          client,
          { ...options, tokenUrl: `${server.origin}/par`, tokenField: "request_uri" },
          "other"
        )
        expect(Redacted.value(pushed.accessToken)).toBe("urn:ietf:params:oauth:request_uri:r-1")
        const seen = yield* server.seen
        expect(seen.map((s) => [s.url, decodeJwt(s.headers.dpop!).htu])).toEqual([
          ["/token", `${server.origin}/token`],
          ["/par", `${server.origin}/par`]
        ])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
