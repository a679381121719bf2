import { FetchHttpClient, HttpBody, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Stream, TestClock } from "effect"
import fc from "fast-check"
import { ApiKey, AwsCredentials, AwsSigV4, HttpAuth } from "../src/index.js"
import { uriEncode } from "../src/internal/sigv4.js"
import { parseQuery } from "../src/internal/percentEncoding.js"
import { echo, seenOf, serve } from "./fixtures/server.js"
import { type SuiteCase, suiteCases } from "./fixtures/sigv4Suite.js"
import { presignVerifier, smithySigner, verifying } from "./fixtures/sigv4Verifier.js"

const Base = NodeHttpClient.layerUndici

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }

/** A client that answers every request with nothing and keeps the last request it was given. */
const capturing = () => {
  let last: HttpClientRequest.HttpClientRequest | undefined
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      last = request
      return HttpClientResponse.fromWeb(request, new Response(""))
    })
  )
  return { client, last: () => last! }
}

// --- the suite through the public API ----------------------------------------

/**
 * A suite case can go through an `HttpClientRequest` when its request line is
 * a URL path the WHATWG parser keeps (a raw space, raw UTF-8 or an
 * unnormalised dot segment never reaches the wire as written) and its header
 * names do not repeat (Effect's `Headers` is a record).
 */
const representable = (c: SuiteCase) => {
  const names = c.request.headers.map(([name]) => name.toLowerCase())
  if (new Set(names).size !== names.length) return false
  if (c.context.omit_session_token === true) return false
  const pathname = new URL(`http://example.amazonaws.com${c.request.path}`).pathname
  return pathname === c.request.path || (c.context.normalize && encodeURI(c.request.path) === c.request.path)
}

const suiteRequest = (c: SuiteCase) => {
  let request = HttpClientRequest.make(c.request.method as "GET")(
    `http://example.amazonaws.com${c.request.path}${c.request.query === "" ? "" : `?${c.request.query}`}`
  )
  const headers = Object.fromEntries(
    c.request.headers.filter(([name]) => name.toLowerCase() !== "host").map(([name, value]) => [name, value])
  )
  if (c.request.body !== "") {
    request = HttpClientRequest.bodyUint8Array(request, new TextEncoder().encode(c.request.body))
  }
  return HttpClientRequest.setHeaders(request, headers)
}

const suiteCredentials = (c: SuiteCase) => ({
  accessKeyId: c.context.credentials.access_key_id,
  secretAccessKey: Redacted.make(c.context.credentials.secret_access_key),
  ...(c.context.credentials.token === undefined ? {} : { sessionToken: Redacted.make(c.context.credentials.token) })
})

describe("AwsSigV4: the AWS suite through HttpClientRequest", () => {
  const cases = suiteCases()
  const usable = cases.filter(representable)

  it("runs the cases that a URL can carry, and says which it cannot", () => {
    expect(cases.filter((c) => !representable(c)).map((c) => c.name)).toEqual([
      "get-header-key-duplicate",
      "get-header-value-order",
      "get-relative-relative-unnormalized",
      "get-relative-unnormalized",
      "get-slash-dot-slash-unnormalized",
      "get-slash-pointless-dot-unnormalized",
      "get-space-normalized",
      "get-space-unnormalized",
      "get-utf8",
      "post-sts-header-after"
    ])
    expect(usable.length).toBe(28)
  })

  for (const c of usable) {
    it.effect(`${c.name}: AwsSigV4.sign gives the suite's Authorization`, () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse(c.context.timestamp))
        const signed = yield* AwsSigV4.sign(suiteRequest(c), {
          region: c.context.region,
          service: c.context.service,
          credentials: suiteCredentials(c),
          includeHeaders: "*",
          normalizePath: c.context.normalize,
          contentSha256Header: c.context.sign_body
        })
        const expected = /\nAuthorization:(.*)\n/.exec(c.expected("header", "signed-request"))![1]
        expect(signed.headers.authorization).toBe(expected)
        expect(signed.headers["x-amz-date"]).toBe("20150830T123600Z")
      })
    )

    it.effect(`${c.name}: AwsSigV4.presign gives the suite's URL`, () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse(c.context.timestamp))
        const url = yield* AwsSigV4.presign(suiteRequest(c), {
          region: c.context.region,
          service: c.context.service,
          credentials: suiteCredentials(c),
          expires: c.context.expiration_in_seconds,
          includeHeaders: "*",
          unsignedPayload: false,
          normalizePath: c.context.normalize
        })
        const line = c.expected("query", "signed-request").split("\n")[0]!
        const target = line.slice(line.indexOf(" ") + 1, line.lastIndexOf(" HTTP/"))
        const expected = new URL(`http://example.amazonaws.com${target}`)
        expect(url.searchParams.get("X-Amz-Signature")).toBe(expected.searchParams.get("X-Amz-Signature"))
        expect([...url.searchParams].sort()).toEqual([...expected.searchParams].sort())
      })
    )
  }
})

// --- header signing ------------------------------------------------------------

describe("AwsSigV4.make", () => {
  it.effect("sets x-amz-date from the Clock, x-amz-content-sha256, the session token and Authorization", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2015-08-30T12:36:00Z"))
      const { client, last } = capturing()
      const auth = yield* AwsSigV4.make({
        region: "us-east-1",
        service: "service",
        credentials: { ...credentials, sessionToken: Redacted.make("session-token") }
      })
      yield* Effect.ignore(auth.wrap(client).post("https://example.amazonaws.com:8443/a/b?x=1"))
      const headers = last().headers
      expect(headers["x-amz-date"]).toBe("20150830T123600Z")
      expect(headers["x-amz-content-sha256"]).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
      expect(headers["x-amz-security-token"]).toBe("session-token")
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-east-1\/service\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/
      )
    })
  )

  it.effect("signs a new date as the Clock moves on", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      const auth = yield* AwsSigV4.make({ region: "us-east-1", service: "service", credentials })
      const signed = auth.wrap(client)
      yield* TestClock.setTime(Date.parse("2020-01-01T00:00:00Z"))
      yield* Effect.ignore(signed.get("https://example.amazonaws.com/"))
      const first = last().headers.authorization
      expect(last().headers["x-amz-date"]).toBe("20200101T000000Z")
      yield* TestClock.adjust("1 second")
      yield* Effect.ignore(signed.get("https://example.amazonaws.com/"))
      expect(last().headers["x-amz-date"]).toBe("20200101T000001Z")
      expect(last().headers.authorization).not.toBe(first)
    })
  )

  it.effect("signs content-type, x-amz-* (not x-amz-client-context) and includeHeaders, never traceparent or b3", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      const request = HttpClientRequest.post("https://example.amazonaws.com/").pipe(
        HttpClientRequest.bodyText("{}", "application/json"),
        HttpClientRequest.setHeaders({
          "X-Amz-Target": "DynamoDB_20120810.ListTables",
          "x-amz-client-context": "ctx",
          "X-Custom": "  a   b  ",
          "x-other": "o",
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"
        })
      )
      const only = yield* AwsSigV4.make({ region: "r", service: "s", credentials, includeHeaders: ["X-CUSTOM"] })
      yield* Effect.ignore(only.wrap(client).execute(request))
      expect(last().headers.authorization).toContain(
        "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-custom,"
      )
      const all = yield* AwsSigV4.make({ region: "r", service: "s", credentials, includeHeaders: "*" })
      yield* Effect.ignore(all.wrap(client).execute(request))
      expect(last().headers.authorization).toContain(
        "SignedHeaders=content-length;content-type;host;x-amz-client-context;x-amz-content-sha256;x-amz-date;x-amz-target;x-custom;x-other,"
      )
      const named = yield* AwsSigV4.make({ region: "r", service: "s", credentials, includeHeaders: ["traceparent"] })
      yield* Effect.ignore(named.wrap(client).execute(request))
      expect(last().headers.authorization).toContain(
        "SignedHeaders=content-type;host;traceparent;x-amz-content-sha256;"
      )
    })
  )

  it.effect("sends UNSIGNED-PAYLOAD when asked, and no x-amz-content-sha256 when told not to", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      const unsigned = yield* AwsSigV4.make({ region: "r", service: "s", credentials, unsignedPayload: true })
      yield* Effect.ignore(unsigned.wrap(client).post("https://h.test/", { body: HttpBody.text("x") }))
      expect(last().headers["x-amz-content-sha256"]).toBe("UNSIGNED-PAYLOAD")
      const without = yield* AwsSigV4.make({ region: "r", service: "s", credentials, contentSha256Header: false })
      yield* Effect.ignore(without.wrap(client).post("https://h.test/", { body: HttpBody.text("x") }))
      expect(last().headers["x-amz-content-sha256"]).toBeUndefined()
      expect(last().headers.authorization).toContain("SignedHeaders=content-type;host;x-amz-date,")
    })
  )

  it.effect("refuses a FormData body with a SigningError, unless unsignedPayload", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      const form = new FormData()
      form.append("a", "b")
      const auth = yield* AwsSigV4.make({ region: "r", service: "s", credentials })
      const error = yield* Effect.flip(auth.wrap(client).post("https://h.test/", { body: HttpBody.formData(form) }))
      expect(error._tag).toBe("SigningError")
      expect(error.message).toBe(
        "AwsSigV4: a FormData body cannot be signed (its multipart boundary is chosen only when it is sent): encode it to bytes first, or set unsignedPayload"
      )
      const unsigned = yield* AwsSigV4.make({ region: "r", service: "s", credentials, unsignedPayload: true })
      yield* Effect.ignore(unsigned.wrap(client).post("https://h.test/", { body: HttpBody.formData(form) }))
      expect(last().body._tag).toBe("FormData")
    })
  )

  it.effect("refuses a relative URL with a SigningError", () =>
    Effect.gen(function* () {
      const { client } = capturing()
      const auth = yield* AwsSigV4.make({ region: "r", service: "s", credentials })
      const error = yield* Effect.flip(auth.wrap(client).get("/relative"))
      expect(error.message).toBe(
        "AwsSigV4: the request's URL cannot be read: give an absolute URL (or a client with a base URL)"
      )
    })
  )

  it.effect("refuses bad options with InvalidOptions naming the option, without the secret", () =>
    Effect.gen(function* () {
      const cases = [
        [
          AwsSigV4.make({ region: "", service: "s", credentials }),
          'AwsSigV4.make: option "region" must be a non-empty name'
        ],
        [
          AwsSigV4.make({ region: "r", service: "a/b", credentials }),
          'AwsSigV4.make: option "service" must be a non-empty name'
        ],
        [
          AwsSigV4.make({ region: "r", service: "s", credentials, includeHeaders: ["bad name"] }),
          'AwsSigV4.make: option "includeHeaders" is not a valid header name'
        ],
        [
          AwsSigV4.make({ region: "r", service: "s", credentials, includeHeaders: ["*"] }),
          'AwsSigV4.make: option "includeHeaders" takes "*" alone'
        ],
        [
          AwsSigV4.make({ region: "r", service: "s", credentials: { accessKeyId: "", secretAccessKey: "x" } }),
          'AwsSigV4.make: option "accessKeyId" must be a non-empty string'
        ],
        [
          AwsSigV4.make({ region: "r", service: "s", credentials: { accessKeyId: "AK", secretAccessKey: "se\ncret" } }),
          'AwsSigV4.make: option "secretAccessKey" must not contain CR, LF or NUL characters'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(auth)
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message.slice(0, message.length)).toBe(message)
        expect(error.message).not.toContain("se\ncret")
      }
    })
  )

  it.effect("reads a Stream body once, hashes it and sends the same bytes", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      let pulls = 0
      const stream = Stream.fromIterable([new TextEncoder().encode("hello "), new TextEncoder().encode("world")]).pipe(
        Stream.tap(() => Effect.sync(() => pulls++))
      )
      const auth = yield* AwsSigV4.make({ region: "r", service: "s", credentials })
      yield* Effect.ignore(auth.wrap(client).post("https://h.test/", { body: HttpBody.stream(stream, "text/plain") }))
      expect(pulls).toBe(2)
      const body = last().body
      expect(body._tag).toBe("Uint8Array")
      expect(new TextDecoder().decode((body as HttpBody.Uint8Array).body)).toBe("hello world")
      expect(last().headers["x-amz-content-sha256"]).toBe(
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
      )
      expect(last().headers["content-type"]).toBe("text/plain")
    })
  )

  it.effect("fails with a SigningError when the Stream body fails", () =>
    Effect.gen(function* () {
      const { client } = capturing()
      const auth = yield* AwsSigV4.make({ region: "r", service: "s", credentials })
      const error = yield* Effect.flip(
        auth.wrap(client).post("https://h.test/", { body: HttpBody.stream(Stream.fail("disk gone")) })
      )
      expect(error._tag).toBe("SigningError")
      expect(error.message).toBe("AwsSigV4: the request's Stream body failed while it was read")
    })
  )

  it.effect("puts the query on the wire encoded as signed: %20 for a space, never +", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      const auth = yield* AwsSigV4.make({ region: "r", service: "s", credentials })
      yield* Effect.ignore(
        auth.wrap(client).get("https://h.test/p", { urlParams: { q: "a b", star: "*", tilde: "~", plus: "+" } })
      )
      expect(HttpClientRequest.toUrl(last()).pipe((o) => (o._tag === "Some" ? o.value.search : ""))).toBe(
        "?q=a%20b&star=%2A&tilde=~&plus=%2B"
      )
    })
  )

  it.effect("normalizes paths for other services, never for S3", () =>
    Effect.gen(function* () {
      const authorization = (service: string, normalizePath: boolean) =>
        Effect.map(
          AwsSigV4.sign(HttpClientRequest.get("https://h.test//a//b"), {
            region: "r",
            service,
            credentials,
            normalizePath
          }),
          (signed) => signed.headers.authorization
        )
      expect(yield* authorization("s3", true)).toBe(yield* authorization("s3", false))
      expect(yield* authorization("service", true)).not.toBe(yield* authorization("service", false))
      const merged = yield* AwsSigV4.sign(HttpClientRequest.get("https://h.test/a/b"), {
        region: "r",
        service: "service",
        credentials
      })
      expect(yield* authorization("service", true)).toBe(merged.headers.authorization)
    })
  )

  it.effect("uses the AwsCredentials service when no credentials are given", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      const auth = yield* AwsSigV4.make({ region: "r", service: "s" })
      yield* Effect.ignore(auth.wrap(client).get("https://h.test/"))
      expect(last().headers.authorization).toContain("Credential=AKIDSERVICE/")
    }).pipe(Effect.provide(AwsCredentials.layer({ accessKeyId: "AKIDSERVICE", secretAccessKey: Redacted.make("s") })))
  )
})

// --- end to end ----------------------------------------------------------------

describe("AwsSigV4 against a loopback server that verifies with @smithy/signature-v4", () => {
  it.scoped("a signed request is verified; one signed with another secret is refused", () =>
    Effect.gen(function* () {
      const server = yield* serve(verifying(credentials))
      const client = yield* HttpAuth.client(AwsSigV4.make({ region: "us-east-1", service: "execute-api", credentials }))
      const ok = yield* client.post(`${server.origin}/prod/items/a%20b//c?b=2&a=1&a=0&sp=x%20y`, {
        body: HttpBody.text("hello", "text/plain")
      })
      expect(yield* ok.text).toBe("verified")
      const wrong = yield* HttpAuth.client(
        AwsSigV4.make({
          region: "us-east-1",
          service: "execute-api",
          credentials: { ...credentials, secretAccessKey: "x" }
        })
      )
      const refused = yield* wrong.get(`${server.origin}/`)
      expect(refused.status).toBe(403)
      expect(yield* refused.text).toMatch(/^signature [0-9a-f]{64} is not @smithy's [0-9a-f]{64}$/)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("signs the query parameters another auth appended before it, and the host with its port", () =>
    Effect.gen(function* () {
      const server = yield* serve(verifying(credentials))
      const client = yield* HttpAuth.client(
        HttpAuth.all(ApiKey.query("k 1+/"), AwsSigV4.make({ region: "eu-west-1", service: "s3", credentials }))
      )
      const response = yield* client.get(`${server.origin}/bucket/key(1).txt?list-type=2`)
      expect(yield* response.text).toBe("verified")
      const [seen] = yield* server.seen
      expect(seen!.url).toBe("/bucket/key%281%29.txt?list-type=2&api_key=k%201%2B%2F")
      expect(seen!.headers.host).toBe(`127.0.0.1:${server.port}`)
      expect(seen!.headers.authorization).toContain("SignedHeaders=host;x-amz-content-sha256;x-amz-date,")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("trace headers added by the client (traceparent, b3) do not break the signature", () =>
    Effect.gen(function* () {
      const server = yield* serve(verifying(credentials))
      const client = yield* HttpAuth.client(
        AwsSigV4.make({ region: "r", service: "s", credentials, includeHeaders: "*" })
      )
      const response = yield* client.get(`${server.origin}/traced`).pipe(Effect.withSpan("traced"))
      expect(yield* response.text).toBe("verified")
      const [seen] = yield* server.seen
      expect(seen!.headers.traceparent).toMatch(/^00-/)
      expect(seen!.headers.b3).toBeDefined()
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )

  it.scoped("a Stream body reaches the server whole and verified", () =>
    Effect.gen(function* () {
      const server = yield* serve(verifying(credentials))
      const client = yield* HttpAuth.client(AwsSigV4.make({ region: "r", service: "s", credentials }))
      const body = HttpBody.stream(
        Stream.make(new TextEncoder().encode("chunk-1,"), new TextEncoder().encode("chunk-2"))
      )
      const response = yield* client.put(`${server.origin}/upload`, { body })
      expect(yield* response.text).toBe("verified")
      const [seen] = yield* server.seen
      expect(seen!.body).toBe("chunk-1,chunk-2")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("echo: the server sees the x-amz headers and no secret", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(AwsSigV4.make({ region: "r", service: "s", credentials }))
      const seen = yield* Effect.flatMap(client.get(`${server.origin}/`), seenOf)
      expect(JSON.stringify(seen)).not.toContain(credentials.secretAccessKey)
      expect(
        Object.keys(seen.headers)
          .filter((name) => name.startsWith("x-amz-"))
          .sort()
      ).toEqual(["x-amz-content-sha256", "x-amz-date"])
    }).pipe(Effect.provide(Base))
  )
})

// --- presigned URLs --------------------------------------------------------------

describe("AwsSigV4.presign", () => {
  it.effect("S3's documented example: GET examplebucket/test.txt for 86400 s", () =>
    Effect.gen(function* () {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
      yield* TestClock.setTime(Date.parse("2013-05-24T00:00:00Z"))
      const url = yield* AwsSigV4.presign(HttpClientRequest.get("https://examplebucket.s3.amazonaws.com/test.txt"), {
        region: "us-east-1",
        service: "s3",
        expires: 86400,
        credentials: {
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        }
      })
      expect(url.href).toBe(
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
      )
    })
  )

  it.effect("refuses expires above 7 days, below 1 s or not whole, with InvalidOptions", () =>
    Effect.gen(function* () {
      for (const expires of [604_801, 0, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(
          AwsSigV4.presign(HttpClientRequest.get("https://h.test/"), {
            region: "r",
            service: "s3",
            expires,
            credentials
          })
        )
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message).toBe(
          `AwsSigV4.presign: option "expires" must be a whole number of seconds from 1 to 604800 (7 days), not ${expires}`
        )
      }
      const url = yield* AwsSigV4.presign(HttpClientRequest.get("https://h.test/"), {
        region: "r",
        service: "s3",
        expires: 604_800,
        credentials
      })
      expect(url.searchParams.get("X-Amz-Expires")).toBe("604800")
    })
  )

  it.effect("carries the session token in X-Amz-Security-Token, and keeps the request's own parameters", () =>
    Effect.gen(function* () {
      const url = yield* AwsSigV4.presign(HttpClientRequest.get("https://h.test/k?versionId=a b"), {
        region: "r",
        service: "s3",
        expires: 60,
        credentials: { ...credentials, sessionToken: "tok/en+" }
      })
      expect(url.search).toMatch(/^\?versionId=a%20b&X-Amz-Algorithm=AWS4-HMAC-SHA256&/)
      expect(url.searchParams.get("X-Amz-Security-Token")).toBe("tok/en+")
      expect(url.search).toContain("X-Amz-Security-Token=tok%2Fen%2B&X-Amz-Signature=")
    })
  )

  it.effect("carries the request's x-amz-* headers as query parameters, as @smithy's presign does", () =>
    Effect.gen(function* () {
      const at = Date.parse("2015-08-30T12:36:00Z")
      yield* TestClock.setTime(at)
      const request = HttpClientRequest.put("https://bucket.s3.amazonaws.com/a/b.txt?x-id=PutObject").pipe(
        HttpClientRequest.setHeaders({
          "x-amz-server-side-encryption": "AES256",
          "x-amz-meta-owner": "ann b",
          "x-amz-date": "20000101T000000Z",
          "content-type": "text/plain"
        })
      )
      const options = { region: "us-east-1", service: "s3", expires: 300, credentials } as const
      const url = yield* AwsSigV4.presign(request, options)
      expect(url.search).toMatch(
        /^\?x-id=PutObject&x-amz-server-side-encryption=AES256&x-amz-meta-owner=ann%20b&X-Amz-Algorithm=AWS4-HMAC-SHA256&/
      )
      expect(url.searchParams.get("X-Amz-Date")).toBe("20150830T123600Z")
      expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host")
      const smithy = yield* Effect.promise(() =>
        smithySigner(credentials, "us-east-1", "s3").presign(
          {
            method: "PUT",
            protocol: "https:",
            hostname: "bucket.s3.amazonaws.com",
            path: "/a/b.txt",
            query: { "x-id": "PutObject" },
            headers: {
              host: "bucket.s3.amazonaws.com",
              "x-amz-server-side-encryption": "AES256",
              "x-amz-meta-owner": "ann b",
              "x-amz-content-sha256": "UNSIGNED-PAYLOAD"
            }
          } as never,
          {
            signingDate: new Date(at),
            expiresIn: 300,
            unhoistableHeaders: new Set(["x-amz-content-sha256"]),
            unsignableHeaders: new Set(["x-amz-content-sha256"])
          }
        )
      )
      const query = (smithy as unknown as { query: Record<string, string> }).query
      expect(query["x-amz-server-side-encryption"]).toBe("AES256")
      expect(url.searchParams.get("X-Amz-Signature")).toBe(query["X-Amz-Signature"])

      // Named in includeHeaders, a header stays a signed header that whoever uses the URL must send.
      const signedHeader = yield* AwsSigV4.presign(request, { ...options, includeHeaders: ["x-amz-meta-owner"] })
      expect(signedHeader.searchParams.get("x-amz-meta-owner")).toBe(null)
      expect(signedHeader.searchParams.get("x-amz-server-side-encryption")).toBe("AES256")
      expect(signedHeader.searchParams.get("X-Amz-SignedHeaders")).toBe("host;x-amz-meta-owner")
    })
  )

  it.scoped("a presigned URL with hoisted x-amz-* headers is verified when fetched with no headers", () =>
    Effect.gen(function* () {
      const server = yield* serve(presignVerifier(credentials))
      const request = HttpClientRequest.get(`${server.origin}/bucket/file.txt`).pipe(
        HttpClientRequest.setHeaders({ "x-amz-request-payer": "requester" })
      )
      const url = yield* AwsSigV4.presign(request, { region: "us-east-1", service: "s3", expires: 300, credentials })
      expect(url.searchParams.get("x-amz-request-payer")).toBe("requester")
      const response = yield* HttpClient.get(url)
      expect(yield* response.text).toBe("verified")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a presigned URL is verified by the @smithy verifier when fetched with no credentials", () =>
    Effect.gen(function* () {
      const server = yield* serve(presignVerifier(credentials))
      const url = yield* AwsSigV4.presign(HttpClientRequest.get(`${server.origin}/bucket/file.txt?x-id=GetObject`), {
        region: "us-east-1",
        service: "s3",
        expires: 300,
        credentials
      })
      const response = yield* HttpClient.get(url)
      expect(yield* response.text).toBe("verified")
    }).pipe(Effect.provide(Base))
  )
})

// --- credentials from the service, parsers ----------------------------------------

describe("AwsSigV4 with the AwsCredentials service", () => {
  it.effect("signs each request with the credentials of the moment, and a provider failure is a SigningError", () =>
    Effect.gen(function* () {
      const { client, last } = capturing()
      let issued = 0
      const rotating = AwsCredentials.layerRefreshable(
        Effect.flatMap(TestClock.currentTimeMillis, (now) =>
          ++issued === 3
            ? Effect.fail("sts down")
            : Effect.succeed({
                accessKeyId: `AKROT${issued}`,
                secretAccessKey: Redacted.make(`secret-${issued}`),
                sessionToken: Redacted.make(`token-${issued}`),
                expiration: now + 600_000
              })
        ),
        { margin: "1 minute" }
      )
      yield* Effect.gen(function* () {
        const signed = (yield* AwsSigV4.make({ region: "r", service: "s" })).wrap(client)
        yield* Effect.ignore(signed.get("https://h.test/"))
        expect(last().headers.authorization).toContain("Credential=AKROT1/")
        expect(last().headers["x-amz-security-token"]).toBe("token-1")
        yield* TestClock.adjust("9 minutes")
        yield* Effect.ignore(signed.get("https://h.test/"))
        expect(last().headers.authorization).toContain("Credential=AKROT2/")
        yield* TestClock.adjust("9 minutes")
        const error = yield* Effect.flip(signed.get("https://h.test/"))
        expect(error._tag).toBe("SigningError")
        expect(error.message).toBe("AwsCredentials.refreshable: the credentials provider failed")
        const url = yield* AwsSigV4.presign(HttpClientRequest.get("https://h.test/k"), {
          region: "r",
          service: "s3",
          expires: 60
        })
        expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKROT4\//)
        expect(url.searchParams.get("X-Amz-Security-Token")).toBe("token-4")
      }).pipe(Effect.provide(rotating))
    })
  )

  it.effect("names its headers, so that HttpAuth.layer redacts the session token in logs", () =>
    Effect.gen(function* () {
      const auth = yield* AwsSigV4.make({ region: "r", service: "s", credentials })
      expect(auth.credentials.headers).toEqual([
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256"
      ])
    })
  )
})

describe("SigV4 query parsing (fast-check)", () => {
  it("a query encoded the AWS way parses back to its parameters, + and %20 alike", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }))), (params) => {
        const encoded = params.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join("&")
        const named = params.filter(([name, value]) => name !== "" || value !== "")
        expect(parseQuery(encoded).filter(([name, value]) => name !== "" || value !== "")).toEqual(named)
        expect(parseQuery(encoded.replaceAll("%20", "+"))).toEqual(parseQuery(encoded))
        expect(uriEncode(params.map(([name]) => name).join(""))).toMatch(/^[A-Za-z0-9\-._~%]*$/)
      }),
      { numRuns: 300 }
    )
  })

  it("reads ; as part of a value, a name without = as an empty value, and keeps a bad escape", () => {
    expect(parseQuery("a=1;b=2&c&d=%zz&&e=%E1%88%B4")).toEqual([
      ["a", "1;b=2"],
      ["c", ""],
      ["d", "%zz"],
      ["e", "ሴ"]
    ])
  })
})
