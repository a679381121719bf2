/**
 * The AWS SigV4 test suite (aws-c-auth's v4 cases), read in place: every
 * case, header and query signing, asserting the canonical request, the
 * string to sign and the signature of the internal signer.
 */
import { describe, expect, it } from "vitest"
import { ALGORITHM, amzDate, type HeaderField, sha256Hex, sign } from "../src/internal/sigv4.js"
import { parseQuery, type QueryParam } from "../src/internal/percentEncoding.js"
import { type SuiteCase, suiteCases } from "./fixtures/sigv4Suite.js"

const cases = suiteCases()

const common = (c: SuiteCase) => ({
  method: c.request.method,
  path: c.request.path,
  payloadHash: sha256Hex(c.request.body),
  amzDate: amzDate(Date.parse(c.context.timestamp)),
  region: c.context.region,
  service: c.context.service,
  secretAccessKey: c.context.credentials.secret_access_key,
  normalizePath: c.context.normalize
})

const requestFields = (c: SuiteCase): Array<HeaderField> =>
  c.request.headers.map(([name, value]) => [name.toLowerCase(), value] as const)

/** Whether the session token goes into what is signed (post-sts-header-after adds it afterwards). */
const signedToken = (c: SuiteCase) =>
  c.context.credentials.token !== undefined && c.context.omit_session_token !== true
    ? c.context.credentials.token
    : undefined

const signHeaderCase = (c: SuiteCase) => {
  const base = common(c)
  const fields = requestFields(c)
  fields.push(["x-amz-date", base.amzDate])
  const token = signedToken(c)
  if (token !== undefined) fields.push(["x-amz-security-token", token])
  if (c.context.sign_body) fields.push(["x-amz-content-sha256", base.payloadHash])
  return sign({ ...base, query: parseQuery(c.request.query), headers: fields })
}

const signQueryCase = (c: SuiteCase) => {
  const base = common(c)
  const fields = requestFields(c)
  const signedHeaders = [...new Set(fields.map(([name]) => name))].sort().join(";")
  const query: Array<QueryParam> = parseQuery(c.request.query)
  query.push(
    ["X-Amz-Algorithm", ALGORITHM],
    [
      "X-Amz-Credential",
      `${c.context.credentials.access_key_id}/${base.amzDate.slice(0, 8)}/${base.region}/${base.service}/aws4_request`
    ],
    ["X-Amz-Date", base.amzDate],
    ["X-Amz-Expires", String(c.context.expiration_in_seconds)],
    ["X-Amz-SignedHeaders", signedHeaders]
  )
  const token = signedToken(c)
  if (token !== undefined) query.push(["X-Amz-Security-Token", token])
  return sign({ ...base, query, headers: fields })
}

describe("AWS SigV4 suite (internal signer)", () => {
  it("reads the 38 cases in place", () => {
    expect(cases.length).toBe(38)
  })

  for (const c of cases) {
    it(`${c.name}: header signing`, () => {
      const signed = signHeaderCase(c)
      expect(signed.canonicalRequest).toBe(c.expected("header", "canonical-request"))
      expect(signed.stringToSign).toBe(c.expected("header", "string-to-sign"))
      expect(signed.signature).toBe(c.expected("header", "signature"))
      expect(c.expected("header", "signed-request")).toContain(
        `Authorization:AWS4-HMAC-SHA256 Credential=${c.context.credentials.access_key_id}/${signed.scope}, SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}\n`
      )
    })

    it(`${c.name}: query signing`, () => {
      const signed = signQueryCase(c)
      expect(signed.canonicalRequest).toBe(c.expected("query", "canonical-request"))
      expect(signed.stringToSign).toBe(c.expected("query", "string-to-sign"))
      expect(signed.signature).toBe(c.expected("query", "signature"))
      expect(c.expected("query", "signed-request")).toContain(`&X-Amz-Signature=${signed.signature} HTTP/1.1\n`)
    })
  }
})
