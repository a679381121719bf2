import { createServer } from "node:net"
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schedule, Stream } from "effect"
import { ClientAuth, TokenEndpoint } from "../../src/index.js"
import { serve } from "../fixtures/server.js"
import { forms, leaksOf } from "./support/leaks.js"

const secret = "Cl1ent-S3cret-LEAKSCAN"
// client_secret_basic: form-urlencoded, then base64 (RFC 6749 section 2.3.1)
const basic = Buffer.from(`leak-app:${secret}`).toString("base64")

/** A port nothing listens on. */
const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number }
    server.close(() => resume(Effect.succeed(port)))
  })
})

const request = (tokenUrl: string, options: Partial<TokenEndpoint.RequestOptions> = {}) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    TokenEndpoint.request(client, {
      tokenUrl,
      params: { grant_type: "client_credentials" },
      clientAuth: ClientAuth.clientSecretBasic("leak-app", Redacted.make(secret)),
      retry: Schedule.stop,
      ...options
    })
  )

describe("TokenEndpoint.request, hardened (issue 13 items 5, 7, 8)", () => {
  for (const [name, layer] of [
    ["NodeHttpClient", NodeHttpClient.layer],
    ["undici", NodeHttpClient.layerUndici]
  ] as const) {
    it.effect(`an unreachable endpoint's error holds no request and no credential (${name})`, () =>
      Effect.gen(function* () {
        const port = yield* closedPort
        const error = yield* Effect.flip(request(`http://127.0.0.1:${port}/token`))
        expect(error._tag).toBe("AuthenticationFailed")
        expect(error.message).toMatch(
          new RegExp(
            `^TokenEndpoint: the token endpoint http://127.0.0.1:${port}/token failed: could not connect \\(Transport\\)$`
          )
        )
        const cause = (error as { cause?: unknown }).cause as Error
        expect(cause.name).toBe("TransportError")
        expect(cause.message).toMatch(/^RequestError \(Transport\)/)
        expect(Object.keys(cause)).not.toContain("request")
        expect(leaksOf(error, forms(secret, [basic]))).toEqual([])
      }).pipe(Effect.provide(layer))
    )
  }

  it.effect(
    "Retry-After beyond maxRetryAfter (default 60 s): a typed error saying what the server asked, no wait",
    () =>
      Effect.gen(function* () {
        const server = yield* serve((seen) =>
          Effect.succeed(
            HttpServerResponse.text("busy", {
              status: 503,
              headers: { "retry-after": seen.url === "/day" ? "86400" : "61" }
            })
          )
        )
        // on the TestClock: it fails at once, with no clock adjusted
        const day = yield* Effect.flip(request(`${server.origin}/day`, { retry: Schedule.recurs(3) }))
        expect(day._tag).toBe("AuthenticationFailed")
        expect(day.message).toBe(
          `TokenEndpoint: the token endpoint ${server.origin}/day answered HTTP 503 and asked to wait 1d (Retry-After) before trying again, more than maxRetryAfter (1m): try later, or raise maxRetryAfter`
        )
        const over = yield* Effect.flip(
          request(`${server.origin}/over`, { retry: Schedule.recurs(3), maxRetryAfter: "1 minute" })
        )
        expect(over.message).toContain("asked to wait 1m 1s (Retry-After)")
        expect((yield* server.seen).length).toBe(2)
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("a body larger than 1 MiB is not read: AuthenticationFailed, with or without Content-Length", () =>
    Effect.gen(function* () {
      const big = "x".repeat(1024 * 1024 + 1)
      const server = yield* serve((seen) =>
        Effect.succeed(
          seen.url === "/sized"
            ? HttpServerResponse.text(`{"access_token":"${big}"}`, { contentType: "application/json" })
            : HttpServerResponse.stream(
                Stream.repeatValue(new Uint8Array(64 * 1024).fill(120)).pipe(Stream.take(64 * 1024)),
                { contentType: "application/json" }
              )
        )
      )
      for (const path of ["sized", "chunked"]) {
        const error = yield* Effect.flip(request(`${server.origin}/${path}`))
        expect(error._tag).toBe("AuthenticationFailed")
        expect(error.message).toBe(
          `TokenEndpoint: the token endpoint ${server.origin}/${path} answered HTTP 200 with a body larger than 1048576 bytes (maxResponseBytes): not read`
        )
      }
      // within the bound: read as before
      const read = yield* request(`${server.origin}/sized`, { maxResponseBytes: 2 * 1024 * 1024 })
      expect(Redacted.value(read.accessToken).length).toBe(big.length)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
