/**
 * The one source of randomness of the library (OAuth `state`, nonces, PKCE
 * verifiers, Digest cnonces): the CSPRNG of `node:crypto` by default, and a
 * fixed source for tests.
 *
 * @since 0.1.0
 */
import { randomFillSync } from "node:crypto"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `size` random bytes. */
  readonly bytes: (size: number) => Effect.Effect<Uint8Array>
}

/**
 * The randomness service. It has a default (`randomFillSync` of
 * `node:crypto`), so no program needs to provide it.
 *
 * @since 0.1.0
 * @category tags
 */
export class SecureRandom extends Context.Reference<SecureRandom>()("effect-http-auth/SecureRandom", {
  defaultValue: (): Service => ({
    bytes: (size) => Effect.sync(() => drawBytes(size))
  })
}) {}

// Bytes from the operating system's CSPRNG, drawn 4 KiB at a time as Node's
// randomUUID does: one `crypto.getRandomValues` call costs about 3.7 us here,
// a draw from the pool about half that. Each byte is handed out once.
const poolSize = 4096
const pool = new Uint8Array(poolSize)
let poolOffset = poolSize

const drawBytes = (size: number): Uint8Array => {
  if (size > poolSize) return randomFillSync(new Uint8Array(size))
  if (poolOffset + size > poolSize) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const drawn = pool.slice(poolOffset, poolOffset + size)
  poolOffset += size
  return drawn
}

/**
 * `size` random bytes from the `SecureRandom` in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const bytes = (size: number): Effect.Effect<Uint8Array> =>
  Effect.flatMap(SecureRandom, (random) => random.bytes(size))

/**
 * A random string of `size` bytes in base64url without padding (RFC 4648
 * section 5): the form of OAuth `state`, nonces and PKCE verifiers.
 *
 * @example
 * ```ts
 * import { SecureRandom } from "effect-http-auth"
 *
 * const state = SecureRandom.token(32) // 43 characters
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const token = (size: number): Effect.Effect<string> =>
  Effect.map(bytes(size), (bytes) => Buffer.from(bytes).toString("base64url"))

/**
 * A random string of `size` bytes in lower-case hex (Digest's cnonce).
 *
 * @since 0.1.0
 * @category accessors
 */
export const hex = (size: number): Effect.Effect<string> =>
  Effect.map(bytes(size), (bytes) => Buffer.from(bytes).toString("hex"))

/**
 * A source that repeats `pattern` forever: every draw is predictable, so a
 * test can check a computed value (a Digest response, a PKCE challenge).
 *
 * @example
 * ```ts
 * import { SecureRandom } from "effect-http-auth"
 *
 * const Fixed = SecureRandom.layerFixed(new Uint8Array([1, 2, 3]))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFixed = (pattern: Uint8Array): Layer.Layer<never> =>
  Layer.succeed(SecureRandom, {
    bytes: (size) =>
      Effect.sync(() => {
        const out = new Uint8Array(size)
        for (let i = 0; i < size; i++) out[i] = pattern.length === 0 ? 0 : pattern[i % pattern.length]!
        return out
      })
  })

/**
 * A source that hands out the given values in turn, each as its bytes (for a
 * test that must know each draw, such as the cnonce of RFC 7616's example).
 * Past the last value it starts again.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSequence = (values: ReadonlyArray<Uint8Array>): Layer.Layer<never> => {
  let next = 0
  return Layer.succeed(SecureRandom, {
    bytes: (size) =>
      Effect.sync(() => {
        const value = values[next++ % values.length] ?? new Uint8Array(0)
        const out = new Uint8Array(size)
        out.set(value.subarray(0, size))
        return out
      })
  })
}
