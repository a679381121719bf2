import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, TestClock } from "effect"
import { AzureAD, HttpAuth, OAuth2, Okta, Token, TokenCache, WakaTime } from "effect-http-auth"
import { BrowserTest, TokenCacheTest } from "effect-http-auth/testing"
import { echo, seenOf, serve } from "../fixtures/server.js"

/** What the user's program does: a GET through the `HttpClient` in context. */
const getMe = (origin: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => Effect.flatMap(client.get(`${origin}/me`), seenOf))

describe("TokenCacheTest.layerSeeded", () => {
  it.scoped("gives client credentials the fixed token, with no token request", () =>
    Effect.gen(function* () {
      const issuer = yield* serve(echo)
      const api = yield* serve(echo)
      const AuthTest = HttpAuth.layer(
        OAuth2.clientCredentials({ tokenUrl: `${issuer.origin}/token`, clientId: "app", clientSecret: "s" })
      ).pipe(Layer.provide(TokenCacheTest.layerSeeded()), Layer.provide(NodeHttpClient.layerUndici))
      const seen = yield* getMe(api.origin).pipe(Effect.provide(AuthTest))
      expect(seen.headers.authorization).toBe("Bearer 2YotnFZFEjr1zCsicMWpAA")
      expect(yield* issuer.seen).toEqual([])
    })
  )

  it.scoped("gives the password grant and an Okta preset the user's token and token type", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const seeded = TokenCacheTest.layerSeeded({ token: "test-token", tokenType: "bearer" })
      const auths = [
        OAuth2.password({ tokenUrl: "http://127.0.0.1:9/token", username: "alice", password: "pw" }),
        Okta.clientCredentials({ instance: "dev.okta.test", clientId: "app", clientSecret: "s", scope: "api" })
      ]
      for (const auth of auths) {
        const seen = yield* getMe(api.origin).pipe(
          Effect.provide(HttpAuth.layer(auth).pipe(Layer.provide(seeded), Layer.provide(NodeHttpClient.layerUndici)))
        )
        expect(seen.headers.authorization).toBe("Bearer test-token")
      }
    })
  )

  it.scoped("gives the browser grants and their presets the token without opening a browser", () =>
    Effect.gen(function* () {
      const api = yield* serve(echo)
      const auths = [
        OAuth2.authorizationCodePkce({
          authorizationUrl: "http://127.0.0.1:9/authorize",
          tokenUrl: "http://127.0.0.1:9/token",
          clientId: "cli",
          redirectUriPort: 0
        }),
        OAuth2.implicit({ authorizationUrl: "http://127.0.0.1:9/authorize", clientId: "cli", redirectUriPort: 0 }),
        Okta.authorizationCode({ instance: "dev.okta.test", clientId: "cli", redirectUriPort: 0 }),
        AzureAD.implicit({ tenantId: "tenant", clientId: "cli", redirectUriPort: 0 }),
        WakaTime.authorizationCode({ clientId: "cli", clientSecret: "s", scope: ["email"], redirectUriPort: 0 })
      ]
      for (const auth of auths) {
        const layer = HttpAuth.layer(auth).pipe(
          Layer.provide(TokenCacheTest.layerSeeded()),
          Layer.provide(NodeHttpClient.layerUndici),
          // the grant would open this Browser: it must not be asked
          Layer.provideMerge(BrowserTest.layer())
        )
        const { seen, visits } = yield* Effect.all({ seen: getMe(api.origin), visits: BrowserTest.visits }).pipe(
          Effect.provide(layer)
        )
        expect(seen.headers.authorization).toBe("Bearer 2YotnFZFEjr1zCsicMWpAA")
        expect(visits).toEqual([])
      }
    })
  )

  it.effect("gives a token that lives expiresIn on the Clock, then the same token again", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.TokenCache
      const fetchFails = () => Effect.fail("no token request in a seeded cache" as const)
      const first = yield* cache.getOrFetch("any key", fetchFails, { earlyExpiry: 0 })
      expect(Redacted.value(first.accessToken)).toBe("2YotnFZFEjr1zCsicMWpAA")
      expect(first.expiresAt).toBe(60_000)
      yield* TestClock.adjust(Duration.minutes(2))
      const second = yield* cache.getOrFetch("another key", fetchFails, { earlyExpiry: 0 })
      expect(second.expiresAt).toBe(180_000)
    }).pipe(Effect.provide(TokenCacheTest.layerSeeded({ expiresIn: "1 minute" })))
  )
})

describe("TokenCacheTest.layer", () => {
  it.scoped("starts empty and shows the token a program cached, under its key", () =>
    Effect.gen(function* () {
      const issuer = yield* serve(() =>
        HttpServerResponse.json({ access_token: "fetched", token_type: "Bearer", expires_in: 3600 })
      )
      const api = yield* serve(echo)
      const auth = OAuth2.clientCredentials({ tokenUrl: `${issuer.origin}/token`, clientId: "app", clientSecret: "s" })
      const layer = Layer.provideMerge(
        HttpAuth.layer(auth).pipe(Layer.provide(NodeHttpClient.layerUndici)),
        TokenCacheTest.layer
      )
      const { before, seen, after } = yield* Effect.gen(function* () {
        const before = yield* TokenCacheTest.entries
        const seen = yield* getMe(api.origin)
        const after = yield* TokenCacheTest.entries
        return { before, seen, after }
      }).pipe(Effect.provide(layer))
      expect(before.size).toBe(0)
      expect(seen.headers.authorization).toBe("Bearer fetched")
      expect([...after.keys()]).toHaveLength(1)
      expect([...after.keys()][0]).toContain("client_credentials")
      expect(Redacted.value([...after.values()][0]!.accessToken)).toBe("fetched")
    })
  )

  it.scoped("shows a token bound to a dpop: true key too, which a file or Redis cache never holds", () =>
    Effect.gen(function* () {
      const issuer = yield* serve(() =>
        HttpServerResponse.json({ access_token: "bound", token_type: "DPoP", expires_in: 3600 })
      )
      const api = yield* serve(echo)
      const auth = OAuth2.clientCredentials({
        tokenUrl: `${issuer.origin}/token`,
        clientId: "app",
        clientSecret: "s",
        dpop: true
      })
      const layer = Layer.provideMerge(
        HttpAuth.layer(auth).pipe(Layer.provide(NodeHttpClient.layerUndici)),
        TokenCacheTest.layer
      )
      const { seen, after } = yield* Effect.gen(function* () {
        const seen = yield* getMe(api.origin)
        return { seen, after: yield* TokenCacheTest.entries }
      }).pipe(Effect.provide(layer))
      expect(seen.headers.authorization).toBe("DPoP bound")
      const [token] = [...after.values()]
      expect(after.size).toBe(1)
      expect(Redacted.value(token!.accessToken)).toBe("bound")
      expect(token!.jkt).toEqual(expect.any(String))
    })
  )

  it.effect("forgets an invalidated token and a cleared cache", () =>
    Effect.gen(function* () {
      const cache = yield* TokenCache.TokenCache
      const token = (value: string) =>
        new Token.Token({ accessToken: Redacted.make(value), tokenType: "Bearer", expiresAt: 1e12, fields: {} })
      yield* cache.set("a", token("A"))
      yield* cache.set("b", token("B"))
      expect([...(yield* TokenCacheTest.entries).keys()]).toEqual(["a", "b"])
      yield* cache.invalidate("a")
      expect([...(yield* TokenCacheTest.entries).keys()]).toEqual(["b"])
      yield* cache.clear
      expect((yield* TokenCacheTest.entries).size).toBe(0)
    }).pipe(Effect.provide(TokenCacheTest.layer))
  )
})
