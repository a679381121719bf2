import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { ApiKey, Bearer, HttpAuth, OAuth2, TokenEndpoint } from "../../src/index.js"
import { echo, serve } from "../fixtures/server.js"

// Each is refused by node:http's validateHeaderValue ("Invalid character in header content").
const unsendable = ["tok€en", "a\u0001b", "a\u007fb", "a\u001bb", "emoji🙂"]

const reason =
  "must hold only visible ASCII, spaces, tabs and Latin-1 characters (RFC 9110 section 5.5): no control characters, DEL, or characters beyond U+00FF"

describe("header values node:http or undici would refuse (issue 13 item 1)", () => {
  it.effect("a static token or template is InvalidOptions when the auth is built", () =>
    Effect.gen(function* () {
      for (const value of unsendable) {
        const bearer = yield* Effect.flip(Bearer.make(value))
        expect(bearer._tag).toBe("InvalidOptions")
        expect(bearer.message).toBe(`Bearer.make: option "token" ${reason}`)
        const template = yield* Effect.flip(HttpAuth.header("x-key", "ok", { headerValue: `{token}${value}` }))
        expect(template.message).toBe(`HttpAuth.header: option "headerValue" ${reason}`)
        const key = yield* Effect.flip(ApiKey.header(Redacted.make(value)))
        expect(key._tag).toBe("InvalidOptions")
      }
      // Latin-1 (obs-text) is sendable; a query parameter is percent-encoded and takes any text
      yield* Bearer.make("caf\u00e9")
      yield* ApiKey.query("k€y🙂")
    })
  )

  it.scoped("a token from an Effect: a typed AuthError per request through NodeHttpClient, never a defect", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      for (const value of unsendable) {
        const client = yield* HttpAuth.client(Bearer.make(Effect.succeed(value)))
        const exit = yield* Effect.exit(client.get(`${server.origin}/`))
        expect(Exit.isFailure(exit) && exit.cause._tag).toBe("Fail")
        const error = yield* Effect.flip(client.get(`${server.origin}/`))
        expect(error._tag).toBe("AuthenticationFailed")
        expect(error.message).toBe(`Bearer.make: the token Effect gave a token that no header can carry: it ${reason}`)
        expect(error.message).not.toContain(value)
      }
      expect(yield* server.seen).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )

  it.scoped("a token endpoint's unsendable token: InvalidToken, not cached, no request sent with it", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.url === "/token"
          ? HttpServerResponse.text(JSON.stringify({ access_token: "a\u0001b", token_type: "Bearer" }), {
              contentType: "application/json"
            })
          : echo(seen, undefined as never)
      )
      const http = yield* HttpClient.HttpClient
      const direct = yield* Effect.flip(
        TokenEndpoint.request(http, {
          tokenUrl: `${server.origin}/token`,
          params: { grant_type: "client_credentials" }
        })
      )
      expect(direct._tag).toBe("InvalidToken")
      expect(direct.message).toBe(
        `Invalid token: the token endpoint sent a token that no header can carry: it ${reason}`
      )
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({ tokenUrl: `${server.origin}/token`, clientId: "app", clientSecret: "s" })
      )
      for (let i = 0; i < 2; i++) {
        const error = yield* Effect.flip(client.get(`${server.origin}/api`))
        expect(error._tag).toBe("InvalidToken")
      }
      // the bad token was never cached: each request asked again; the API saw nothing
      expect((yield* server.seen).map((seen) => seen.url)).toEqual(["/token", "/token", "/token"])
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )
})
