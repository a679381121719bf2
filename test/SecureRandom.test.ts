import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SecureRandom } from "effect-http-auth"

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
