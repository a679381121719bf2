/**
 * The device authorization grant (RFC 8628) against a fixture of ours under TestClock: the intervals
 * (the server's, and 5 s more after each slow_down) are read from the sleeps the grant registers, so
 * the test waits for nothing real.
 */
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Ref, TestClock } from "effect"
import type { AuthError } from "../src/index.js"
import { ClientAuth, DeviceDisplay, HttpAuth, OAuth2 } from "../src/index.js"
import { type Seen, serve } from "./fixtures/server.js"

type Answer = { readonly status: number; readonly body: Record<string, unknown> }

const pending: Answer = { status: 400, body: { error: "authorization_pending" } }
const slowDown: Answer = { status: 400, body: { error: "slow_down" } }
const issued: Answer = {
  status: 200,
  body: { access_token: "device-token", token_type: "Bearer", expires_in: 3600, refresh_token: "r-1" }
}

/** A device authorization endpoint, a token endpoint answering `polls` in turn, and an API. */
const deviceServer = (polls: ReadonlyArray<Answer>, device: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    let next = 0
    let origin = ""
    const server = yield* serve((seen: Seen) => {
      if (seen.url === "/device") {
        return Effect.succeed(
          HttpServerResponse.unsafeJson({
            device_code: "dev-code-1",
            user_code: "WDJB-MJHT",
            verification_uri: `${origin}/activate`,
            verification_uri_complete: `${origin}/activate?user_code=WDJB-MJHT`,
            expires_in: 600,
            ...device
          })
        )
      }
      if (seen.url === "/token") {
        const answer = polls[Math.min(next++, polls.length - 1)]!
        return Effect.succeed(HttpServerResponse.unsafeJson(answer.body, { status: answer.status }))
      }
      return Effect.succeed(
        seen.headers.authorization === "Bearer device-token"
          ? HttpServerResponse.unsafeJson({ ok: true })
          : HttpServerResponse.text("no", { status: 401 })
      )
    })
    origin = server.origin
    return server
  })

/** Lets the event loop turn (an I/O callback, not a wait on time) until the grant sleeps until `at`. */
const sleepingUntil = (at: number) =>
  Effect.gen(function* () {
    for (let turns = 0; turns < 10_000; turns++) {
      if (Chunk.toReadonlyArray(yield* TestClock.sleeps()).includes(at)) return
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
    throw new Error(`no sleep until ${at}: ${Chunk.toReadonlyArray(yield* TestClock.sleeps()).join(", ")}`)
  })

const shown = Effect.gen(function* () {
  const prompts = yield* Ref.make<ReadonlyArray<DeviceDisplay.Prompt>>([])
  const layer = DeviceDisplay.layer((prompt) => Ref.update(prompts, (all) => [...all, prompt]))
  return { prompts, layer }
})

describe("OAuth2.deviceCode against a fixture of ours, under TestClock", () => {
  it.scoped("shows the code, polls every interval, adds 5 s on slow_down, then uses the token", () =>
    Effect.gen(function* () {
      const server = yield* deviceServer([pending, slowDown, pending, issued])
      const display = yield* shown
      const client = yield* HttpAuth.client(
        OAuth2.deviceCode({
          deviceAuthorizationUrl: `${server.origin}/device`,
          tokenUrl: `${server.origin}/token`,
          clientId: "tv",
          scope: "read offline_access"
        })
      ).pipe(Effect.provide(display.layer))
      const call = yield* Effect.fork(client.get(`${server.origin}/api`))
      // polls at 5 s, 10 s, then 10 s apart after slow_down: 20 s, 30 s
      for (const at of [5_000, 10_000, 20_000, 30_000]) {
        yield* sleepingUntil(at)
        yield* TestClock.setTime(at)
      }
      const response = yield* Fiber.join(call)
      expect(response.status).toBe(200)
      const prompts = yield* Ref.get(display.prompts)
      expect(prompts).toEqual([
        {
          userCode: "WDJB-MJHT",
          verificationUri: `${server.origin}/activate`,
          verificationUriComplete: `${server.origin}/activate?user_code=WDJB-MJHT`,
          expiresIn: Duration.seconds(600)
        }
      ])
      const seen = yield* server.seen
      expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        "POST /device",
        "POST /token",
        "POST /token",
        "POST /token",
        "POST /token",
        "GET /api"
      ])
      expect(seen[0]!.body).toBe("scope=read+offline_access&client_id=tv")
      expect(seen[1]!.body).toBe(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dev-code-1&client_id=tv"
      )
      expect(seen[4]!.body).toBe(seen[1]!.body)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("the server's interval wins over the option's; a confidential client authenticates both requests", () =>
    Effect.gen(function* () {
      const server = yield* deviceServer([pending, issued], { interval: 7 })
      const display = yield* shown
      const client = yield* HttpAuth.client(
        OAuth2.deviceCode({
          deviceAuthorizationUrl: `${server.origin}/device`,
          tokenUrl: `${server.origin}/token`,
          clientId: "tv",
          clientSecret: "tv-secret",
          interval: "3 seconds"
        })
      ).pipe(Effect.provide(display.layer))
      const call = yield* Effect.fork(client.get(`${server.origin}/api`))
      for (const at of [7_000, 14_000]) {
        yield* sleepingUntil(at)
        yield* TestClock.setTime(at)
      }
      expect((yield* Fiber.join(call)).status).toBe(200)
      const seen = yield* server.seen
      const basic = `Basic ${Buffer.from("tv:tv-secret").toString("base64")}`
      expect(seen.slice(0, 3).map((s) => s.headers.authorization)).toEqual([basic, basic, basic])
      expect(seen[0]!.body).toBe("")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  for (const code of ["access_denied", "expired_token"]) {
    it.scoped(`${code} ends the polling with OAuth2Error "${code}"`, () =>
      Effect.gen(function* () {
        const server = yield* deviceServer([pending, { status: 400, body: { error: code } }])
        const display = yield* shown
        const client = yield* HttpAuth.client(
          OAuth2.deviceCode({
            deviceAuthorizationUrl: `${server.origin}/device`,
            tokenUrl: `${server.origin}/token`,
            clientId: "tv"
          })
        ).pipe(Effect.provide(display.layer))
        const call = yield* Effect.fork(Effect.flip(client.get(`${server.origin}/api`)))
        for (const at of [5_000, 10_000]) {
          yield* sleepingUntil(at)
          yield* TestClock.setTime(at)
        }
        const error = yield* Fiber.join(call)
        expect(error._tag).toBe("OAuth2Error")
        expect((error as AuthError.OAuth2Error).error).toBe(code)
        expect((yield* server.seen).filter((s) => s.url === "/token").length).toBe(2)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
    )
  }

  it.scoped("past expires_in the grant fails with AuthorizationTimeout, whatever the server says", () =>
    Effect.gen(function* () {
      const server = yield* deviceServer([pending], { expires_in: 12 })
      const display = yield* shown
      const client = yield* HttpAuth.client(
        OAuth2.deviceCode({
          deviceAuthorizationUrl: `${server.origin}/device`,
          tokenUrl: `${server.origin}/token`,
          clientId: "tv"
        })
      ).pipe(Effect.provide(display.layer))
      const call = yield* Effect.fork(Effect.flip(client.get(`${server.origin}/api`)))
      for (const at of [5_000, 10_000]) {
        yield* sleepingUntil(at)
        yield* TestClock.setTime(at)
      }
      yield* sleepingUntil(15_000)
      yield* TestClock.setTime(12_000)
      const error = yield* Fiber.join(call)
      expect(error._tag).toBe("AuthorizationTimeout")
      expect(error.message).toBe(
        `No authorization arrived at ${server.origin}/activate within 12s: the device code expired (the server's expires_in, RFC 8628 section 3.2): approve the code there sooner; the next request asks for a new one`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("options: a device authorization URL or an issuer is needed; the interval must be positive", () =>
    Effect.gen(function* () {
      const none = yield* Effect.flip(OAuth2.deviceCode({ tokenUrl: "https://issuer.example/token", clientId: "tv" }))
      expect(none.message).toBe(
        'OAuth2.deviceCode: option "deviceAuthorizationUrl" is mandatory, unless issuer is given'
      )
      const zero = yield* Effect.flip(
        OAuth2.deviceCode({
          tokenUrl: "https://issuer.example/token",
          deviceAuthorizationUrl: "https://issuer.example/device",
          clientId: "tv",
          interval: 0
        })
      )
      expect(zero.message).toBe('OAuth2.deviceCode: option "interval" must be more than 0')
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a client authenticating with its certificate (RFC 8705) polls at the mtls_endpoint_aliases", () =>
    Effect.gen(function* () {
      let origin = ""
      const server = yield* serve((seen: Seen) => {
        if (seen.url === "/.well-known/openid-configuration") {
          return Effect.succeed(
            HttpServerResponse.unsafeJson({
              issuer: origin,
              token_endpoint: `${origin}/token`,
              device_authorization_endpoint: `${origin}/device`,
              mtls_endpoint_aliases: {
                token_endpoint: `${origin}/mtls/token`,
                device_authorization_endpoint: `${origin}/mtls/device`
              }
            })
          )
        }
        if (seen.url === "/mtls/device") {
          return Effect.succeed(
            HttpServerResponse.unsafeJson({
              device_code: "dev-code-1",
              user_code: "WDJB-MJHT",
              verification_uri: `${origin}/activate`,
              expires_in: 600
            })
          )
        }
        if (seen.url === "/mtls/token") return Effect.succeed(HttpServerResponse.unsafeJson(issued.body))
        return Effect.succeed(
          seen.headers.authorization === "Bearer device-token"
            ? HttpServerResponse.unsafeJson({ ok: true })
            : HttpServerResponse.text("no", { status: 404 })
        )
      })
      origin = server.origin
      const display = yield* shown
      const client = yield* HttpAuth.client(
        OAuth2.deviceCode({ issuer: origin, clientAuth: ClientAuth.tlsClientAuth("tv") })
      ).pipe(Effect.provide(display.layer))
      const call = yield* Effect.fork(client.get(`${origin}/api`))
      yield* sleepingUntil(5_000)
      yield* TestClock.setTime(5_000)
      expect((yield* Fiber.join(call)).status).toBe(200)
      const seen = yield* server.seen
      expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        "GET /.well-known/openid-configuration",
        "POST /mtls/device",
        "POST /mtls/token",
        "GET /api"
      ])
      // tls_client_auth: the client id in the form, no secret (the certificate is the transport's)
      expect(seen[1]!.body).toBe("client_id=tv")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
