/**
 * The one source of randomness of the library (OAuth `state`, nonces, PKCE
 * verifiers, Digest cnonces): the CSPRNG of `node:crypto` by default, and a
 * fixed source for tests.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { systemPool, type TextEncoding as PoolTextEncoding } from "./internal/randomPool.js"

/**
 * How `text` writes random bytes: base64 (RFC 4648 section 4), base64url
 * without padding (section 5) or lower-case hex.
 *
 * @since 0.1.0
 * @category models
 */
export type TextEncoding = PoolTextEncoding

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `size` random bytes. */
  readonly bytes: (size: number) => Effect.Effect<Uint8Array>
  /**
   * `size` random bytes written as text, for a source that can give it
   * without an array of its own (the default reads its pool in place: an
   * array per draw costs a request more than it seems under load). Without
   * it, the text of `bytes`.
   */
  readonly text?: ((size: number, encoding: TextEncoding) => Effect.Effect<string>) | undefined
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
    bytes: (size) => Effect.sync(() => systemPool.bytes(size)),
    text: (size, encoding) => Effect.sync(() => systemPool.text(size, encoding))
  })
}) {}

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
export const token = (size: number): Effect.Effect<string> => text(size, "base64url")

/**
 * `size` random bytes from the `SecureRandom` in context, written as text:
 * the source's `text` when it has one, else the text of its `bytes`.
 *
 * @example
 * ```ts
 * import { SecureRandom } from "effect-http-auth"
 *
 * const cnonce = SecureRandom.text(33, "base64") // 44 characters
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const text = (size: number, encoding: TextEncoding): Effect.Effect<string> =>
  Effect.flatMap(SecureRandom, (random) =>
    random.text !== undefined
      ? random.text(size, encoding)
      : Effect.map(random.bytes(size), (drawn) =>
          Buffer.from(drawn.buffer, drawn.byteOffset, drawn.byteLength).toString(encoding)
        )
  )

/**
 * A random string of `size` bytes in lower-case hex (OAuth 1.0a's nonce, lock owners).
 *
 * @since 0.1.0
 * @category accessors
 */
export const hex = (size: number): Effect.Effect<string> => text(size, "hex")

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
