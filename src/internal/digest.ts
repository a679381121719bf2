/**
 * The Digest computation of RFC 7616 (and RFC 2617 / RFC 2069 forms): reading
 * a challenge, choosing among several, and computing the `Authorization`
 * value. Pure functions; the scheme in ../Digest.ts holds the state.
 */
import * as Either from "effect/Either"
import { type Challenge, escaped, quote } from "./challenge.js"
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

/**
 * The parts of an `Authorization` value that stay the same while a challenge
 * is reused, computed once when it arrives (RFC 7616 section 3.4.2: H(A1)
 * depends on user, realm and password only; a `-sess` A1 adds the nonce and
 * the request's cnonce, so only that last hash is left per request). Saves
 * one hash and the field formatting on every request after the first, and
 * most of the intermediate strings a request would make (each is garbage
 * the collector pays for under load): the texts around the per-request
 * values are joined once. `authorizationWith(prepare(c, u, p), ...)` equals
 * `authorization(c, ...)` (a property test checks it).
 */
export interface Prepared {
  readonly challenge: DigestChallenge
  /** H(username:realm:password). */
  readonly ha1: string
  /** `Digest username=…, realm=…, uri="` */
  readonly head: string
  /** `", algorithm=…, nonce=…`, then `, nc=` with a qop, `, cnonce="` for a `-sess` without one, or nothing. */
  readonly middle: string
  /** `", qop=…, response="` with a qop, `", response="` after a cnonce without one, or `, response="`. */
  readonly beforeResponse: string
  /** `"` and `, opaque=…, userhash=true`, or the `"` alone. */
  readonly tail: string
  /** `:nonce:` */
  readonly nonceText: string
  /** `:qop:`, or undefined for the RFC 2069 form. */
  readonly qopText: string | undefined
  /** `H(A1):nonce:`, the start of the response's hashed text when A1 is not `-sess`. */
  readonly responseStart: string
  readonly sess: boolean
}

export const prepare = (challenge: DigestChallenge, username: string, password: string): Prepared => {
  const H = (data: string) => hash(challenge.algorithm, data)
  const name = challenge.userhash
    ? `username=${quote(H(`${username}:${challenge.realm}`))}`
    : isPlainUsername(username)
      ? `username=${quote(username)}`
      : `username*=${extValue(username)}`
  const ha1 = H(`${username}:${challenge.realm}:${password}`)
  const sess = challenge.algorithm.endsWith("-sess")
  const { qop } = challenge
  // the fields between the nonce and the response: nc, cnonce, qop with a qop; cnonce alone for a
  // -sess without one (see `authorization`); none for RFC 2069
  const fixed = `"${challenge.algorithmSent ? `, algorithm=${challenge.algorithm}` : ""}, nonce=${quote(challenge.nonce)}`
  return {
    challenge,
    ha1,
    head: `Digest ${name}, realm=${quote(challenge.realm)}, uri="`,
    middle: qop !== undefined ? `${fixed}, nc=` : sess ? `${fixed}, cnonce="` : fixed,
    beforeResponse: qop !== undefined ? `", qop=${qop}, response="` : sess ? `", response="` : `, response="`,
    tail: `"${challenge.opaque === undefined ? "" : `, opaque=${quote(challenge.opaque)}`}${challenge.userhash ? ", userhash=true" : ""}`,
    nonceText: `:${challenge.nonce}:`,
    qopText: qop === undefined ? undefined : `:${qop}:`,
    responseStart: `${ha1}:${challenge.nonce}:`,
    sess
  }
}

/** `authorization` from a prepared challenge: the per-request hashes only. */
export const authorizationWith = (
  prepared: Prepared,
  method: string,
  uri: string,
  nc: number,
  cnonce: string,
  body: Uint8Array
): string => {
  const { algorithm, qop } = prepared.challenge
  const start = prepared.sess
    ? hash(algorithm, prepared.ha1 + prepared.nonceText + cnonce) + prepared.nonceText
    : prepared.responseStart
  const ha2 = hash(algorithm, qop === "auth-int" ? `${method}:${uri}:${hash(algorithm, body)}` : `${method}:${uri}`)
  const cnonceText = escaped(cnonce)
  let fields: string
  let digest: string
  if (prepared.qopText === undefined) {
    digest = hash(algorithm, start + ha2)
    fields = prepared.sess ? cnonceText : ""
  } else {
    const count = formatNc(nc)
    digest = hash(algorithm, start + count + ":" + cnonce + prepared.qopText + ha2)
    fields = `${count}, cnonce="${cnonceText}`
  }
  return prepared.head + escaped(uri) + prepared.middle + fields + prepared.beforeResponse + digest + prepared.tail
}

// The origin and request-target of an absolute http(s) URL whose parts the
// WHATWG parser would keep as written: lower-case host (a name whose last
// label starts with a letter, or a dotted quad), no default port, a path
// without dot segments and of characters that need no percent-encoding
// (in the query not even ', which the parser encodes in a special scheme's
// query: WHATWG URL's special-query percent-encode set).
const plainUrl =
  /^(https?):\/\/((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9]\d{0,4}))?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?(\?[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*)?$/

/**
 * The origin and the request-target (path and query as sent) of a request
 * URL without urlParams or hash, read without building a `URL` (about 1 µs a
 * request) when the text is already in the form the parser would give;
 * `undefined` sends the caller to `URL`. A property test compares it with
 * `URL`.
 */
export const fastTarget = (url: string): { readonly origin: string; readonly uri: string } | undefined => {
  const match = plainUrl.exec(url)
  if (match === null) return undefined
  const [, scheme, host, port, path, query] = match
  if (port !== undefined && (Number(port) > 65535 || port === (scheme === "https" ? "443" : "80"))) return undefined
  if (host!.includes("xn--")) return undefined
  // dot segments, written or percent-encoded (%2e), are resolved by the parser
  if (path !== undefined && /\/\.\.?(?:\/|$)|%2e|%(?![0-9A-Fa-f]{2})/i.test(path)) return undefined
  if (query !== undefined && /%(?![0-9A-Fa-f]{2})/.test(query)) return undefined
  return {
    origin: port === undefined ? `${scheme}://${host}` : `${scheme}://${host}:${port}`,
    uri: `${path ?? "/"}${query === "?" ? "" : (query ?? "")}`
  }
}
