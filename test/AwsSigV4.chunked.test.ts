import { createHash, createHmac } from "node:crypto"
import { HttpBody, HttpClient, HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream, TestClock } from "effect"
import { AwsSigV4 } from "../src/index.js"
import { serve } from "./fixtures/server.js"
import { verify } from "./fixtures/sigv4Verifier.js"

const docCredentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
}

/** The frames of an aws-chunked body: size, signature and data of each. */
const frames = (bytes: Buffer) => {
  const out: Array<{ size: number; signature: string; data: Buffer }> = []
  let at = 0
  while (at < bytes.length) {
    const lineEnd = bytes.indexOf("\r\n", at)
    const [size, signature] = bytes.subarray(at, lineEnd).toString("latin1").split(";chunk-signature=")
    const length = Number.parseInt(size!, 16)
    const data = bytes.subarray(lineEnd + 2, lineEnd + 2 + length)
    expect(bytes.subarray(lineEnd + 2 + length, lineEnd + 4 + length).toString()).toBe("\r\n")
    out.push({ size: length, signature: signature!, data })
    at = lineEnd + 4 + length
  }
  return out
}

const collect = (body: HttpBody.HttpBody) =>
  Effect.map(Stream.runCollect((body as HttpBody.Stream).stream), (chunks) => Buffer.concat(Chunk.toArray(chunks)))

/** The S3 documentation's request: 66,560 bytes of "a" in 64 KiB chunks. */
const docRequest = (body: Stream.Stream<Uint8Array>) =>
  HttpClientRequest.put("https://s3.amazonaws.com/examplebucket/chunkObject.txt").pipe(
    // the documented request has no content-type
    HttpClientRequest.setBody(HttpBody.stream(body, "")),
    HttpClientRequest.setHeader("x-amz-storage-class", "REDUCED_REDUNDANCY")
  )

describe("AwsSigV4.signChunked", () => {
  it.effect("S3's documented chunked PUT: seed and chunk signatures, Content-Length 66824", () =>
    Effect.gen(function* () {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
      yield* TestClock.setTime(Date.parse("2013-05-24T00:00:00Z"))
      // the body arrives in odd pieces: the chunks are cut at 64 KiB all the same
      const payload = Buffer.alloc(66_560, "a")
      const pieces = Stream.fromIterable([
        payload.subarray(0, 1000),
        payload.subarray(1000, 70_000 - 4000),
        payload.subarray(66_000)
      ])
      const signed = yield* AwsSigV4.signChunked(docRequest(pieces), {
        region: "us-east-1",
        service: "s3",
        decodedContentLength: 66_560,
        credentials: docCredentials
      })
      expect(signed.headers.authorization).toBe(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class, Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
      )
      expect(signed.headers["content-length"]).toBe("66824")
      expect(signed.headers["content-encoding"]).toBe("aws-chunked")
      expect(signed.headers["x-amz-decoded-content-length"]).toBe("66560")
      expect(signed.headers["x-amz-content-sha256"]).toBe("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
      const body = yield* collect(signed.body)
      expect(body.length).toBe(66_824)
      expect(frames(body).map(({ size, signature }) => [size, signature])).toEqual([
        [65_536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"],
        [1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"],
        [0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"]
      ])
    })
  )

  it.effect("fails with a SigningError when the body is not as long as announced", () =>
    Effect.gen(function* () {
      const signed = yield* AwsSigV4.signChunked(docRequest(Stream.make(new Uint8Array(10))), {
        region: "us-east-1",
        service: "s3",
        decodedContentLength: 11,
        credentials: docCredentials
      })
      const error = yield* Effect.flip(collect(signed.body))
      expect(error).toMatchObject({
        _tag: "SigningError",
        message: "AwsSigV4.signChunked: the body had 10 bytes, not the 11 of decodedContentLength that were signed"
      })
    })
  )

  it.effect("refuses a chunk size under 8 KiB, a bad length and a FormData body", () =>
    Effect.gen(function* () {
      const request = docRequest(Stream.empty)
      const options = { region: "us-east-1", service: "s3", decodedContentLength: 0, credentials: docCredentials }
      const small = yield* Effect.flip(AwsSigV4.signChunked(request, { ...options, chunkSize: 8191 }))
      expect(small.message).toBe(
        'AwsSigV4.signChunked: option "chunkSize" must be a whole number of bytes from 8192 up, not 8191'
      )
      const negative = yield* Effect.flip(AwsSigV4.signChunked(request, { ...options, decodedContentLength: -1 }))
      expect(negative.message).toBe(
        'AwsSigV4.signChunked: option "decodedContentLength" must be a whole number of bytes from 0 up, not -1'
      )
      const form = HttpClientRequest.setBody(request, HttpBody.formData(new FormData()))
      const refused = yield* Effect.flip(AwsSigV4.signChunked(form, options))
      expect(refused.message).toBe(
        "AwsSigV4.signChunked: a FormData body cannot be sent in signed chunks: give a Stream or Uint8Array body"
      )
    })
  )

  it.scoped("a loopback server checks the seed with @smithy and each chunk with its own HMAC chain", () =>
    Effect.gen(function* () {
      const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-key" }
      const server = yield* serve((seen) =>
        Effect.gen(function* () {
          const seedProblem = yield* Effect.promise(() => verify({ ...seen, body: "" }, credentials))
          if (seedProblem !== undefined) return HttpServerResponse.text(seedProblem, { status: 403 })
          const raw = Buffer.from(seen.body, "latin1")
          const date = seen.headers["x-amz-date"]!
          const scope = `${date.slice(0, 8)}/us-east-1/s3/aws4_request`
          let key: Buffer = createHmac("sha256", `AWS4${credentials.secretAccessKey}`).update(date.slice(0, 8)).digest()
          for (const part of ["us-east-1", "s3", "aws4_request"]) key = createHmac("sha256", key).update(part).digest()
          let previous = /Signature=([0-9a-f]{64})$/.exec(seen.headers.authorization!)![1]!
          const data: Array<Buffer> = []
          for (const frame of frames(raw)) {
            const expected = createHmac("sha256", key)
              .update(
                `AWS4-HMAC-SHA256-PAYLOAD\n${date}\n${scope}\n${previous}\n${createHash("sha256").update("").digest("hex")}\n${createHash("sha256").update(frame.data).digest("hex")}`
              )
              .digest("hex")
            if (expected !== frame.signature) return HttpServerResponse.text("bad chunk signature", { status: 403 })
            previous = expected
            data.push(frame.data)
          }
          return HttpServerResponse.text(`stored ${Buffer.concat(data).length} bytes in ${data.length} chunks`)
        })
      )
      const bytes = new Uint8Array(20_000).fill(120)
      const request = HttpClientRequest.put(`${server.origin}/bucket/big.bin`).pipe(
        HttpClientRequest.setBody(
          HttpBody.stream(Stream.make(bytes.subarray(0, 5000), bytes.subarray(5000)), "text/plain")
        )
      )
      const signed = yield* AwsSigV4.signChunked(request, {
        region: "us-east-1",
        service: "s3",
        decodedContentLength: 20_000,
        chunkSize: 8192,
        credentials
      })
      const response = yield* HttpClient.execute(signed)
      expect(yield* response.text).toBe("stored 20000 bytes in 4 chunks")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
