import { createServer } from "node:net"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ApiKey, AwsSigV4, Bearer, HttpAuth } from "../../src/index.js"
import { echo, serve } from "../fixtures/server.js"
import { forms, leaksOf, withRecordedSpans } from "./support/leaks.js"

const secret = "Hdr-S3cret-REDACTSCAN"

const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number }
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Schemes whose headers Effect does not redact by itself. */
const schemes = {
  "custom key header": HttpAuth.header("x-custom-key", secret),
  "X-Upstream-Authorization": Bearer.make(secret, { headerName: "X-Upstream-Authorization" }),
  "x-amz-security-token": AwsSigV4.make({
    region: "us-east-1",
    service: "execute-api",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI", sessionToken: secret }
  })
}

/** One request through `HttpAuth.client` or `HttpAuth.layer`, traced. */
const via = {
  client: (auth: HttpAuth.Input<any, any>, url: string) =>
    Effect.flatMap(HttpAuth.client(auth), (client) => client.get(url)),
  layer: (auth: HttpAuth.Input<any, any>, url: string) =>
    Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url)).pipe(
      Effect.provide(HttpAuth.layer(auth).pipe(Layer.provide(NodeHttpClient.layer)))
    )
}

describe("HttpAuth.client and HttpAuth.layer redact alike (issue 13 item 11)", () => {
  for (const [how, run] of Object.entries(via)) {
    it.scoped(`the auth's headers are <redacted> in Effect's span attributes (${how})`, () =>
      Effect.gen(function* () {
        const server = yield* serve(echo)
        for (const [name, auth] of Object.entries(schemes)) {
          const { exit, attributes } = yield* withRecordedSpans(run(auth, `${server.origin}/`))
          expect(exit._tag, name).toBe("Success")
          const header = name === "custom key header" ? "x-custom-key" : name.toLowerCase()
          expect(attributes, name).toContain(`http.client GET http.request.header.${header}=<redacted>`)
          expect(
            attributes.filter((attribute) => forms(secret).some((form) => attribute.includes(form))),
            name
          ).toEqual([])
        }
        // the server did get the credentials
        expect((yield* server.seen)[0]!.headers["x-custom-key"]).toBe(secret)
      }).pipe(Effect.provide(NodeHttpClient.layer))
    )

    it.effect(`an ApiKey.query key is <redacted> in the client's errors (${how})`, () =>
      Effect.gen(function* () {
        const port = yield* closedPort
        const error = yield* Effect.flip(run(ApiKey.query(secret), `http://127.0.0.1:${port}/items?page=2`))
        expect(error._tag).toBe("RequestError")
        expect(error.message).toBe(`Transport error (GET http://127.0.0.1:${port}/items?page=2&api_key=<redacted>)`)
        expect(leaksOf(error, forms(secret))).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layer))
    )
  }

  it.scoped("what Effect's own tracing records: url.full and url.query hold an ApiKey.query key (documented)", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const { attributes } = yield* withRecordedSpans(via.client(ApiKey.query(secret), `${server.origin}/items`))
      expect(attributes).toContain(`http.client GET url.full=${server.origin}/items?api_key=${secret}`)
      expect(attributes).toContain(`http.client GET url.query=api_key=${secret}`)
      // the documented way out: no span for the requests that carry the key
      const off = yield* withRecordedSpans(
        via
          .client(ApiKey.query(secret), `${server.origin}/items`)
          .pipe(Effect.locally(HttpClient.currentTracerDisabledWhen, (request) => request.url.includes("api_key=")))
      )
      expect(off.exit._tag).toBe("Success")
      expect(off.attributes.filter((attribute) => attribute.includes(secret))).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )
})
