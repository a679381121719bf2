/**
 * The test kit's id_tokens are verifiable: BrowserTest signs the redirect's
 * (ES256, `BrowserTest.jwks`), and `TestAuthorizationServer.layer({ issuer })`
 * serves the issuer's metadata and that JWKS and puts an id_token with the
 * authorization's nonce in its answer to a code, so that a user's test of a
 * grant given `issuer` runs in memory (no socket but the redirect listener's).
 */
import { describe, expect, it } from "@effect/vitest"
import { generateKeyPairSync } from "node:crypto"
import { Effect, Exit, Layer } from "effect"
import { HttpAuth, OAuth2, type Token } from "effect-http-auth"
import { BrowserTest, createToken, TestAuthorizationServer } from "effect-http-auth/testing"

const issuer = "https://auth.test"

/** The servers, with BrowserTest in the token endpoint's context (it finds each code's nonce there). */
const Servers = TestAuthorizationServer.layer({ issuer }).pipe(Layer.provideMerge(BrowserTest.layer()))

const login = (responseType: "code" | "code id_token") =>
  Effect.gen(function* () {
    const tokens: Array<Token.Token> = []
    const client = yield* HttpAuth.client(
      OAuth2.authorizationCodePkce({
        issuer,
        clientId: "app",
        scope: "openid",
        responseType,
        redirectUriPort: 0,
        onToken: (token) => Effect.sync(() => tokens.push(token))
      })
    )
    const response = yield* client.get("https://api.test/me")
    return { status: response.status, token: tokens[0]! }
  })

describe("the test kit's id_tokens, validated by a grant given issuer", () => {
  it.scopedLive("the code grant with openid: the token endpoint's id_token carries the authorization's nonce", () =>
    Effect.gen(function* () {
      const { status, token } = yield* login("code")
      expect(status).toBe(200)
      const [visit] = yield* BrowserTest.visits
      expect(token.fields.id_token_claims).toMatchObject({
        iss: issuer,
        sub: "test-user",
        aud: "app",
        nonce: visit!.params.nonce
      })
      const [request] = yield* Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (s) => s.tokenRequests)
      expect(request!.params).toMatchObject({ grant_type: "authorization_code", code: "code-1", client_id: "app" })
    }).pipe(Effect.provide(Servers))
  )

  it.scopedLive(
    "the hybrid flow: BrowserTest's id_token (c_hash of its code) verifies, then the code is exchanged",
    () =>
      Effect.gen(function* () {
        const { status, token } = yield* login("code id_token")
        expect(status).toBe(200)
        const [visit] = yield* BrowserTest.visits
        expect(visit!.params.response_type).toBe("code id_token")
        expect(visit!.responseMode).toBe("fragment")
        expect(token.fields.id_token_claims).toMatchObject({
          iss: issuer,
          sub: "test-user",
          nonce: visit!.params.nonce
        })
        expect(
          (yield* Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (s) => s.tokenRequests)).length
        ).toBe(1)
      }).pipe(Effect.provide(Servers))
  )

  it.scopedLive("the implicit grant's id_token (the token itself): verified, its claims on the token", () =>
    Effect.gen(function* () {
      const tokens: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.implicit({
          issuer,
          clientId: "spa",
          responseType: "id_token",
          redirectUriPort: 0,
          onToken: (token) => Effect.sync(() => tokens.push(token))
        })
      )
      // the in-memory resource server knows only the tokens of its token endpoint: what matters is the login
      yield* client.get("https://api.test/me")
      const [visit] = yield* BrowserTest.visits
      expect(tokens[0]!.fields.id_token_claims).toMatchObject({
        iss: issuer,
        aud: "spa",
        nonce: visit!.params.nonce
      })
    }).pipe(Effect.provide(Servers))
  )

  it.scopedLive(
    "an id_token of another issuer (the reply's issuer option) is refused: InvalidToken, no token request",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(login("code id_token"))
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe(
          'Invalid token: id_token: claim iss check failed (check_failed): unexpected "iss" claim value'
        )
        expect(
          (yield* Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (s) => s.tokenRequests)).length
        ).toBe(0)
      }).pipe(
        Effect.provide(
          TestAuthorizationServer.layer({ issuer }).pipe(
            Layer.provideMerge(BrowserTest.layer(BrowserTest.approve({ issuer: "https://other.test" })))
          )
        )
      )
  )

  const tokenRequests = Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (s) => s.tokenRequests)
  const withReply = (reply: BrowserTest.Reply) =>
    Effect.provide(TestAuthorizationServer.layer({ issuer }).pipe(Layer.provideMerge(BrowserTest.layer(reply))))

  it.scopedLive(
    "the hybrid flow: a redirect id_token of another person than the token endpoint's is refused (3.3.3.6)",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(login("code id_token"))
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe(
          "Invalid token: the token endpoint's id_token is of another sub than the authorization redirect's (OpenID Connect Core section 3.3.3.6)"
        )
        expect((yield* tokenRequests).length).toBe(1)
      }).pipe(withReply(BrowserTest.approve({ claims: { sub: "mallory" } })))
  )

  it.scopedLive(
    "the hybrid flow: a redirect id_token of another authorization (nonce) is refused, no token request",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(login("code id_token"))
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toContain("nonce")
        expect((yield* tokenRequests).length).toBe(0)
      }).pipe(withReply(BrowserTest.approve({ claims: { nonce: "another-authorization" } })))
  )

  it.scopedLive("openid in the authorization URL's own scope: the token endpoint's id_token is validated too", () =>
    Effect.gen(function* () {
      const tokens: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.authorizationCodePkce({
          issuer,
          authorizationUrl: `${issuer}/authorize?scope=openid%20profile&nonce=from-the-url`,
          clientId: "app",
          redirectUriPort: 0,
          onToken: (token) => Effect.sync(() => tokens.push(token))
        })
      )
      expect((yield* client.get("https://api.test/me")).status).toBe(200)
      const [visit] = yield* BrowserTest.visits
      // the URL's nonce is the one sent, so the one expected
      expect(visit!.params.nonce).toBe("from-the-url")
      expect(visit!.params.scope).toBe("openid profile")
      expect(tokens[0]!.fields.id_token_claims).toMatchObject({ iss: issuer, nonce: "from-the-url" })
    }).pipe(Effect.provide(Servers))
  )

  it.scopedLive(
    "code id_token token: a redirect without its access_token is the server's fault (InvalidToken), no token request",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(login("code id_token token" as "code id_token"))
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe(
          'Invalid token: response_type "code id_token token" asks an access_token in the authorization redirect, and it has none (OpenID Connect Core section 3.3.2.5)'
        )
        expect((yield* tokenRequests).length).toBe(0)
      }).pipe(withReply(BrowserTest.approve({ fields: { access_token: "" } })))
  )

  it.effect("createToken refuses a privateKey that ES256 cannot sign with, naming the key's kind only", () =>
    Effect.gen(function* () {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 })
      const exit = yield* Effect.exit(createToken({ privateKey }))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain(
        "createToken: privateKey must be a P-256 (prime256v1) EC private key for ES256, not a private rsa key"
      )
      const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey
      const other = yield* Effect.exit(createToken({ privateKey: p384 }))
      expect(Exit.isFailure(other) && String(other.cause)).toContain("not a private ec key on secp384r1")
    })
  )
})
