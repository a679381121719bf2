/**
 * The DPoP proof builder (RFC 9449 section 4): property tests verified with
 * jose, the nonces per origin, and the `dpop` option's checks.
 */
import { createHash, generateKeyPairSync } from "node:crypto"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import fc from "fast-check"
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from "jose"
import { DPoP, OAuth2 } from "../src/index.js"
import { BrowserTest } from "../src/testing/index.js"

const verify = async (proof: string) => {
  const header = decodeProtectedHeader(proof)
  const key = await importJWK(header.jwk as JWK, header.alg)
  return { header, payload: (await jwtVerify(proof, key, { typ: "dpop+jwt", currentDate: new Date(0) })).payload }
}

/** What htu should be: the URL without query and fragment (the WHATWG parser's normalisation). */
const withoutQuery = (url: string) => {
  const parsed = new URL(url)
  parsed.search = ""
  parsed.hash = ""
  return parsed.href
}

describe("DPoP proofs", () => {
  it.effect("htu is the URL without query and fragment, ath the token's SHA-256, both verified with jose", () =>
    Effect.gen(function* () {
      const dpop = yield* DPoP.make(true)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.webUrl({ withQueryParameters: true, withFragments: true }),
            fc.constantFrom("GET", "post", "DELETE"),
            fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~+/"), minLength: 1 }),
            async (url, method, token) => {
              const proof = await Effect.runPromise(dpop.proof({ method, url, accessToken: Redacted.make(token) }))
              const { header, payload } = await verify(proof)
              expect(header).toEqual({ typ: "dpop+jwt", alg: "ES256", jwk: dpop.publicJwk })
              expect(payload.htu).toBe(withoutQuery(url))
              expect(String(payload.htu)).not.toMatch(/[?#]/)
              expect(payload.htm).toBe(method.toUpperCase())
              expect(payload.ath).toBe(createHash("sha256").update(token, "ascii").digest("base64url"))
            }
          ),
          { numRuns: 40 }
        )
      )
    })
  )

  it("htu normalises the scheme and host case and the default port", () => {
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ["http", "https"] }), (url) => {
        const parsed = new URL(url)
        const shouting = `${parsed.protocol.toUpperCase()}//${parsed.host.toUpperCase()}${parsed.protocol === "https:" ? ":443" : ":80"}${parsed.pathname}?q=1`
        expect(DPoP.htu(shouting)).toBe(DPoP.htu(url))
      })
    )
    expect(DPoP.htu("HTTPS://API.example:443/v1/items?page=2#top")).toBe("https://api.example/v1/items")
    expect(DPoP.htu("/relative")).toBeUndefined()
  })

  it.effect("iat from the Clock, a fresh jti from SecureRandom, no ath without a token, nonce per origin", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_500)
      const dpop = yield* DPoP.make(true)
      dpop.rememberNonce("https://as.example/token", "n-1")
      const [a, b, c] = yield* Effect.all([
        dpop.proof({ method: "POST", url: "https://as.example/token" }),
        dpop.proof({ method: "POST", url: "https://as.example/par" }),
        dpop.proof({ method: "GET", url: "https://rs.example/" })
      ])
      const [pa, pb, pc] = yield* Effect.promise(() => Promise.all([a!, b!, c!].map((proof) => verify(proof))))
      expect(pa!.payload.iat).toBe(1_700_000_000)
      expect(pa!.payload.jti).not.toBe(pb!.payload.jti)
      expect(String(pa!.payload.jti).length).toBe(22)
      expect(pa!.payload.nonce).toBe("n-1")
      expect(pb!.payload.nonce).toBe("n-1")
      expect(pc!.payload.nonce).toBeUndefined()
      expect("ath" in pa!.payload).toBe(false)
    })
  )

  it.effect("a relative URL: AuthenticationFailed saying why", () =>
    Effect.gen(function* () {
      const dpop = yield* DPoP.make(true)
      const error = yield* Effect.flip(dpop.proof({ method: "GET", url: "/me" }))
      expect(error._tag).toBe("AuthenticationFailed")
      expect(error.reason).toBe(
        "a DPoP proof needs the request's absolute URL (RFC 9449 section 4.2): prepend a base URL"
      )
    })
  )

  it.effect("keys of the user's own: the thumbprint is the RFC 7638 one, whatever the key's form", () =>
    Effect.gen(function* () {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
      const pem = privateKey.export({ format: "pem", type: "pkcs8" }) as string
      const fromObject = yield* DPoP.make({ key: privateKey })
      const fromPem = yield* DPoP.make({ key: Redacted.make(pem) })
      const fromJwk = yield* DPoP.make({ key: privateKey.export({ format: "jwk" }) as never, alg: "ES256" })
      expect(fromPem.jkt).toBe(fromObject.jkt)
      expect(fromJwk.jkt).toBe(fromObject.jkt)
      expect(fromObject.algorithm).toBe("ES256")
      expect(Object.keys(fromObject.publicJwk).sort()).toEqual(["crv", "kty", "x", "y"])
      // a WebCrypto key, not extractable
      const pair = yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
      )
      const fromCryptoKey = yield* DPoP.make({ key: pair.privateKey })
      const publicJwk = yield* Effect.promise(() => crypto.subtle.exportKey("jwk", pair.publicKey))
      expect(fromCryptoKey.jkt).toBe(yield* Effect.promise(() => calculateJwkThumbprint(publicJwk as JWK)))
      const signed = yield* fromCryptoKey.proof({ method: "GET", url: "https://rs.example/" })
      expect((yield* Effect.promise(() => verify(signed))).header.jwk).toEqual(fromCryptoKey.publicJwk)
      // a fresh key per prover, ephemeral (its tokens are kept out of a persistent cache); a given key is not
      const fresh = yield* DPoP.make(true)
      expect(fresh.jkt).not.toBe((yield* DPoP.make(true)).jkt)
      expect([fresh.ephemeral, fromObject.ephemeral, fromPem.ephemeral, fromCryptoKey.ephemeral]).toEqual([
        true,
        false,
        false,
        false
      ])
      expect((yield* DPoP.make(fresh)).ephemeral).toBe(true)
    })
  )

  it.effect("bad dpop options fail with InvalidOptions naming dpop when the auth is built", () =>
    Effect.gen(function* () {
      const build = (dpop: unknown) =>
        Effect.flip(
          Effect.scoped(
            OAuth2.clientCredentials({
              tokenUrl: "https://as.example/token",
              clientId: "a",
              clientSecret: "s",
              dpop: dpop as DPoP.Option
            })
          )
        ).pipe(Effect.provide(NodeHttpClient.layerUndici))
      const notPem = yield* build({ key: Redacted.make("not a key") })
      expect(notPem.message).toBe(
        'OAuth2.clientCredentials: option "dpop" does not parse as a private key: give a PEM string (PKCS #8 or PKCS #1), a Redacted PEM, a Config of one, a private JWK or a KeyObject'
      )
      const wrongAlg = yield* build({
        key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
        alg: "RS256"
      })
      expect(wrongAlg.message).toBe(
        'OAuth2.clientCredentials: option "dpop" alg: RS256 does not fit the key (EC prime256v1); ES256 does'
      )
      const publicKey = yield* build({ key: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey })
      expect(publicKey._tag).toBe("InvalidOptions")
      expect((publicKey as { option?: string }).option).toBe("dpop")
      const implicit = yield* Effect.flip(
        Effect.scoped(
          OAuth2.implicit({ authorizationUrl: "https://as.example/authorize", dpop: true } as OAuth2.ImplicitOptions)
        )
      ).pipe(Effect.provide(BrowserTest.layer()), Effect.provide(NodeHttpClient.layerUndici))
      expect(implicit.message).toBe(
        'OAuth2.implicit: option "dpop" needs a token endpoint, which the implicit grant has not: use authorizationCodePkce'
      )
      const shape = yield* build("yes")
      expect(shape.message).toBe('OAuth2.clientCredentials: option "dpop" must be true, { key, alg? } or a DPoP.Prover')
    })
  )
})
