/**
 * Digest against a real lighttpd (Debian, mod_auth with an htdigest file):
 * SHA-256, SHA-512-256 (real SHA-512/256), userhash, and the reuse of one
 * challenge across requests, counted in lighttpd's own access log.
 */
import { createHash } from "node:crypto"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { HttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Digest, HttpAuth } from "../src/index.js"
import { lighttpd, nonAsciiUser, user } from "./fixtures/lighttpd.js"

const Base = NodeHttpClient.layerUndici

/**
 * lighttpd's nonces last 10 minutes, fixed in its source (a nonce is
 * "timestamp:random" and only the timestamp is checked). Rather than wait,
 * this base client ages the first nonce it receives by 11 minutes, as if it
 * had been issued then: lighttpd itself then finds it stale.
 */
const agingFirstNonce = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) => {
    let aged = false
    return HttpClient.transformResponse(client, (effect) =>
      Effect.map(effect, (response) => {
        const header = response.headers["www-authenticate"]
        if (aged || header === undefined) return response
        aged = true
        const older = header.replace(/nonce="([0-9a-f]+):/, (_, ts: string) => {
          const value = (Number.parseInt(ts, 16) - 660).toString(16).padStart(ts.length, "0")
          return `nonce="${value}:`
        })
        return Object.create(response, { headers: { value: { ...response.headers, "www-authenticate": older } } })
      })
    )
  })
).pipe(Layer.provide(Base))

const digestParams = (header: string | undefined) =>
  Object.fromEntries([...(header ?? "").matchAll(/([a-z*]+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]))

describe("Digest against lighttpd", () => {
  for (const [path, algorithm] of [
    ["/sha256/", "SHA-256"],
    ["/sha512-256/", "SHA-512-256"]
  ] as const) {
    it.live(`answers a ${algorithm} challenge; a wrong password gets the 401 back after one answer`, () =>
      Effect.gen(function* () {
        const server = yield* lighttpd
        const anonymous = yield* HttpAuth.client(HttpAuth.make((client) => client))
        const challenge = yield* anonymous.get(`${server.origin}${path}index.txt`)
        expect(challenge.status).toBe(401)
        expect(challenge.headers["www-authenticate"]).toContain(`algorithm=${algorithm}`)

        const client = yield* HttpAuth.client(Digest.make(user.name, user.password))
        const ok = yield* client.get(`${server.origin}${path}index.txt`)
        expect([ok.status, yield* ok.text]).toEqual([200, `hello from ${path}\n`])

        const wrong = yield* HttpAuth.client(Digest.make(user.name, "circle of life"))
        expect((yield* wrong.get(`${server.origin}${path}index.txt`)).status).toBe(401)
        const log = yield* server.stop
        expect(log).toEqual([
          `401 GET ${path}index.txt HTTP/1.1`,
          `401 GET ${path}index.txt HTTP/1.1`,
          `200 GET ${path}index.txt HTTP/1.1`,
          `401 GET ${path}index.txt HTTP/1.1`,
          `401 GET ${path}index.txt HTTP/1.1`
        ])
      }).pipe(Effect.provide(Base), Effect.scoped)
    )
  }

  it("SHA-512-256 is SHA-512/256 (FIPS 180-4), not truncated SHA-512", () => {
    const real = createHash("sha512-256").update("abc").digest("hex")
    expect(real).toBe("53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23")
    expect(real).not.toBe(createHash("sha512").update("abc").digest("hex").slice(0, 64))
  })

  it.live("hides the username with userhash=true", () =>
    Effect.gen(function* () {
      const server = yield* lighttpd
      const client = yield* HttpAuth.client(Digest.make(user.name, user.password))
      const ok = yield* client.get(`${server.origin}/userhash/index.txt`)
      expect(ok.status).toBe(200)
      const seen = digestParams(ok.request.headers.authorization)
      expect(seen.username).toBe(createHash("sha256").update(`${user.name}:userhash`).digest("hex"))
      expect(seen.userhash).toBe("true")
      expect(ok.request.headers.authorization).not.toContain(user.name)
    }).pipe(Effect.provide(Base), Effect.scoped)
  )

  it.live("sends a non-ASCII username as username*, and hashed with userhash", () =>
    Effect.gen(function* () {
      const server = yield* lighttpd
      const client = yield* HttpAuth.client(Digest.make(nonAsciiUser.name, nonAsciiUser.password))
      const plain = yield* client.get(`${server.origin}/sha256/index.txt`)
      expect(plain.status).toBe(200)
      expect(plain.request.headers.authorization).toContain("username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, ")
      const hashed = yield* client.get(`${server.origin}/userhash/index.txt`)
      expect(hashed.status).toBe(200)
      expect(digestParams(hashed.request.headers.authorization).username).toBe(
        createHash("sha256").update(`${nonAsciiUser.name}:userhash`).digest("hex")
      )
    }).pipe(Effect.provide(Base), Effect.scoped)
  )

  it.live("10 sequential requests reusing one challenge cost 11 exchanges, not 20", () =>
    Effect.gen(function* () {
      const server = yield* lighttpd
      const client = yield* HttpAuth.client(Digest.make(user.name, user.password))
      const ncs: Array<string> = []
      for (let i = 0; i < 10; i++) {
        const response = yield* client.get(`${server.origin}/sha256/index.txt?i=${i}`)
        expect(response.status).toBe(200)
        ncs.push(digestParams(response.request.headers.authorization).nc!)
      }
      expect(ncs).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1).toString(16).padStart(8, "0")))
      const log = yield* server.stop
      expect(log.length).toBe(11)
      expect(log.filter((line) => line.startsWith("401 "))).toEqual(["401 GET /sha256/index.txt?i=0 HTTP/1.1"])
    }).pipe(Effect.provide(Base), Effect.scoped)
  )

  it.live("10 concurrent first requests cost 11 exchanges: one 401, then each answered", () =>
    Effect.gen(function* () {
      const server = yield* lighttpd
      const client = yield* HttpAuth.client(Digest.make(user.name, user.password))
      const responses = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) => client.get(`${server.origin}/sha256/index.txt?i=${i}`),
        { concurrency: "unbounded" }
      )
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200))
      const log = yield* server.stop
      expect(log.length).toBe(11)
      expect(log.filter((line) => line.startsWith("401 ")).length).toBe(1)
    }).pipe(Effect.provide(Base), Effect.scoped)
  )

  it.live("a nonce lighttpd finds stale (older than its 10 minutes) is answered once more with the new one", () =>
    Effect.gen(function* () {
      const server = yield* lighttpd
      const client = yield* HttpAuth.client(Digest.make(user.name, user.password))
      const first = yield* client.get(`${server.origin}/sha256/index.txt`)
      expect(first.status).toBe(200)
      const second = yield* client.get(`${server.origin}/sha256/index.txt?again`)
      expect(second.status).toBe(200)
      const log = yield* server.stop
      expect(log).toEqual([
        "401 GET /sha256/index.txt HTTP/1.1", // no credentials: the challenge (aged on the way)
        "401 GET /sha256/index.txt HTTP/1.1", // the aged nonce: stale=true with a new one
        "200 GET /sha256/index.txt HTTP/1.1", // the new nonce
        "200 GET /sha256/index.txt?again HTTP/1.1" // reused, no round trip
      ])
    }).pipe(Effect.provide(agingFirstNonce), Effect.scoped)
  )
})
