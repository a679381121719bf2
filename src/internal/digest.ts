/**
 * The Digest computation of RFC 7616 (and RFC 2617 / RFC 2069 forms): reading
 * a challenge, choosing among several, and computing the `Authorization`
 * value. Pure functions; the scheme in ../Digest.ts holds the state.
 */
import * as Either from "effect/Either"
import { type Challenge, quote } from "./challenge.js"
import { hashHex } from "./hash.js"

/** RFC 7616 section 3.3, and the IANA registry. */
export const algorithms = ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"] as const
export type Algorithm = (typeof algorithms)[number]

const hashName = (algorithm: Algorithm) =>
  algorithm.startsWith("SHA-512-256") ? "sha512-256" : algorithm.startsWith("SHA-256") ? "sha256" : "md5"

/** Higher is stronger: the order in which a client should prefer them (RFC 7616 section 3.7). */
const strength = (algorithm: Algorithm) =>
  algorithm.startsWith("SHA-512-256") ? 3 : algorithm.startsWith("SHA-256") ? 2 : 1

/** H(data) as lower-case hex; `sha512-256` is real SHA-512/256 (FIPS 180-4), not truncated SHA-512. */
export const hash = (algorithm: Algorithm, data: string | Uint8Array) => hashHex(hashName(algorithm), data)

export type Qop = "auth" | "auth-int"

/** A Digest challenge, read. */
export interface DigestChallenge {
  readonly realm: string
  readonly nonce: string
  readonly opaque: string | undefined
  readonly algorithm: Algorithm
  /** Whether the server named the algorithm (RFC 2069 servers do not). */
  readonly algorithmSent: boolean
  /** The qop to answer with; undefined for the RFC 2069 form. */
  readonly qop: Qop | undefined
  readonly stale: boolean
  readonly userhash: boolean
}

const canonicalAlgorithm = (name: string): Algorithm | undefined =>
  algorithms.find((algorithm) => algorithm.toLowerCase() === name.toLowerCase())

/** Reads a Digest challenge; `Left` says why it cannot be answered. */
export const readChallenge = (challenge: Challenge): Either.Either<DigestChallenge, string> => {
  const { params } = challenge
  if (params.realm === undefined) return Either.left('the challenge has no "realm"')
  if (params.nonce === undefined) return Either.left('the challenge has no "nonce"')
  const algorithm = canonicalAlgorithm(params.algorithm ?? "MD5")
  if (algorithm === undefined) return Either.left(`algorithm ${JSON.stringify(params.algorithm)} is not supported`)
  let qop: Qop | undefined
  // RFC 7616 section 3.3: a list; answer with one of them, never the list.
  // An empty list (http-auth sends qop="") is read as no qop: the RFC 2069 form.
  const offered = (params.qop ?? "")
    .split(",")
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q !== "")
  if (offered.length > 0) {
    qop = offered.includes("auth") ? "auth" : offered.includes("auth-int") ? "auth-int" : undefined
    if (qop === undefined) return Either.left(`qop ${JSON.stringify(params.qop)} offers neither "auth" nor "auth-int"`)
  }
  return Either.right({
    realm: params.realm,
    nonce: params.nonce,
    opaque: params.opaque,
    algorithm,
    algorithmSent: params.algorithm !== undefined,
    qop,
    stale: params.stale?.toLowerCase() === "true",
    userhash: params.userhash?.toLowerCase() === "true"
  })
}

/**
 * The challenge to answer among those of a header: the Digest ones that can
 * be answered, strongest algorithm first (RFC 7616 section 3.7). `undefined`
 * when the header has no Digest challenge at all.
 */
export const chooseChallenge = (
  challenges: ReadonlyArray<Challenge>
): Either.Either<DigestChallenge, string> | undefined => {
  const digests = challenges.filter((challenge) => challenge.scheme.toLowerCase() === "digest")
  if (digests.length === 0) return undefined
  const read = digests.map(readChallenge)
  const usable = read.filter(Either.isRight).map((either) => either.right)
  if (usable.length === 0) {
    const reasons = read.filter(Either.isLeft).map((either) => either.left)
    return Either.left(`no Digest challenge can be answered: ${[...new Set(reasons)].join("; ")}`)
  }
  return Either.right(
    usable.reduce((best, next) => (strength(next.algorithm) > strength(best.algorithm) ? next : best))
  )
}

/** What a response depends on besides the challenge. */
export interface Answer {
  readonly username: string
  readonly password: string
  readonly method: string
  /** The request-target: path and query as sent. */
  readonly uri: string
  readonly nc: number
  readonly cnonce: string
  /** The body's bytes, for `auth-int`. */
  readonly body: Uint8Array
}

const isPlainUsername = (username: string) => /^[\x20-\x7e]*$/.test(username) && !/["\\]/.test(username)

/** RFC 5987 / 8187 ext-value: `UTF-8''` and the percent-encoded bytes. */
const extValue = (value: string) =>
  `UTF-8''${Array.from(Buffer.from(value, "utf8"), (byte) => {
    const c = String.fromCharCode(byte)
    return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }).join("")}`

/** The `response` parameter (RFC 7616 section 3.4.1, RFC 2617 section 3.2.2.1, RFC 2069). */
export const response = (challenge: DigestChallenge, answer: Answer): string => {
  const H = (data: string | Uint8Array) => hash(challenge.algorithm, data)
  let ha1 = H(`${answer.username}:${challenge.realm}:${answer.password}`)
  // RFC 7616 section 3.4.2: the -sess variants hash the nonces into A1
  if (challenge.algorithm.endsWith("-sess")) ha1 = H(`${ha1}:${challenge.nonce}:${answer.cnonce}`)
  // RFC 7616 section 3.4.3: auth-int adds the hash of the body
  const a2 =
    challenge.qop === "auth-int" ? `${answer.method}:${answer.uri}:${H(answer.body)}` : `${answer.method}:${answer.uri}`
  const ha2 = H(a2)
  return challenge.qop === undefined
    ? H(`${ha1}:${challenge.nonce}:${ha2}`)
    : H(`${ha1}:${challenge.nonce}:${formatNc(answer.nc)}:${answer.cnonce}:${challenge.qop}:${ha2}`)
}

export const formatNc = (nc: number) => nc.toString(16).padStart(8, "0")

/** The `Authorization` (or `Proxy-Authorization`) value. */
export const authorization = (challenge: DigestChallenge, answer: Answer): string => {
  const fields: Array<string> = []
  if (challenge.userhash) {
    // RFC 7616 section 3.4.4: the username is hidden behind H(username:realm)
    fields.push(`username=${quote(hash(challenge.algorithm, `${answer.username}:${challenge.realm}`))}`)
  } else if (isPlainUsername(answer.username)) {
    fields.push(`username=${quote(answer.username)}`)
  } else {
    // RFC 7616 section 3.4.4: a username that a quoted-string cannot carry goes in username*
    fields.push(`username*=${extValue(answer.username)}`)
  }
  fields.push(`realm=${quote(challenge.realm)}`, `uri=${quote(answer.uri)}`)
  if (challenge.algorithmSent) fields.push(`algorithm=${challenge.algorithm}`)
  fields.push(`nonce=${quote(challenge.nonce)}`)
  if (challenge.qop !== undefined) {
    fields.push(`nc=${formatNc(answer.nc)}`, `cnonce=${quote(answer.cnonce)}`, `qop=${challenge.qop}`)
  } else if (challenge.algorithm.endsWith("-sess")) {
    // A -sess A1 hashes the cnonce, so the server needs it even without qop (RFC 2617 section
    // 3.2.2.2), though section 3.2.2 sends cnonce only with qop: the one form a server can check.
    fields.push(`cnonce=${quote(answer.cnonce)}`)
  }
  fields.push(`response=${quote(response(challenge, answer))}`)
  if (challenge.opaque !== undefined) fields.push(`opaque=${quote(challenge.opaque)}`)
  if (challenge.userhash) fields.push("userhash=true")
  return `Digest ${fields.join(", ")}`
}
