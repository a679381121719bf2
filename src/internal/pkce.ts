/**
 * Proof Key for Code Exchange (RFC 7636) with the S256 method.
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as SecureRandom from "../SecureRandom.js"

/** RFC 7636 section 4.1: 43 to 128 characters. */
export const minVerifierLength = 43
export const maxVerifierLength = 128

/**
 * A fresh code verifier of `length` characters from the unreserved set
 * (RFC 7636 section 4.1): base64url of secure random bytes, whose alphabet
 * is a subset of it. The fewest bytes whose encoding is long enough: 32
 * octets for 43 characters (256 bits), as the RFC recommends.
 */
export const verifier = (length = minVerifierLength): Effect.Effect<string> =>
  Effect.map(SecureRandom.bytes(Math.floor((3 * (length - 1)) / 4) + 1), (bytes) =>
    Buffer.from(bytes).toString("base64url").slice(0, length)
  )

/** RFC 7636 section 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
export const challengeS256 = (verifier: string): string =>
  createHash("sha256").update(verifier, "ascii").digest("base64url")

/** A verifier and its challenge, for one authorization. */
export interface Pair {
  readonly verifier: string
  readonly challenge: string
  readonly method: "S256"
}

export const pair = (length = minVerifierLength): Effect.Effect<Pair> =>
  Effect.map(verifier(length), (verifier) => ({
    verifier,
    challenge: challengeS256(verifier),
    method: "S256" as const
  }))
