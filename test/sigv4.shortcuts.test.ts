/**
 * The signer's shortcuts give what the general algorithm gives: the HMAC
 * over reused buffers equals node:crypto's `createHmac`, the plain-query
 * and plain-path shortcuts equal the full decode-and-encode, and the
 * trimming shortcut equals the full trim. Each is checked on generated input
 * that reaches both sides of the shortcut (fast-check), and on the cases at
 * its edges.
 */
import { createHmac } from "node:crypto"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalUri, hmacHex, signingKey, trimAll, uriEncode } from "../src/internal/sigv4.js"
import { canonicalQuery, encodePairs, parseQuery } from "../src/internal/percentEncoding.js"
import { queryOf } from "../src/internal/sigv4Request.js"

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

describe("hmacHex", () => {
  it("equals createHmac on any message, the long ones that outgrow the key's buffer too", () => {
    const key = signingKey(SECRET, "20150830", "us-east-1", "service")
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 300 }),
          fc.string({ unit: "binary", minLength: 400, maxLength: 3000 })
        ),
        (message) => {
          expect(hmacHex(key, message)).toBe(createHmac("sha256", key.key).update(message).digest("hex"))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("keeps each key's pads apart when keys alternate, and after a buffer grows", () => {
    const first = signingKey(SECRET, "20150830", "us-east-1", "service")
    const second = signingKey(SECRET, "20150831", "eu-west-3", "s3")
    const long = "é".repeat(2000)
    for (const message of ["a", long, "b", long.slice(0, 10)]) {
      expect(hmacHex(first, message)).toBe(createHmac("sha256", first.key).update(message).digest("hex"))
      expect(hmacHex(second, message)).toBe(createHmac("sha256", second.key).update(message).digest("hex"))
    }
    expect(first.key.equals(second.key)).toBe(false)
  })
})

/** The general path: decode the query, encode it the AWS way, sort. */
const generalQuery = (query: string) => {
  const pairs = encodePairs(parseQuery(query))
  const encoded = pairs.map(([name, value]) => `${name}=${value}`).join("&")
  return { encoded, canonical: canonicalQuery(parseQuery(query)), asGiven: encoded === query }
}

describe("queryOf", () => {
  const queryChar = fc.constantFrom(..."aZ09-._~=&%+ é".split(""), "%20", "%41", "%zz")

  it("equals the general decode-and-encode on any query, plain or not", () => {
    fc.assert(
      fc.property(fc.array(queryChar, { maxLength: 16 }), (chars) => {
        const query = chars.join("")
        const url = new URL(`https://example.amazonaws.com/?${query}`)
        expect(queryOf(url)).toEqual(generalQuery(url.search.slice(1)))
      }),
      { numRuns: 2000 }
    )
  })

  it("keeps a plain query as it is, sorting only what is out of order", () => {
    const of = (query: string) => queryOf(new URL(`https://example.amazonaws.com/?${query}`))
    expect(of("limit=10&page=2")).toEqual({ encoded: "limit=10&page=2", canonical: "limit=10&page=2", asGiven: true })
    expect(of("page=2&limit=10")).toEqual({ encoded: "page=2&limit=10", canonical: "limit=10&page=2", asGiven: true })
    // By name, then value; "a-b" sorts after "a" though "-" sorts before "=".
    expect(of("a-b=1&a=2&a=1")).toEqual({ encoded: "a-b=1&a=2&a=1", canonical: "a=1&a=2&a-b=1", asGiven: true })
    // Not plain: a name without "=", an empty pair, a "+" and an escape are all rewritten.
    expect(of("flag&b=1")).toEqual({ encoded: "flag=&b=1", canonical: "b=1&flag=", asGiven: false })
    expect(of("a=1&&b=2")).toEqual({ encoded: "a=1&b=2", canonical: "a=1&b=2", asGiven: false })
    expect(of("q=a+b&r=%41")).toEqual({ encoded: "q=a%20b&r=A", canonical: "q=a%20b&r=A", asGiven: false })
  })
})

/** RFC 3986 section 5.2.4 with empty segments merged, each segment encoded once more (AWS, not S3). */
const normalizedReference = (path: string) => {
  const out: Array<string> = []
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") out.pop()
    else out.push(uriEncode(segment))
  }
  if (out.length === 0) return "/"
  return `/${out.join("/")}${path.endsWith("/") ? "/" : ""}`
}

describe("canonicalUri", () => {
  const segment = fc.constantFrom("a", "b-c", "~x_", ".", "..", "", ".hidden", "a.", "%20", "é", "a b")
  const path = fc.array(segment, { maxLength: 6 }).map((segments) => `/${segments.join("/")}`)

  it("normalises and encodes twice as the general rule does, plain paths kept as they are", () => {
    fc.assert(
      fc.property(path, (path) => {
        expect(canonicalUri(path, true, false)).toBe(path === "/" ? "/" : normalizedReference(path))
        expect(canonicalUri(path, false, false)).toBe(path === "/" ? "/" : path.split("/").map(uriEncode).join("/"))
      }),
      { numRuns: 1000 }
    )
  })

  it("keeps plain paths, and normalises those with dot or empty segments", () => {
    expect(canonicalUri("/prod/items/42", true, false)).toBe("/prod/items/42")
    expect(canonicalUri("/a/.well-known/b.", true, false)).toBe("/a/.well-known/b.")
    expect(canonicalUri("/a/./b/../c/", true, false)).toBe("/a/c/")
    expect(canonicalUri("/a//b", true, false)).toBe("/a/b")
    expect(canonicalUri("/a/..", true, false)).toBe("/")
    // S3 is never normalised.
    expect(canonicalUri("/a/./b//c", true, true)).toBe("/a/./b//c")
    expect(canonicalUri("/a%20b/c", true, true)).toBe("/a%20b/c")
  })
})

describe("trimAll", () => {
  it("leaves a value with only single inner spaces as it is, and trims and collapses the rest", () => {
    expect(trimAll("abc123.execute-api.us-east-1.amazonaws.com")).toBe("abc123.execute-api.us-east-1.amazonaws.com")
    expect(trimAll("a b c")).toBe("a b c")
    expect(trimAll(" a  b\t\tc ")).toBe("a b c")
    expect(trimAll("a\r\n b")).toBe("a b")
    expect(trimAll("\ta")).toBe("a")
    expect(trimAll("a\u00a0")).toBe("a")
    expect(trimAll("")).toBe("")
  })

  it("never changes a value that the full trim would keep (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", " ", "\t", "\n", "\u00a0", "\v", "b"), { maxLength: 10 }), (chars) => {
        const value = chars.join("")
        const full = value.trim()
        const expected = full.includes("  ") || /[\t\r\n]/.test(full) ? full.replace(/\s+/g, " ") : full
        expect(trimAll(value)).toBe(expected)
      }),
      { numRuns: 1000 }
    )
  })
})
