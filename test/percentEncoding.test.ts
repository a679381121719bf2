/**
 * The one RFC 3986 percent-encoder (src/internal/percentEncoding.ts) that
 * SigV4 and OAuth 1.0a sign with, against two references: the octets of
 * the UTF-8 form encoded one by one (RFC 3986 section 2.1 and 2.3, RFC 5849
 * section 3.6), and `encodeURIComponent` with the five sub-delimiters it
 * leaves ("!", "'", "(", ")", "*") encoded too.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { OAuth1 } from "../src/index.js"
import { percentDecode, percentEncode } from "../src/internal/percentEncoding.js"
import { uriEncode } from "../src/internal/sigv4.js"

/** Octet by octet: unreserved as is, every other one "%" and two upper-case hex digits. */
const byOctets = (text: string) =>
  [...Buffer.from(text, "utf8")]
    .map((octet) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(octet))
        ? String.fromCharCode(octet)
        : `%${octet.toString(16).toUpperCase().padStart(2, "0")}`
    )
    .join("")

const byEncodeUriComponent = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

// any UTF-16 text, lone surrogates included (the wire has U+FFFD for them, as Buffer's UTF-8 does)
const anyText = fc.string({ unit: "binary" })

describe("percentEncode", () => {
  it("property: equals the octet-by-octet encoding of the UTF-8 form, lone surrogates as U+FFFD", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(percentEncode(text)).toBe(byOctets(text))
      }),
      { numRuns: 500 }
    )
  })

  it("property: equals encodeURIComponent with !'()* encoded, on well-formed text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(percentEncode(text)).toBe(byEncodeUriComponent(text))
        expect(percentDecode(percentEncode(text))).toBe(text)
      }),
      { numRuns: 500 }
    )
  })

  it("is the encoder of both signers: OAuth1.percentEncode and SigV4's uriEncode", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(OAuth1.percentEncode(text)).toBe(percentEncode(text))
        expect(uriEncode(text)).toBe(percentEncode(text))
      })
    )
    expect(percentEncode("\uD800a")).toBe("%EF%BF%BDa")
    expect(percentEncode("a b+~*")).toBe("a%20b%2B~%2A")
  })
})
