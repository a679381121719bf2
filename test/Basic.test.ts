import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Config, Effect, Redacted } from "effect"
import { Basic, HttpAuth } from "../src/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"

const Base = NodeHttpClient.layerUndici

describe("Basic", () => {
  it("encodes user-id:password in UTF-8 (RFC 7617 section 2.1)", () => {
    expect(Redacted.value(Basic.encode("test", Redacted.make("123£")))).toBe("Basic dGVzdDoxMjPCow==")
    // RFC 7617 section 2's example
    expect(Redacted.value(Basic.encode("Aladdin", Redacted.make("open sesame")))).toBe(
      "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    )
  })

  it.scoped("lands on a protected endpoint with the right password, not with a wrong one", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.headers.authorization === "Basic dGVzdDoxMjPCow=="
          ? HttpServerResponse.text("ok")
          : HttpServerResponse.text("no", { status: 401 })
      )
      const right = yield* HttpAuth.client(Basic.make("test", "123£"))
      const wrong = yield* HttpAuth.client(Basic.make("test", Redacted.make("123")))
      expect((yield* right.get(`${server.origin}/`)).status).toBe(200)
      expect((yield* wrong.get(`${server.origin}/`)).status).toBe(401)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("reads username and password from Config, and sets the header asked for", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(
        Basic.make(Config.string("USER"), Config.redacted("PASS"), { headerName: "X-Upstream-Authorization" })
      ).pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["USER", "u"],
              ["PASS", "p"]
            ])
          )
        )
      )
      const seen = yield* Effect.flatMap(client.get(`${server.origin}/`), seenOf)
      expect(seen.headers["x-upstream-authorization"]).toBe("Basic dTpw")
      expect(seen.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(Base))
  )

  it.effect("refuses Proxy-Authorization: a proxy's credentials belong to the transport", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Basic.make("u", "p", { headerName: "Proxy-Authorization" }))
      expect(error).toMatchObject({ _tag: "InvalidOptions", scheme: "Basic.make", option: "headerName" })
      expect(error.message).toBe(
        'Basic.make: option "headerName" must not be Proxy-Authorization: through a proxy\'s tunnel it would reach the origin; give the proxy\'s credentials to the transport, NodeTransport.layer({ proxy: { url, username, password, scheme: "basic" | "digest" | "auto" } })'
      )
      expect(JSON.stringify(error)).not.toContain('"p"')
    })
  )

  it.effect("accepts an empty password", () =>
    Effect.gen(function* () {
      const auth = yield* Basic.make("user", "")
      expect(auth.credentials.headers).toEqual(["authorization"])
    })
  )

  it.effect("refuses bad options with InvalidOptions naming the option", () =>
    Effect.gen(function* () {
      const cases = [
        [Basic.make("a:b", "p"), 'Basic.make: option "username" must not contain ":" (RFC 7617 section 2)'],
        [Basic.make("a\nb", "p"), 'Basic.make: option "username" must not contain CR, LF or NUL characters'],
        [Basic.make("a", "p\r\nx: y"), 'Basic.make: option "password" must not contain CR, LF or NUL characters'],
        [
          Basic.make("a", "p", { headerName: "Proxy Authorization" }),
          'Basic.make: option "headerName" is not a valid header name'
        ],
        [
          Basic.make("a", Config.redacted("MISSING_PASSWORD")).pipe(
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
          ),
          'Basic.make: option "password" could not be read from the configuration: (Missing data at MISSING_PASSWORD'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(auth)
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message.slice(0, message.length)).toBe(message)
        expect(error.message).not.toContain("p\r\n")
      }
    })
  )
})
