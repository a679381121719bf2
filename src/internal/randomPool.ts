/**
 * The default `SecureRandom`'s source: bytes from the operating system's
 * CSPRNG, drawn 4 KiB at a time as Node's randomUUID does (one
 * `crypto.getRandomValues` call costs about 3.7 µs here, a draw from the
 * pool about half that). Each byte is handed out once.
 */
import { randomFillSync } from "node:crypto"

/** How random bytes are written as text. */
export type TextEncoding = "base64" | "base64url" | "hex"

export interface RandomPool {
  /** `size` bytes in an array of their own. */
  readonly bytes: (size: number) => Uint8Array
  /**
   * `size` bytes as text, read from the pool in place. A draw of `bytes`
   * allocates an ArrayBuffer, which V8 tracks and sweeps one by one: with 64
   * Digest requests in flight that cost more than the request's two hashes
   * (bench/digest.bench.ts); a string costs an ordinary allocation.
   */
  readonly text: (size: number, encoding: TextEncoding) => string
}

/** A pool refilled by `fill` (the CSPRNG; a test gives a predictable one to compare the two draws). */
export const makeRandomPool = (fill: (target: Uint8Array) => void, poolSize = 4096): RandomPool => {
  const pool = new Uint8Array(poolSize)
  const asText = Buffer.from(pool.buffer, pool.byteOffset, pool.byteLength)
  let offset = poolSize
  /** The offset of `size` fresh bytes in the pool. */
  const take = (size: number) => {
    if (offset + size > poolSize) {
      fill(pool)
      offset = 0
    }
    offset += size
    return offset - size
  }
  return {
    bytes: (size) => {
      if (size > poolSize) {
        const out = new Uint8Array(size)
        fill(out)
        return out
      }
      const at = take(size)
      return pool.slice(at, at + size)
    },
    text: (size, encoding) => {
      if (size > poolSize) {
        const out = Buffer.alloc(size)
        fill(out)
        return out.toString(encoding)
      }
      const at = take(size)
      return asText.toString(encoding, at, at + size)
    }
  }
}

/** The process's pool, filled by the CSPRNG. */
export const systemPool: RandomPool = makeRandomPool((target) => {
  randomFillSync(target)
})
