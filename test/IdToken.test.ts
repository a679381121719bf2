/**
 * id_token validation (OpenID Connect Core 3.1.3.7) against an issuer of our own whose JWKS we
 * control, under TestClock: each bad token fails with its own reason; a rotated key is found by
 * fetching the JWKS once more.
 */
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { OAuth2 } from "../src/index.js"
import { halfHash } from "../src/internal/idToken.js"
import { serve } from "./fixtures/server.js"

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
          ? HttpServerResponse.unsafeJson({ issuer: origin, jwks_uri: `${origin}/jwks` })
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
