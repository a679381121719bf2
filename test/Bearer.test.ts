import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Context, Effect, Redacted, Ref } from "effect"
import { Bearer, HttpAuth } from "../src/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"

const Base = NodeHttpClient.layerUndici

describe("Bearer", () => {
  it.scoped("sends a value, a Redacted and a Config token", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      for (const token of ["plain", Redacted.make("redacted"), Config.redacted("TOKEN")]) {
        const client = yield* HttpAuth.client(Bearer.make(token)).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["TOKEN", "from-config"]])))
        )
        const seen = yield* Effect.flatMap(client.get(`${server.origin}/`), seenOf)
        expect(seen.headers.authorization).toBe(
          `Bearer ${typeof token === "string" ? token : Redacted.isRedacted(token) ? "redacted" : "from-config"}`
        )
      }
    }).pipe(Effect.provide(Base))
  )

  it.scoped("runs an Effect token for every request", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const counter = yield* Ref.make(0)
      const token = Effect.map(
        Ref.updateAndGet(counter, (n) => n + 1),
        (n) => Redacted.make(`token-${n}`)
      )
      const client = yield* HttpAuth.client(Bearer.make(token))
      yield* client.get(`${server.origin}/1`)
      yield* client.get(`${server.origin}/2`)
      expect((yield* server.seen).map((seen) => seen.headers.authorization)).toEqual([
        "Bearer token-1",
        "Bearer token-2"
      ])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("an Effect token may need services, captured when the auth is built", () =>
    Effect.gen(function* () {
      class Vault extends Context.Tag("test/Vault")<Vault, { readonly current: Effect.Effect<string> }>() {}
      const server = yield* serve(echo)
      const rotating = yield* Ref.make("first")
      const auth = Bearer.make(Effect.flatMap(Vault, (vault) => vault.current))
      const client = yield* HttpAuth.client(auth).pipe(Effect.provideService(Vault, { current: Ref.get(rotating) }))
      yield* client.get(`${server.origin}/`)
      yield* Ref.set(rotating, "second")
      yield* client.get(`${server.origin}/`)
      expect((yield* server.seen).map((seen) => seen.headers.authorization)).toEqual(["Bearer first", "Bearer second"])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("an Effect token uses the service it was built with, not another one of the request's fiber", () =>
    Effect.gen(function* () {
      class Vault extends Context.Tag("test/Vault")<Vault, { readonly current: Effect.Effect<string> }>() {}
      const server = yield* serve(echo)
      const built = { current: Effect.succeed("built") }
      const client = yield* HttpAuth.client(Bearer.make(Effect.flatMap(Vault, (vault) => vault.current))).pipe(
        Effect.provideService(Vault, built)
      )
      // the same service in the request's fiber (the fast path), then another one
      yield* client.get(`${server.origin}/`).pipe(Effect.provideService(Vault, built))
      yield* client.get(`${server.origin}/`).pipe(Effect.provideService(Vault, { current: Effect.succeed("other") }))
      yield* client.get(`${server.origin}/`)
      expect((yield* server.seen).map((seen) => seen.headers.authorization)).toEqual([
        "Bearer built",
        "Bearer built",
        "Bearer built"
      ])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("takes another header and template", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(Bearer.make("t", { headerName: "X-Auth", headerValue: "JWT {token}" }))
      const seen = yield* Effect.flatMap(client.get(`${server.origin}/`), seenOf)
      expect(seen.headers["x-auth"]).toBe("JWT t")
      expect(seen.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(Base))
  )

  it.scoped("fails a request whose Effect token is empty, without sending it", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(Bearer.make(Effect.succeed("")))
      const error = yield* Effect.flip(client.get(`${server.origin}/`))
      expect(error._tag).toBe("AuthenticationFailed")
      expect(error.message).toBe("Bearer.make: the token Effect gave an empty token")
      expect(yield* server.seen).toEqual([])
    }).pipe(Effect.provide(Base))
  )

  it.effect("refuses bad options with InvalidOptions naming the option", () =>
    Effect.gen(function* () {
      const cases = [
        [Bearer.make(""), 'Bearer.make: option "token" must not be empty'],
        [Bearer.make(Redacted.make("")), 'Bearer.make: option "token" must not be empty'],
        [Bearer.make("secret\nx"), 'Bearer.make: option "token" must not contain CR, LF or NUL characters'],
        [
          Bearer.make("t", { headerValue: "Bearer" }),
          'Bearer.make: option "headerValue" must contain "{token}", where the token goes'
        ],
        [
          Bearer.make("t", { headerValue: "Bearer {token}\r\n" }),
          'Bearer.make: option "headerValue" must not contain CR, LF or NUL characters'
        ],
        [Bearer.make("t", { headerName: "" }), 'Bearer.make: option "headerName" must not be empty'],
        [
          Bearer.make("t", { headerName: "X-Auth\r\nInjected" }),
          'Bearer.make: option "headerName" is not a valid header name'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(auth)
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message.slice(0, message.length)).toBe(message)
        expect(error.message).not.toContain("secret")
      }
    })
  )
})
