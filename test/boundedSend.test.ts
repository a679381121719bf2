/**
 * The one bounded send (src/internal/http.ts) as each caller words its
 * failures: discovery (`DiscoveryError`), revocation, introspection and
 * userinfo (`AuthenticationFailed` of their scheme), and the token endpoint
 * (`TransientFailure`, then `AuthenticationFailed`). Against a loopback
 * server that never answers, cuts its body short, or sends too much, and a
 * closed port; time on the `TestClock`.
 */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schedule, TestClock } from "effect"
import { AuthenticationFailed, DiscoveryError } from "../src/AuthError.js"
import { Digest, Discovery, HttpAuth, OAuth2, TokenEndpoint } from "../src/index.js"
import { nextSleeps } from "./fixtures/tokenFaults.js"

/** `/hang...` never answers; `/cut...` promises 1,000 bytes, sends 10 and closes; anything else sends 64 bytes. */
const faults = Effect.acquireRelease(
  Effect.async<{ readonly origin: string; readonly close: () => void }>((resume) => {
    const server = createServer((request, response) => {
      const path = request.url ?? ""
      if (path.startsWith("/hang")) return
      if (path.startsWith("/cut")) {
        response.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
        response.write('{"a":"0123')
        setImmediate(() => response.socket?.destroy())
        return
      }
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ pad: "x".repeat(54) }))
    })
    server.listen(0, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      resume(
        Effect.succeed({
          origin,
          close: () => {
            server.closeAllConnections()
            server.close()
          }
        })
      )
    })
  }),
  (server) => Effect.sync(server.close)
)

/** Runs `effect` (which waits on a server that never answers) past its 5 s timeout on the TestClock. */
const pastTimeout = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(Effect.flip(effect))
    expect(yield* nextSleeps).toEqual([5000])
    yield* TestClock.adjust("5 seconds")
    return yield* Fiber.join(fiber)
  })

const closed = "http://127.0.0.1:1"

describe("the bounded send, as each caller words it", () => {
  it.scoped("Discovery.fetch: no answer, unreachable, cut short, larger than maxResponseBytes", () =>
    Effect.gen(function* () {
      const { origin } = yield* faults
      const http = yield* HttpClient.HttpClient
      const discover = (issuer: string, maxResponseBytes = 1024) =>
        Discovery.fetch(http, issuer, { timeout: "5 seconds", maxResponseBytes })
      const failures = [
        yield* pastTimeout(discover(`${origin}/hang`)),
        yield* Effect.flip(discover(closed)),
        yield* Effect.flip(discover(`${origin}/cut`)),
        yield* Effect.flip(discover(`${origin}/big`, 32))
      ]
      const wellKnown = (issuer: string) => `${issuer}/.well-known/openid-configuration`
      expect(failures).toEqual([
        new DiscoveryError({
          issuer: `${origin}/hang`,
          reason: `${wellKnown(`${origin}/hang`)} gave no answer within 5s`
        }),
        new DiscoveryError({ issuer: closed, reason: `could not reach ${wellKnown(closed)} (Transport)` }),
        new DiscoveryError({
          issuer: `${origin}/cut`,
          reason: `could not read ${wellKnown(`${origin}/cut`)} (Decode)`
        }),
        new DiscoveryError({
          issuer: `${origin}/big`,
          reason: `${wellKnown(`${origin}/big`)} is larger than 32 bytes (maxResponseBytes)`
        })
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("OAuth2.revoke, OAuth2.introspect, OAuth2.userinfo: no answer, unreachable, cut short", () =>
    Effect.gen(function* () {
      const { origin } = yield* faults
      const revoke = (url: string) =>
        OAuth2.revoke({ revocationUrl: url, token: "t", clientId: "app", clientSecret: "s", timeout: "5 seconds" })
      const introspect = (url: string) =>
        OAuth2.introspect({ introspectionUrl: url, token: "t", clientId: "app", clientSecret: "s" })
      const userinfo = (url: string) => OAuth2.userinfo({ userinfoUrl: url, accessToken: "t" })
      const failures = [
        yield* pastTimeout(revoke(`${origin}/hang`)),
        yield* Effect.flip(revoke(`${closed}/revoke`)),
        yield* Effect.flip(revoke(`${origin}/cut`)),
        yield* Effect.flip(introspect(`${closed}/introspect`)),
        yield* Effect.flip(introspect(`${origin}/cut`)),
        yield* Effect.flip(userinfo(`${closed}/userinfo`)),
        yield* Effect.flip(userinfo(`${origin}/cut`))
      ]
      const failed = (scheme: string, reason: string) =>
        new AuthenticationFailed({ scheme: `OAuth2.${scheme}`, reason })
      expect(failures).toEqual([
        failed("revoke", `${origin}/hang gave no answer within 5s`),
        failed("revoke", `could not reach ${closed}/revoke (Transport)`),
        failed("revoke", `could not read the answer of ${origin}/cut (Decode)`),
        failed("introspect", `could not reach ${closed}/introspect (Transport)`),
        failed("introspect", `could not read the answer of ${origin}/cut (Decode)`),
        failed("userinfo", `could not reach ${closed}/userinfo (Transport)`),
        failed("userinfo", `could not read the answer of ${origin}/cut (Decode)`)
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped(
    "TokenEndpoint.request: an answer cut short is a transient failure, retried, then AuthenticationFailed",
    () =>
      Effect.gen(function* () {
        const { origin } = yield* faults
        const client = yield* HttpClient.HttpClient
        const error = yield* Effect.flip(
          TokenEndpoint.request(client, {
            tokenUrl: `${origin}/cut`,
            params: { grant_type: "client_credentials" },
            retry: Schedule.recurs(0)
          })
        )
        expect(error.message).toBe(
          `TokenEndpoint: the token endpoint ${origin}/cut failed: could not read the answer (Decode)`
        )
        // the client's error holds the request: only its kind and the transport's words are kept
        expect(String((error as AuthenticationFailed).cause)).toMatch(/^TransportError: ResponseError \(Decode\)/)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})

/**
 * A 401 whose body never ends: `/digest` challenges a request without Authorization, `/api` refuses
 * the first token (`t-1`); `/token` gives `t-1`, then `t-2`. Records each request's path and
 * Authorization scheme.
 */
const endlessRefusals = Effect.acquireRelease(
  Effect.async<{ readonly origin: string; readonly seen: Array<string>; readonly close: () => void }>((resume) => {
    const seen: Array<string> = []
    let tokens = 0
    const chunk = Buffer.alloc(16 * 1024, 120)
    const endless = (response: ServerResponse, headers: Record<string, string>) => {
      response.writeHead(401, headers)
      const pump = () => {
        while (!response.destroyed && response.write(chunk)) {}
        if (!response.destroyed) response.once("drain", pump)
      }
      pump()
    }
    const server = createServer((request, response) => {
      const authorization = request.headers.authorization
      seen.push(`${request.url} ${authorization?.split(" ")[0] ?? "-"}`)
      if (request.url === "/token") {
        tokens += 1
        response.writeHead(200, { "content-type": "application/json" })
        return response.end(JSON.stringify({ access_token: `t-${tokens}`, token_type: "Bearer", expires_in: 3600 }))
      }
      if (request.url === "/digest" && authorization === undefined) {
        return endless(response, { "www-authenticate": 'Digest realm="r", nonce="n", qop="auth"' })
      }
      if (request.url === "/api" && authorization === "Bearer t-1") {
        return endless(response, { "www-authenticate": 'Bearer error="invalid_token"' })
      }
      response.end("ok")
    })
    server.listen(0, "127.0.0.1", () => {
      resume(
        Effect.succeed({
          origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          seen,
          close: () => {
            server.closeAllConnections()
            server.close()
          }
        })
      )
    })
  }),
  (server) => Effect.sync(server.close)
)

describe("a refused response's body is dropped within bounds", () => {
  // before, Digest and the OAuth 2 retry read the whole refused body (arrayBuffer): an endless 401 held the request forever
  it.scoped("Digest answers a 401 whose body never ends; so does the OAuth 2 engine's retry on 401", () =>
    Effect.gen(function* () {
      const server = yield* endlessRefusals
      const digest = yield* HttpAuth.client(Digest.make("user", "password"))
      const answered = yield* digest.get(`${server.origin}/digest`)
      expect([answered.status, yield* answered.text]).toEqual([200, "ok"])
      const oauth = yield* HttpAuth.client(
        OAuth2.clientCredentials({ tokenUrl: `${server.origin}/token`, clientId: "app", clientSecret: "s" })
      )
      const retried = yield* oauth.get(`${server.origin}/api`)
      expect([retried.status, yield* retried.text]).toEqual([200, "ok"])
      expect(server.seen).toEqual([
        "/digest -",
        "/digest Digest",
        "/token Basic",
        "/api Bearer",
        "/token Basic",
        "/api Bearer"
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
