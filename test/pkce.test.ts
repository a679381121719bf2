import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { challengeS256, pair, verifier } from "../src/internal/pkce.js"
import { randomFixed } from "../src/testing/index.js"

const unreserved = /^[A-Za-z0-9\-._~]+$/

describe("PKCE (RFC 7636)", () => {
  it.effect("checks out the pair of appendix B", () =>
    Effect.gen(function* () {
      // The 32 octets of appendix B, drawn as the verifier's randomness
      const octets = new Uint8Array([
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240,
        91, 88, 5, 88, 83, 132, 141, 121
      ])
      const drawn = yield* pair().pipe(Effect.provide(randomFixed(octets)))
      expect(drawn).toEqual({
        verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        method: "S256"
      })
      expect(challengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
      )
    })
  )

  it.effect("draws a fresh verifier each time", () =>
    Effect.gen(function* () {
      const verifiers = yield* Effect.all(Array.from({ length: 20 }, () => verifier()))
      expect(new Set(verifiers).size).toBe(20)
    })
  )

  it("makes verifiers of 43 to 128 unreserved characters with a 43-character challenge (property)", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 43, max: 128 }),
        fc.uint8Array({ minLength: 1, maxLength: 96 }),
        (length, bytes) => {
          const drawn = Effect.runSync(pair(length).pipe(Effect.provide(randomFixed(bytes))))
          expect(drawn.verifier).toHaveLength(length)
          expect(drawn.verifier).toMatch(unreserved)
          expect(drawn.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
          expect(drawn.challenge).toBe(challengeS256(drawn.verifier))
        }
      )
    ))
})
