/**
 * The AWS Signature Version 4 algorithm, without Effect: canonical request,
 * string to sign, derived key and signature. Everything is hashed with
 * node:crypto (a JS SHA-256 is several times slower on a 1 MiB body).
 *
 * Reference: "Create a signed AWS API request" (AWS IAM user guide) and the
 * aws-c-auth test suite read by test/AwsSigV4.suite.test.ts.
 */
import * as crypto from "node:crypto"
import { hashHex, hashText } from "./hash.js"
// the RFC 3986 encoding SigV4 shares with OAuth 1, under AWS's names (UriEncode)
import {
  byCodePoint,
  canonicalQuery,
  type QueryParam,
  percentDecode as uriDecode,
  percentEncode as uriEncode
} from "./percentEncoding.js"

export { uriEncode }

export const ALGORITHM = "AWS4-HMAC-SHA256"
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

const streamingHex = (data: string | Uint8Array) => crypto.createHash("sha256").update(data).digest("hex")

/**
 * SHA-256 in hex: one-shot for the short texts of every signature, a Hash
 * object for bodies above 64 KiB (the two measure the same on a 1 MiB body).
 */
export const sha256Hex = (data: string | Uint8Array): string =>
  data.length > 65_536 ? streamingHex(data) : hashHex("sha256", data)

/**
 * RFC 3986 section 5.2.4 dot-segment removal, with empty segments merged
 * too: what AWS services other than S3 do (aws-c-auth's "normalized" cases,
 * botocore's `remove_dot_segments`).
 */
const normalizeSegments = (segments: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") out.pop()
    else out.push(segment)
  }
  return out
}

// A path of unreserved characters is its own encoding (once or twice).
const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/

/** Whether `path` is already canonical: plain, and when normalised, absolute with no empty or dot segment. */
const isCanonicalPath = (path: string, normalize: boolean): boolean =>
  PLAIN_PATH.test(path) && (!normalize || (path[0] === "/" && !path.includes("//") && !DOT_SEGMENT.test(path)))

/**
 * The canonical URI of a path as it goes on the wire.
 * - Other services: dot segments removed and slashes merged (when
 *   `normalize`), then each segment encoded again, so `%20` becomes `%2520`
 *   (AWS's "encode twice").
 * - S3 (`s3`): neither normalised nor encoded twice: each segment is decoded
 *   and encoded once, which is how S3 rebuilds it from the object key.
 */
export const canonicalUri = (path: string, normalize: boolean, s3: boolean): string => {
  if (path === "" || path === "/") return "/"
  if (isCanonicalPath(path, normalize && !s3)) return path
  if (s3) {
    return path
      .split("/")
      .map((segment) => uriEncode(uriDecode(segment)))
      .join("/")
  }
  if (!normalize) return path.split("/").map(uriEncode).join("/")
  const segments = normalizeSegments(path.split("/"))
  if (segments.length === 0) return "/"
  // A trailing slash stays only when the path ends with one (botocore, @smithy: "/a/b/.." is "/a").
  return `/${segments.map(uriEncode).join("/")}${path.endsWith("/") ? "/" : ""}`
}

/** Whether `items` are already in the order of `compare`: then there is nothing to sort or copy. */
export const inOrder = <A>(items: ReadonlyArray<A>, compare: (a: A, b: A) => number): boolean => {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) > 0) return false
  return true
}

const SPACES = /\s+/g
// White space at an end, two in a row, or any but a plain space: what trimAll would change.
const UNTRIMMED = /^\s|\s$|\s\s|[^\S ]/

/** A header value trimmed, its inner runs of white space (line folds too) made one space. */
export const trimAll = (value: string): string => {
  if (!UNTRIMMED.test(value)) return value
  const trimmed = value.trim()
  return trimmed.includes("  ") || /[\t\r\n]/.test(trimmed) ? trimmed.replace(SPACES, " ") : trimmed
}

/** A header to sign: lower-case name, value as sent. A name may repeat. */
export type HeaderField = readonly [name: string, value: string]

const byName = (a: HeaderField, b: HeaderField) => byCodePoint(a[0], b[0])

/** Canonical headers and the signed headers list, from the fields to sign. */
export const canonicalHeaders = (
  fields: ReadonlyArray<HeaderField>
): { readonly canonical: string; readonly signed: string } => {
  // A stable sort keeps repeated fields in their order.
  const sorted = inOrder(fields, byName) ? fields : [...fields].sort(byName)
  let canonical = ""
  let signed = ""
  for (let i = 0; i < sorted.length; i++) {
    const [name, value] = sorted[i]!
    if (i > 0 && sorted[i - 1]![0] === name) {
      // Repeated fields: values joined with commas, in order.
      canonical = `${canonical.slice(0, -1)},${trimAll(value)}\n`
      continue
    }
    canonical += `${name}:${trimAll(value)}\n`
    signed += i === 0 ? name : `;${name}`
  }
  return { canonical, signed }
}

let lastSecond = Number.NaN
let lastDate = ""

/** `20150830T123600Z` from epoch milliseconds (the last one kept: requests come many per second). */
export const amzDate = (millis: number): string => {
  const second = Math.floor(millis / 1000)
  if (second === lastSecond) return lastDate
  const iso = new Date(second * 1000).toISOString()
  lastSecond = second
  lastDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  return lastDate
}

/**
 * A derived signing key with its two HMAC blocks (RFC 2104 section 2): the
 * key XOR ipad with room after it for the message, and the key XOR opad with
 * room for the inner digest. An HMAC is then two one-shot hashes over these
 * buffers, with no Buffer allocated: about a third of a `createHmac`. Hashing
 * is synchronous, so no two calls ever use the buffers at once.
 */
export interface SigningKey {
  readonly key: Buffer
  /** ipad, then the message; replaced by a larger one when a message does not fit. */
  inner: Buffer
  /** opad, then the inner digest. */
  readonly outer: Buffer
}

/** Room for a message in `inner`: a string to sign is under 300 characters. */
const MESSAGE_ROOM = 1024

const padded = (key: Buffer, pad: number, room: number): Buffer => {
  // A SHA-256 HMAC key of 32 bytes fills a 64-byte block with zeros.
  const block = Buffer.alloc(64 + room)
  block.fill(pad, 0, 64)
  for (let i = 0; i < key.length; i++) block[i]! ^= key[i]!
  return block
}

const blocksOf = (key: Buffer): SigningKey => ({
  key,
  inner: padded(key, 0x36, MESSAGE_ROOM),
  outer: padded(key, 0x5c, 32)
})

/**
 * Derived signing keys by secret, day, region and service: one HMAC per
 * request instead of five. Bounded, as a process signs for a few scopes.
 */
const keys = new Map<string, SigningKey>()

/** The key of the last call: a process mostly signs for one scope, and this skips building the map's key. */
let last = { secret: "", day: "", region: "", service: "", key: undefined as SigningKey | undefined }

export const signingKey = (secret: string, day: string, region: string, service: string): SigningKey => {
  if (last.day === day && last.region === region && last.service === service && last.secret === secret) {
    return last.key!
  }
  const id = `${day}\n${region}\n${service}\n${secret}`
  let key = keys.get(id)
  if (key === undefined) {
    const kDate = crypto.createHmac("sha256", `AWS4${secret}`).update(day).digest()
    const kRegion = crypto.createHmac("sha256", kDate).update(region).digest()
    const kService = crypto.createHmac("sha256", kRegion).update(service).digest()
    key = blocksOf(crypto.createHmac("sha256", kService).update("aws4_request").digest())
    if (keys.size >= 64) keys.delete(keys.keys().next().value!)
    keys.set(id, key)
  }
  last = { secret, day, region, service, key }
  return key
}

/**
 * HMAC-SHA256 in hex: H(opad block || H(ipad block || data)). The inner
 * digest comes out as latin1 text and is written back as bytes: asking
 * node:crypto for a Buffer costs four times a string.
 */
export const hmacHex = (key: SigningKey, data: string): string => {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (64 + data.length * 3 > key.inner.length) {
    const larger = Buffer.alloc(64 + data.length * 3)
    key.inner.copy(larger, 0, 0, 64)
    key.inner = larger
  }
  const end = 64 + key.inner.write(data, 64, "utf8")
  key.outer.write(hashText("sha256", key.inner.subarray(0, end), "latin1"), 64, "latin1")
  return hashText("sha256", key.outer, "hex")
}

export interface SignInput {
  readonly method: string
  /** The path as on the wire (or as in the suite's request line). */
  readonly path: string
  /** The decoded query parameters, or the canonical query string when the caller already has it. */
  readonly query: ReadonlyArray<QueryParam> | string
  /** The fields to sign, lower-case names. */
  readonly headers: ReadonlyArray<HeaderField>
  readonly payloadHash: string
  readonly amzDate: string
  readonly region: string
  readonly service: string
  readonly secretAccessKey: string
  readonly normalizePath: boolean
}

export interface Signed {
  readonly canonicalRequest: string
  readonly stringToSign: string
  readonly signature: string
  readonly signedHeaders: string
  /** `day/region/service/aws4_request` */
  readonly scope: string
}

/** Signs a request described by its canonical parts. */
export const sign = (input: SignInput): Signed => {
  const { canonical, signed } = canonicalHeaders(input.headers)
  const canonicalRequest = `${input.method}\n${canonicalUri(input.path, input.normalizePath, input.service === "s3")}\n${typeof input.query === "string" ? input.query : canonicalQuery(input.query)}\n${canonical}\n${signed}\n${input.payloadHash}`
  const day = input.amzDate.slice(0, 8)
  const scope = `${day}/${input.region}/${input.service}/aws4_request`
  const stringToSign = `${ALGORITHM}\n${input.amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`
  const signature = hmacHex(signingKey(input.secretAccessKey, day, input.region, input.service), stringToSign)
  return { canonicalRequest, stringToSign, signature, signedHeaders: signed, scope }
}
