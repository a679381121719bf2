/**
 * From an `HttpClientRequest` to the parts the SigV4 algorithm signs: the
 * real URL (`HttpClientRequest.toUrl`), the headers to sign, the payload
 * hash. Shared by header signing and presigning.
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as UrlParams from "@effect/platform/UrlParams"
import { SigningError } from "../AuthError.js"
import { collectStream, rebuild } from "./client.js"
import { canonicalUri, EMPTY_SHA256, type HeaderField, inOrder, sha256Hex } from "./sigv4.js"
import { encodePairs, parseQuery, type QueryParam, sortPairs } from "./percentEncoding.js"

/** Which headers to sign besides host, content-type and x-amz-*. */
export type HeaderSelection = { readonly all: true } | { readonly all: false; readonly names: ReadonlySet<string> }

/**
 * Never signed by `"*"`: the credentials themselves, hop-by-hop fields a
 * proxy may rewrite, and trace context that clients add or change per hop
 * (traceparent, b3). Naming one in `includeHeaders` signs it anyway.
 */
const UNSIGNABLE = new Set([
  "authorization",
  "connection",
  "expect",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "traceparent",
  "tracestate",
  "b3",
  "x-amzn-trace-id"
])

const isAutomatic = (name: string) =>
  name === "content-type" || (name.startsWith("x-amz-") && name !== "x-amz-client-context")

/**
 * The header fields to sign, `host` first (the request's, else the URL's
 * host with its port when not the default), then the request's headers to
 * sign, then `added` (the `x-amz-*` headers signing sets, which replace the
 * request's own).
 */
export const fieldsToSign = (
  headers: Headers.Headers,
  url: URL,
  selection: HeaderSelection,
  automatic = true,
  added?: Readonly<Record<string, string>>
): Array<HeaderField> => {
  const fields: Array<HeaderField> = [["host", headers.host ?? url.host]]
  for (const name in headers) {
    if (name === "host" || name === "authorization" || (added !== undefined && name in added)) continue
    const wanted = selection.all
      ? !UNSIGNABLE.has(name) && !name.startsWith("x-b3-")
      : (automatic && isAutomatic(name)) || selection.names.has(name)
    if (wanted) fields.push([name, headers[name]!])
  }
  for (const name in added) fields.push([name, added[name]!])
  return fields
}

/** What presigning sets itself, or reads as the payload hash: never hoisted. */
const UNHOISTABLE = new Set(["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"])

/**
 * The request's `x-amz-*` headers that a presigned URL carries as query
 * parameters (as the AWS SDK for JavaScript does), so that whoever uses the
 * URL need not send them: all but those signed as headers.
 */
export const hoisted = (headers: Headers.Headers, selection: HeaderSelection): Array<QueryParam> => {
  const params: Array<QueryParam> = []
  if (selection.all) return params
  for (const name in headers) {
    if (name.startsWith("x-amz-") && !UNHOISTABLE.has(name) && !selection.names.has(name)) {
      params.push([name, headers[name]!])
    }
  }
  return params
}

// `name=value` pairs of unreserved characters, each with its `=`: the query that encoding gives back unchanged.
const PLAIN_QUERY = /^[A-Za-z0-9\-._~]+=[A-Za-z0-9\-._~]*(?:&[A-Za-z0-9\-._~]+=[A-Za-z0-9\-._~]*)*$/

const EQUALS = "=".charCodeAt(0)

/**
 * Plain `name=value` texts by name, then value, read in place: `=` ends the
 * name, so it sorts before any character a name can hold ("a=2" before
 * "a-b=1"), and a plain value holds no `=`.
 */
const comparePlainPairs = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return (x === EQUALS ? 0 : x) - (y === EQUALS ? 0 : y)
  }
  return a.length - b.length
}

/**
 * The query as sent and as signed: decoded, then encoded the AWS way, so
 * the wire carries exactly what was signed (`%20`, never `+`). A query
 * already in that form is kept, and when its pairs are also in order it is
 * its own canonical form. `asGiven`: whether the encoded query is the URL's.
 */
export const queryOf = (
  url: URL
): { readonly encoded: string; readonly canonical: string; readonly asGiven: boolean } => {
  const query = url.search.slice(1)
  if (PLAIN_QUERY.test(query)) {
    if (!query.includes("&")) return { encoded: query, canonical: query, asGiven: true }
    const pairs = query.split("&")
    return {
      encoded: query,
      canonical: inOrder(pairs, comparePlainPairs) ? query : pairs.sort(comparePlainPairs).join("&"),
      asGiven: true
    }
  }
  const pairs = encodePairs(parseQuery(query))
  let encoded = ""
  for (let i = 0; i < pairs.length; i++) encoded += `${i === 0 ? "" : "&"}${pairs[i]![0]}=${pairs[i]![1]}`
  return { encoded, canonical: sortPairs(pairs), asGiven: encoded === query }
}

/**
 * The path as it goes on the wire: S3 signs the path as sent (not encoded
 * twice), so each segment is sent with every reserved character encoded,
 * as the AWS SDKs send object keys (`(` as `%28`).
 */
export const wirePath = (url: URL, service: string): string =>
  service === "s3" ? canonicalUri(url.pathname, false, true) : url.pathname

/** The request with its URL's path and query replaced (and no `urlParams`). */
export const withPathAndQuery = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  path: string,
  query: string
): HttpClientRequest.HttpClientRequest => {
  const bare = new URL(url.href)
  bare.search = ""
  bare.hash = ""
  bare.pathname = path
  // `setUrlParams` merges, and any `urlParams` left would make Effect re-serialise the whole query.
  return rebuild(request, {
    headers: request.headers,
    url: query === "" ? bare.href : `${bare.href}?${query}`,
    urlParams: UrlParams.empty
  })
}

export interface Payload {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly hash: string
}

/**
 * The payload hash when it can be had without reading a Stream: a
 * `SigningError` for a body that cannot be hashed, `undefined` for a Stream
 * body (`collectBody` reads it).
 */
export const payloadNow = (
  request: HttpClientRequest.HttpClientRequest,
  scheme: string,
  unsigned: string | undefined
): Payload | SigningError | undefined => {
  const given = request.headers["x-amz-content-sha256"]
  if (given !== undefined) return { request, hash: given }
  if (unsigned !== undefined) return { request, hash: unsigned }
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return { request, hash: EMPTY_SHA256 }
    case "Uint8Array":
      return { request, hash: sha256Hex(body.body) }
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string" || raw instanceof Uint8Array) return { request, hash: sha256Hex(raw) }
      if (raw instanceof ArrayBuffer) return { request, hash: sha256Hex(new Uint8Array(raw)) }
      return new SigningError({
        scheme,
        reason:
          "the request's Raw body is neither a string nor bytes, so it cannot be hashed: give a Uint8Array or Stream body, or set unsignedPayload"
      })
    }
    case "FormData":
      return new SigningError({
        scheme,
        reason:
          "a FormData body cannot be signed (its multipart boundary is chosen only when it is sent): encode it to bytes first, or set unsignedPayload"
      })
    case "Stream":
      return undefined
  }
}

/** Reads a Stream body once, hashes it, and puts the bytes back as the body. */
export const collectBody = (
  request: HttpClientRequest.HttpClientRequest,
  scheme: string
): Effect.Effect<Payload, SigningError> => {
  return collectStream(request, request.body as HttpBody.Stream).pipe(
    Effect.mapError(
      (cause) => new SigningError({ scheme, reason: "the request's Stream body failed while it was read", cause })
    ),
    Effect.map(({ request, bytes }) => ({ request, hash: sha256Hex(bytes) }))
  )
}

/** The payload hash, and the request with a Stream body collected once and put back as bytes. */
export const payloadOf = (
  request: HttpClientRequest.HttpClientRequest,
  scheme: string,
  unsigned: string | undefined
): Effect.Effect<Payload, SigningError> => {
  const now = payloadNow(request, scheme, unsigned)
  return now === undefined
    ? collectBody(request, scheme)
    : now instanceof SigningError
      ? Effect.fail(now)
      : Effect.succeed(now)
}
