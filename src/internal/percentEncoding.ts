/**
 * RFC 3986 percent-encoding, and the name/value pairs of a query or form
 * read and written with it: the one implementation that both signers sign
 * with.
 *
 * - RFC 3986 section 2.3: the unreserved characters (ALPHA, DIGIT, "-",
 *   ".", "_", "~") are never encoded; every other octet of the UTF-8 form is
 *   "%" and two hex digits, upper case here (section 2.1 allows either case,
 *   both signers require upper).
 * - RFC 5849 section 3.6 (OAuth 1.0a) is exactly that.
 * - AWS SigV4's UriEncode is exactly that too (a space is `%20`, never `+`).
 *
 * Nothing differs in the encoder. What each signer builds on it stays its
 * own: SigV4's canonical URI encodes each path segment twice for services
 * other than S3 (sigv4.ts), and OAuth's base string encodes the normalized
 * parameters once more (oauth1.ts).
 */

// RFC 3986 section 2.3: unreserved characters are never encoded.
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/
const SUB_DELIMS_LEFT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g
const hexOf = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`

/**
 * Every byte of the UTF-8 form percent-encoded except the unreserved
 * characters, hex in upper case, a space as `%20` (never `+`). A lone
 * surrogate (which has no UTF-8 form) becomes U+FFFD, as the WHATWG URL
 * parser does on the wire.
 */
export const percentEncode = (text: string): string => {
  if (UNRESERVED.test(text)) return text
  let encoded: string
  try {
    encoded = encodeURIComponent(text)
  } catch {
    encoded = encodeURIComponent(text.replace(LONE_SURROGATE, "\uFFFD"))
  }
  return encoded.replace(SUB_DELIMS_LEFT_BY_ENCODE_URI_COMPONENT, hexOf)
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Percent-decoding that keeps a malformed escape (`%zz`) as it is. */
export const percentDecode = (text: string): string => {
  if (!text.includes("%")) return text
  try {
    return decodeURIComponent(text)
  } catch {
    return text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run
      }
    })
  }
}

/** One query parameter, decoded. */
export type QueryParam = readonly [name: string, value: string]

/**
 * The parameters of a query string (without `?`) or a form body, split on
 * `&` only (`;` is no separator), decoded, with `+` read as a space as the
 * WHATWG URL serialiser writes it (`UrlParams` goes on the wire that way)
 * and as W3C HTML 4.01 section 17.13.4 says (RFC 5849 section 3.4.1.3.1).
 */
export const parseQuery = (query: string): Array<QueryParam> => {
  const params: Array<QueryParam> = []
  if (query === "") return params
  for (const part of query.split("&")) {
    if (part === "") continue
    const at = part.indexOf("=")
    const name = at === -1 ? part : part.slice(0, at)
    const value = at === -1 ? "" : part.slice(at + 1)
    params.push([percentDecode(name.replaceAll("+", " ")), percentDecode(value.replaceAll("+", " "))])
  }
  return params
}

/** Code-point order; on encoded (ASCII) text, the byte order of RFC 5849 section 3.4.1.3.2 and SigV4. */
export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Parameters encoded with `percentEncode`, in the order given. */
export const encodePairs = (params: ReadonlyArray<QueryParam>): Array<QueryParam> =>
  params.map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)

const comparePairs = (a: QueryParam, b: QueryParam) => byCodePoint(a[0], b[0]) || byCodePoint(a[1], b[1])

/** The canonical query string of encoded pairs: sorted by name, then value. */
export const sortPairs = (encoded: ReadonlyArray<QueryParam>): string => {
  if (encoded.length === 0) return ""
  if (encoded.length === 1) return `${encoded[0]![0]}=${encoded[0]![1]}`
  const sorted = [...encoded].sort(comparePairs)
  let out = ""
  for (let i = 0; i < sorted.length; i++) out += `${i === 0 ? "" : "&"}${sorted[i]![0]}=${sorted[i]![1]}`
  return out
}

/**
 * The canonical query string: encoded names and values, sorted by name,
 * then value (SigV4's canonical query; RFC 5849 section 3.4.1.3.2's
 * normalized parameters).
 */
export const canonicalQuery = (params: ReadonlyArray<QueryParam>): string => sortPairs(encodePairs(params))
