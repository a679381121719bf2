import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SecureRandom } from "effect-http-auth"
import fc from "fast-check"
import { makeRandomPool } from "../src/internal/randomPool.js"

describe("SecureRandom (default source)", () => {
  it.effect("gives the size asked for, never the same bytes twice, across refills of its pool", () =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      // 33-byte draws through three refills of the 4 KiB pool
      for (let i = 0; i < 400; i++) {
        const bytes = yield* SecureRandom.bytes(33)
        expect(bytes.length).toBe(33)
        seen.add(Buffer.from(bytes).toString("hex"))
      }
      expect(seen.size).toBe(400)
    })
  )

  it.effect("serves a draw larger than its pool, and base64url tokens", () =>
    Effect.gen(function* () {
      const large = yield* SecureRandom.bytes(10_000)
      expect(large.length).toBe(10_000)
      expect(new Set(large).size).toBeGreaterThan(200)
      expect(yield* SecureRandom.token(32)).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })
  )
})

describe("the pool's text draw (Digest's cnonce, tokens, hex)", () => {
  /** A pool whose fills count up: every byte it hands out is predictable, and none twice. */
  const counting = (poolSize: number) => {
    let next = 0
    return makeRandomPool((target) => {
      for (let i = 0; i < target.length; i++) target[i] = next++ & 0xff
    }, poolSize)
  }

  it("reads in place exactly the bytes a bytes draw would hand out, through refills and large draws", () => {
    const encoding = fc.constantFrom("base64", "base64url", "hex") as fc.Arbitrary<SecureRandom.TextEncoding>
    const draw = fc.record({ size: fc.integer({ min: 0, max: 80 }), asText: fc.boolean(), encoding })
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 64 }), fc.array(draw, { maxLength: 40 }), (poolSize, draws) => {
        // the same fills and the same sizes: one pool read as text, its twin as bytes
        const text = counting(poolSize)
        const plain = counting(poolSize)
        for (const { asText, encoding, size } of draws) {
          const expected = Buffer.from(plain.bytes(size)).toString(encoding)
          expect(asText ? text.text(size, encoding) : Buffer.from(text.bytes(size)).toString(encoding)).toBe(expected)
        }
      }),
      { numRuns: 500 }
    )
  })

  it.effect("text without a source's own text is the text of its bytes (layerSequence, the RFC 7616 cnonce)", () =>
    Effect.gen(function* () {
      expect(yield* SecureRandom.text(3, "base64")).toBe("AQID")
      expect(yield* SecureRandom.token(3)).toBe("AQID")
      expect(yield* SecureRandom.hex(3)).toBe("010203")
    }).pipe(Effect.provide(SecureRandom.layerSequence([new Uint8Array([1, 2, 3])])))
  )

  it.effect("the default source's text: the size asked for, never twice the same", () =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      for (let i = 0; i < 400; i++) seen.add(yield* SecureRandom.text(33, "base64"))
      expect([...seen].every((text) => /^[A-Za-z0-9+/]{44}$/.test(text))).toBe(true)
      expect(seen.size).toBe(400)
    })
  )
})
