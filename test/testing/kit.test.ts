import { createHmac } from "node:crypto"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, TestClock } from "effect"
import { createToken, MockAuth } from "effect-http-auth/testing"
import { echo, seenOf, serve } from "../fixtures/server.js"

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"))

describe("createToken", () => {
  it.effect("makes an unsigned JWT whose iat and exp follow the Clock", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust(Duration.seconds(1_000))
      const token = yield* createToken({ expiresIn: "5 minutes", claims: { sub: "alice", nonce: "n" } })
      const [header, payload, signature] = token.split(".")
      expect(decode(header!)).toEqual({ alg: "none", typ: "JWT" })
      expect(decode(payload!)).toEqual({ iat: 1_000, exp: 1_300, sub: "alice", nonce: "n" })
      expect(signature).toBe("")
    })
  )

  it.effect("signs with HS256 when given a secret, and lets claims override exp", () =>
    Effect.gen(function* () {
      const token = yield* createToken({ secret: Redacted.make("key"), claims: { exp: 42 } })
      const [header, payload, signature] = token.split(".")
      expect(decode(header!)).toEqual({ alg: "HS256", typ: "JWT" })
      expect(decode(payload!)).toEqual({ iat: 0, exp: 42 })
      expect(signature).toBe(createHmac("sha256", "key").update(`${header}.${payload}`).digest("base64url"))
    })
  )
})

describe("MockAuth", () => {
  it.scoped("stands in for an auth layer and records each request it authenticated", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      // The user's program: knows nothing of the auth.
      const program = Effect.flatMap(HttpClient.HttpClient, (client) =>
        Effect.flatMap(client.post(`${server.origin}/orders?id=7`), seenOf)
      )
      const { seen, recorded } = yield* Effect.all({ seen: program, recorded: MockAuth.requests }).pipe(
        Effect.provide(MockAuth.layer("oauth2").pipe(Layer.provide(NodeHttpClient.layerUndici)))
      )
      expect(seen.headers.authorization).toBe("Mock oauth2")
      expect(recorded).toEqual([
        {
          scheme: "oauth2",
          method: "POST",
          url: `${server.origin}/orders?id=7`,
          headers: { authorization: "Mock oauth2" }
        }
      ])
    })
  )

  it.scoped("takes the header to set", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const seen = yield* HttpClient.get(`${server.origin}/`).pipe(
        Effect.flatMap(seenOf),
        Effect.provide(
          MockAuth.layer("api-key", { headerName: "X-API-Key", headerValue: "test-key" }).pipe(
            Layer.provide(NodeHttpClient.layerUndici)
          )
        )
      )
      expect(seen.headers["x-api-key"]).toBe("test-key")
    })
  )
})
