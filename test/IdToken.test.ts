/**
 * id_token validation (OpenID Connect Core 3.1.3.7) against an issuer of our own whose JWKS we
 * control, under TestClock: each bad token fails with its own reason; a rotated key is found by
 * fetching the JWKS once more; the `Discovery` service keeps the JWKS; at_hash and c_hash are
 * required where the response type says so; the implicit grant validates with the same code.
 */
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { Discovery, HttpAuth, OAuth2, type Token } from "../src/index.js"
import { halfHash } from "../src/internal/idToken.js"
import { BrowserTest } from "../src/testing/index.js"
import { echo, serve } from "./fixtures/server.js"

const keyPair = (kid: string) =>
  Effect.promise(async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256")
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } }
  })

type Key = Effect.Effect.Success<ReturnType<typeof keyPair>>

const issuerServer = (published: { keys: Array<Key> }) =>
  Effect.gen(function* () {
    let origin = ""
    const server = yield* serve((seen) =>
      Effect.succeed(
        seen.url === "/.well-known/openid-configuration"
          ? HttpServerResponse.unsafeJson({
              issuer: origin,
              jwks_uri: `${origin}/jwks`,
              authorization_endpoint: `${origin}/authorize`
            })
          : HttpServerResponse.unsafeJson({ keys: published.keys.map((key) => key.jwk) })
      )
    )
    origin = server.origin
    return server
  })

const sign = (key: Key, claims: Record<string, unknown>, issuer: string) =>
  Effect.promise(() =>
    new SignJWT({ sub: "alice", ...claims })
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .setIssuer(issuer)
      .setAudience((claims.aud as string | undefined) ?? "app")
      .setIssuedAt(0)
      .setExpirationTime((claims.exp as number | undefined) ?? 3600)
      .sign(key.privateKey)
  )

describe("OAuth2.validateIdToken against an issuer of ours", () => {
  it.scoped("each failed check has its own reason; a rotated key is fetched once more", () =>
    Effect.gen(function* () {
      const current = yield* keyPair("k1")
      const stranger = yield* keyPair("k1")
      const published = { keys: [current] }
      const server = yield* issuerServer(published)
      const issuer = server.origin
      const check = (token: string, options: Partial<OAuth2.ValidateIdTokenOptions> = {}) =>
        OAuth2.validateIdToken(token, { issuer, clientId: "app", ...options })
      const reason = (token: string, options: Partial<OAuth2.ValidateIdTokenOptions> = {}) =>
        Effect.map(Effect.flip(check(token, options)), (error) => `${error._tag}: ${error.message}`)

      const good = yield* sign(current, { nonce: "n-1", at_hash: halfHash("RS256", "access-1") }, issuer)
      const claims = yield* check(good, { nonce: "n-1", accessToken: "access-1" })
      expect(claims.sub).toBe("alice")

      expect(yield* reason(yield* sign(stranger, {}, issuer))).toBe(
        "InvalidToken: Invalid token: id_token: the signature does not verify with the issuer's key"
      )
      expect(yield* reason(yield* sign(current, { aud: "other-app" }, issuer))).toBe(
        'InvalidToken: Invalid token: id_token: claim aud check failed (check_failed): unexpected "aud" claim value'
      )
      expect(yield* reason(good, { nonce: "n-2" })).toBe(
        "InvalidToken: Invalid token: id_token: its nonce is not the one sent with the authorization request"
      )
      expect(yield* reason(good, { accessToken: "access-2" })).toBe(
        "InvalidToken: Invalid token: id_token: at_hash does not match the access token"
      )
      expect(yield* reason(yield* sign(current, { azp: "someone-else" }, issuer))).toBe(
        'InvalidToken: Invalid token: id_token: azp is "someone-else", not this client'
      )
      // expired: exp 3600, leeway 30 s
      yield* TestClock.setTime(3_629_000)
      yield* check(good)
      yield* TestClock.setTime(3_631_000)
      expect(yield* reason(good)).toBe("InvalidToken: Invalid token: id_token: it expired (exp)")
      yield* TestClock.setTime(0)

      // the issuer rotates to k2: the first JWKS read lacks it, the second has it
      const rotated = yield* keyPair("k2")
      const before = (yield* server.seen).filter((seen) => seen.url === "/jwks").length
      published.keys = [current, rotated]
      const fresh = yield* sign(rotated, {}, issuer)
      expect((yield* check(fresh)).sub).toBe("alice")
      expect((yield* server.seen).filter((seen) => seen.url === "/jwks").length).toBe(before + 1)
      const unknown = yield* keyPair("k3")
      expect(yield* reason(yield* sign(unknown, {}, issuer))).toBe(
        `InvalidToken: Invalid token: id_token: no key of the issuer's JWKS matches its kid "k3"`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})

const jwksReads = (server: Effect.Effect.Success<ReturnType<typeof issuerServer>>) =>
  Effect.map(server.seen, (seen) => seen.filter((one) => one.url === "/jwks").length)

describe("the JWKS kept by the Discovery service", () => {
  it.scoped("read once for many tokens; an unknown kid reads it once more, then not again for 30 s", () =>
    Effect.gen(function* () {
      const current = yield* keyPair("k1")
      const published = { keys: [current] }
      const server = yield* issuerServer(published)
      const issuer = server.origin
      const check = (token: string) => OAuth2.validateIdToken(token, { issuer, clientId: "app" })
      yield* check(yield* sign(current, {}, issuer))
      yield* check(yield* sign(current, { nonce: "other" }, issuer))
      expect(yield* jwksReads(server)).toBe(1)

      // the issuer rotates to k2: one more read finds it, and it is kept
      const rotated = yield* keyPair("k2")
      published.keys = [current, rotated]
      yield* TestClock.setTime(31_000)
      expect((yield* check(yield* sign(rotated, {}, issuer))).sub).toBe("alice")
      yield* check(yield* sign(rotated, {}, issuer))
      expect(yield* jwksReads(server)).toBe(2)

      // made-up kids: no read within 30 s of the last, then one
      const stranger = yield* keyPair("k3")
      for (const _ of [1, 2, 3]) {
        const error = yield* Effect.flip(check(yield* sign(stranger, {}, issuer)))
        expect(error.message).toBe('Invalid token: id_token: no key of the issuer\'s JWKS matches its kid "k3"')
      }
      expect(yield* jwksReads(server)).toBe(2)
      yield* TestClock.setTime(62_000)
      yield* Effect.flip(check(yield* sign(stranger, {}, issuer)))
      yield* Effect.flip(check(yield* sign(stranger, {}, issuer)))
      expect(yield* jwksReads(server)).toBe(3)
      // the metadata was read once, for all of it
      expect((yield* server.seen).filter((one) => one.url === "/.well-known/openid-configuration").length).toBe(1)
    }).pipe(Effect.provide(Layer.provideMerge(Discovery.layer(), NodeHttpClient.layerUndici)))
  )
})

describe("at_hash and c_hash where OpenID Connect Core requires them", () => {
  it.scoped("required by the response type, checked when present otherwise", () =>
    Effect.gen(function* () {
      const key = yield* keyPair("k1")
      const server = yield* issuerServer({ keys: [key] })
      const issuer = server.origin
      const reason = (token: string, options: Partial<OAuth2.ValidateIdTokenOptions>) =>
        Effect.map(
          Effect.flip(OAuth2.validateIdToken(token, { issuer, clientId: "app", ...options })),
          (error) => `${error._tag}: ${error.message}`
        )
      const bare = yield* sign(key, {}, issuer)
      const hashed = yield* sign(
        key,
        { at_hash: halfHash("RS256", "access-1"), c_hash: halfHash("RS256", "code-1") },
        issuer
      )
      // implicit, section 3.2.2.10: id_token token needs at_hash; id_token alone does not
      expect(yield* reason(bare, { responseType: "id_token token", accessToken: "access-1" })).toBe(
        'InvalidToken: Invalid token: id_token: it has no at_hash, required with response_type "id_token token" (OpenID Connect Core section 3.2.2.10)'
      )
      yield* OAuth2.validateIdToken(bare, { issuer, clientId: "app", responseType: "id_token" })
      yield* OAuth2.validateIdToken(hashed, {
        issuer,
        clientId: "app",
        responseType: "id_token token",
        accessToken: "access-1"
      })
      // hybrid, section 3.3.2.11: code id_token needs c_hash, and it must be the code's
      expect(yield* reason(bare, { responseType: "code id_token", code: "code-1" })).toBe(
        'InvalidToken: Invalid token: id_token: it has no c_hash, required with response_type "code id_token" (OpenID Connect Core section 3.3.2.11)'
      )
      expect(yield* reason(hashed, { responseType: "code id_token", code: "code-2" })).toBe(
        "InvalidToken: Invalid token: id_token: c_hash does not match the authorization code"
      )
      expect(yield* reason(hashed, { responseType: "code id_token token", code: "code-1" })).toBe(
        'InvalidOptions: OAuth2.validateIdToken: option "accessToken" is needed with responseType "code id_token token"'
      )
      // code flow (token endpoint): optional, but checked when there
      yield* OAuth2.validateIdToken(bare, { issuer, clientId: "app", accessToken: "access-1", code: "code-1" })
      expect(yield* reason(hashed, { accessToken: "access-2" })).toBe(
        "InvalidToken: Invalid token: id_token: at_hash does not match the access token"
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})

describe("the implicit grant with an issuer: the id_token validated as the code grant's", () => {
  it.scoped("signature, aud, nonce and at_hash (required with id_token token); one JWKS read", () =>
    Effect.gen(function* () {
      const key = yield* keyPair("k1")
      const stranger = yield* keyPair("k1")
      const server = yield* issuerServer({ keys: [key] })
      const issuer = server.origin
      const api = yield* serve(echo)
      const claims = { nonce: "fixed-nonce", aud: "spa" }
      const good = yield* sign(key, { ...claims, at_hash: halfHash("RS256", "at-1") }, issuer)
      const noHash = yield* sign(key, claims, issuer)
      const forged = yield* sign(stranger, { ...claims, at_hash: halfHash("RS256", "at-3") }, issuer)
      const replies = BrowserTest.layer(
        BrowserTest.token({ access_token: "at-0" }),
        BrowserTest.token({ access_token: "at-2", id_token: noHash }),
        BrowserTest.token({ access_token: "at-3", id_token: forged }),
        BrowserTest.token({ access_token: "at-1", id_token: good })
      )
      return yield* Effect.gen(function* () {
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.implicit({
            issuer,
            clientId: "spa",
            responseType: "id_token token",
            nonce: "fixed-nonce",
            redirectUriPort: 0,
            onToken: (token) => Effect.sync(() => tokens.push(token))
          })
        )
        // BrowserTest adds an id_token to a redirect that asks for one and has none, signed with its own
        // key (BrowserTest.jwks), which this issuer's JWKS does not hold
        const none = yield* Effect.flip(client.get(`${api.origin}/me`))
        expect(`${none._tag}: ${none.message}`).toBe(
          "InvalidToken: Invalid token: id_token: no key of the issuer's JWKS matches its kid null"
        )
        const missing = yield* Effect.flip(client.get(`${api.origin}/me`))
        expect(`${missing._tag}: ${missing.message}`).toBe(
          'InvalidToken: Invalid token: id_token: it has no at_hash, required with response_type "id_token token" (OpenID Connect Core section 3.2.2.10)'
        )
        const bad = yield* Effect.flip(client.get(`${api.origin}/me`))
        expect(`${bad._tag}: ${bad.message}`).toBe(
          "InvalidToken: Invalid token: id_token: the signature does not verify with the issuer's key"
        )
        const response = yield* client.get(`${api.origin}/me`)
        expect(((yield* response.json) as { headers: Record<string, string> }).headers.authorization).toBe(
          "Bearer at-1"
        )
        expect(tokens.length).toBe(1)
        expect(tokens[0]!.fields.id_token_claims).toMatchObject({ sub: "alice", aud: "spa", nonce: "fixed-nonce" })
        // the authorization endpoint came from the metadata; metadata and JWKS were read once
        const visits = yield* BrowserTest.visits
        expect(visits.map((visit) => visit.url.split("?")[0])).toEqual(Array(4).fill(`${issuer}/authorize`))
        expect(visits.map((visit) => visit.params.response_type)).toEqual(Array(4).fill("id_token token"))
        expect(yield* jwksReads(server)).toBe(1)
        expect((yield* server.seen).filter((one) => one.url === "/.well-known/openid-configuration").length).toBe(1)
        expect((yield* api.seen).length).toBe(1)
      }).pipe(Effect.provide(replies))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("response_type token alone (no id_token to check): an iss from another server is IssuerMismatch", () =>
    Effect.gen(function* () {
      const server = yield* issuerServer({ keys: [yield* keyPair("k1")] })
      const issuer = server.origin
      const api = yield* serve(echo)
      const replies = BrowserTest.layer(
        BrowserTest.token({ access_token: "at-stolen", iss: "https://attacker.example" }),
        BrowserTest.token({ access_token: "at-1", iss: issuer })
      )
      return yield* Effect.gen(function* () {
        const client = yield* HttpAuth.client(OAuth2.implicit({ issuer, clientId: "spa", redirectUriPort: 0 }))
        const mixedUp = yield* Effect.flip(client.get(`${api.origin}/me`))
        expect(mixedUp._tag).toBe("IssuerMismatch")
        const response = yield* client.get(`${api.origin}/me`)
        expect(((yield* response.json) as { headers: Record<string, string> }).headers.authorization).toBe(
          "Bearer at-1"
        )
        expect((yield* api.seen).length).toBe(1)
      }).pipe(Effect.provide(replies))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
