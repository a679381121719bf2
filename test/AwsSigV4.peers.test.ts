/**
 * Cross-checks on generated requests (methods, paths with unicode, dots,
 * slashes and reserved characters, repeated and odd query parameters,
 * headers with runs of spaces, bodies): our signature equals
 * @smithy/signature-v4's and aws4's on 1,000 requests, and botocore's
 * SigV4Auth / S3SigV4Auth Authorization header on 300.
 *
 * Where a peer departs from AWS's rules the comparison with that peer is
 * skipped for that request, counted, and the reason is written here:
 * - aws4, S3: signs only the first value of a repeated query parameter
 *   (`firstValOnly`), while S3 signs every value.
 * - aws4, S3: reads `+` in the path as a space (`decodeURIComponent(piece.replace(/\+/g, " "))`);
 *   on the wire a `+` in a path is a plus.
 * - aws4, S3: turns an encoded slash (`%2F`) in the path into `/` before
 *   signing (`decodeSlashesInPath`), so it signs another path than the one
 *   sent; botocore and @smithy sign the path as sent.
 */
import { HttpBody, HttpClientRequest } from "@effect/platform"
import { Effect, Redacted, TestClock, TestContext } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { AwsSigV4 } from "../src/index.js"
import {
  aws4Signature,
  botocoreAuthorizations,
  peerCredentials,
  smithySignature,
  type WireRequest
} from "./fixtures/sigv4Peers.js"

const NOW = Date.parse("2015-08-30T12:36:00Z")

const pieceChars = fc.constantFrom(..."aZ09-_.~ %+!()*'@:,;=$&é".split(""), "ሴ", "😀", "%20", "%2F", "%41", "%zz")
const piece = fc.array(pieceChars, { maxLength: 6 }).map((parts) => parts.join(""))
const segment = fc.oneof({ weight: 1, arbitrary: fc.constantFrom("", ".", "..") }, { weight: 5, arbitrary: piece })
const path = fc.array(segment, { maxLength: 5 }).map((segments) => `/${segments.join("/")}`)
const queryText = fc
  .array(fc.constantFrom(..."aZ09-_.~ +!*'/?:;=&é".split(""), "ሴ", "😀"), { maxLength: 6 })
  .map((p) => p.join(""))
const query = fc.array(
  fc.tuple(
    queryText.filter((name) => name !== ""),
    queryText
  ),
  { maxLength: 5 }
)
const headerValue = fc
  .array(fc.constantFrom(..."ab Z9,;=  \t".split("")), { maxLength: 12 })
  .map((parts) => parts.join(""))
const headers = fc.dictionary(
  fc.stringMatching(/^x-h-[a-z]{1,5}$/),
  headerValue.filter((value) => value.trim() !== ""),
  { maxKeys: 3 }
)

const generated = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
  service: fc.constantFrom("service", "s3", "execute-api"),
  region: fc.constantFrom("us-east-1", "eu-west-3"),
  path,
  query,
  headers,
  body: fc.oneof(fc.constant(""), fc.string({ maxLength: 40 }))
})

type Generated = typeof generated extends fc.Arbitrary<infer A> ? A : never

/** Signs a generated request with AwsSigV4.sign and describes it as it goes on the wire. */
const signOurs = (g: Generated) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(NOW)
    let request = HttpClientRequest.make(g.method as "GET")(`http://example.amazonaws.com${g.path}`, {
      urlParams: g.query
    })
    if (g.body !== "") request = HttpClientRequest.setBody(request, HttpBody.text(g.body))
    request = HttpClientRequest.setHeaders(request, g.headers)
    const signed = yield* AwsSigV4.sign(request, {
      region: g.region,
      service: g.service,
      credentials: { ...peerCredentials, secretAccessKey: Redacted.make(peerCredentials.secretAccessKey) },
      includeHeaders: "*",
      contentSha256Header: g.service === "s3"
    })
    const url = HttpClientRequest.toUrl(signed)
    if (url._tag === "None") throw new Error("no URL")
    const sent: Record<string, string> = {}
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name !== "authorization" && name !== "x-amz-date" && name !== "host") sent[name] = value
    }
    const wire: WireRequest = {
      method: g.method,
      url: url.value.href,
      headers: sent,
      body: g.body,
      region: g.region,
      service: g.service,
      amzDate: signed.headers["x-amz-date"]!
    }
    return {
      wire,
      signature: /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization!)![1]!,
      authorization: signed.headers.authorization!
    }
  }).pipe(Effect.provide(TestContext.TestContext), Effect.runPromise)

const aws4Departs = (g: Generated) =>
  g.service === "s3" &&
  (new Set(g.query.map(([name]) => name)).size !== g.query.length || g.path.includes("+") || g.path.includes("%2F"))

describe("AwsSigV4 against @smithy/signature-v4 and aws4 (fast-check)", () => {
  it("gives the same signature on 1,000 generated requests", async () => {
    let aws4Skipped = 0
    let runs = 0
    await fc.assert(
      fc.asyncProperty(generated, async (g) => {
        runs++
        const ours = await signOurs(g)
        expect(await smithySignature(ours.wire)).toBe(ours.signature)
        if (aws4Departs(g)) aws4Skipped++
        else expect(aws4Signature(ours.wire)).toBe(ours.signature)
      }),
      { numRuns: 1000, seed: 20151030 }
    )
    expect(runs).toBe(1000)
    // the departures above are rare; a jump means a generator change hid the comparison
    expect(aws4Skipped).toBeLessThan(150)
  })

  it("matches on hand-picked edge cases", async () => {
    const cases: Array<Generated> = [
      { method: "GET", service: "service", region: "us-east-1", path: "/a b/%20/ሴ", query: [], headers: {}, body: "" },
      {
        method: "GET",
        service: "s3",
        region: "us-east-1",
        path: "/bucket/a b(1)!*'.txt",
        query: [],
        headers: {},
        body: ""
      },
      {
        method: "POST",
        service: "execute-api",
        region: "eu-west-3",
        path: "//a//b/./c/../",
        query: [
          ["b", "2"],
          ["a", "z"],
          ["a", "y"],
          ["a b", "c+d"],
          ["~", ""]
        ],
        headers: { "x-h-a": "  one   two  ", "x-h-b": "x\ty" },
        body: "héllo"
      }
    ]
    for (const g of cases) {
      const ours = await signOurs(g)
      expect(await smithySignature(ours.wire)).toBe(ours.signature)
      expect(aws4Signature(ours.wire)).toBe(ours.signature)
    }
  })
})

describe("AwsSigV4 against botocore (python3-botocore, spawned)", () => {
  it("gives botocore's Authorization header on 300 generated requests", async () => {
    const samples = fc.sample(generated, { numRuns: 300, seed: 424242 })
    const ours = await Promise.all(samples.map(signOurs))
    const theirs = botocoreAuthorizations(ours.map((o) => o.wire))
    expect(theirs.length).toBe(300)
    for (let i = 0; i < ours.length; i++) expect([samples[i], theirs[i]]).toEqual([samples[i], ours[i]!.authorization])
  })
})
