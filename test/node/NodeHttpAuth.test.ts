import { HttpClient, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Option, Redacted } from "effect"
import { Basic, NetRc, Token, TokenCache } from "effect-http-auth"
import { NodeHttpAuth } from "effect-http-auth/node"
import { serve } from "../fixtures/server.js"

const authorizationSeen = (origin: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${origin}/me`)).pipe(
    Effect.flatMap((response) => response.text)
  )

describe("NodeHttpAuth", () => {
  it.scoped("layer: a request through Node's undici client carries the auth's credentials", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) => HttpServerResponse.text(seen.headers.authorization ?? "(none)"))
      const seen = yield* authorizationSeen(server.origin).pipe(
        Effect.provide(NodeHttpAuth.layer(Basic.make("alice", "s3cret")))
      )
      expect(seen).toBe(`Basic ${Buffer.from("alice:s3cret").toString("base64")}`)
    })
  )

  it.scoped("layer: an auth that reads a file is built with Node's file system (no FileSystem to provide)", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) => HttpServerResponse.text(seen.headers.authorization ?? "(none)"))
      const file = join(mkdtempSync(join(tmpdir(), "netrc-")), "netrc")
      writeFileSync(file, "machine 127.0.0.1 login bob password pw\n", { mode: 0o600 })
      const seen = yield* authorizationSeen(server.origin).pipe(
        Effect.provide(NodeHttpAuth.layer(NetRc.make({ file })))
      )
      expect(seen).toBe(`Basic ${Buffer.from("bob:pw").toString("base64")}`)
    })
  )

  it.effect("layerFileCache: tokens go to a 0600 file that a second layer reads back", () =>
    Effect.gen(function* () {
      const path = join(mkdtempSync(join(tmpdir(), "tokens-")), "tokens.json")
      const token = new Token.Token({
        accessToken: Redacted.make("at-1"),
        tokenType: "Bearer",
        expiresAt: 4_000_000_000_000,
        fields: {}
      })
      yield* Effect.flatMap(TokenCache.TokenCache, (cache) => cache.set("k", token)).pipe(
        Effect.provide(NodeHttpAuth.layerFileCache({ path }))
      )
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(readFileSync(path, "utf8")).toContain('"at-1"')
      const again = yield* Effect.flatMap(TokenCache.TokenCache, (cache) => cache.get("k")).pipe(
        Effect.provide(Layer.fresh(NodeHttpAuth.layerFileCache({ path })))
      )
      expect(Option.map(again, (t) => Redacted.value(t.accessToken))).toEqual(Option.some("at-1"))
    })
  )
})
