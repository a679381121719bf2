import { FileSystem, HttpServerResponse } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Config, Effect, Layer, Redacted, Schedule, TestClock } from "effect"
import { HttpAuth, OAuth2, TokenCache } from "../src/index.js"
import { TestAuthorizationServer } from "../src/testing/index.js"
import { serve } from "./fixtures/server.js"
import { startTokenFaults } from "./fixtures/tokenFaults.js"

const tokenUrl = "https://auth.test/token"
const base = { tokenUrl, clientId: "app", clientSecret: "s3cret-value" }

describe("OAuth2 options", () => {
  it.scoped("refuses each bad option with InvalidOptions naming it, and never shows a secret", () =>
    Effect.gen(function* () {
      const cases = [
        [OAuth2.clientCredentials({ ...base, tokenUrl: "not a url" }), '"tokenUrl" is not a URL ("not a url")'],
        [
          OAuth2.clientCredentials({ ...base, tokenUrl: "ftp://x/token" }),
          '"tokenUrl" must be an http or https URL, not ftp:'
        ],
        [OAuth2.clientCredentials({ ...base, clientId: "" }), '"clientId" must not be empty'],
        [OAuth2.clientCredentials({ ...base, clientSecret: "" }), '"clientSecret" must not be empty'],
        [OAuth2.clientCredentials({ ...base, scope: ["a b"] }), '"scope" holds "a b", which is not a scope token'],
        [OAuth2.clientCredentials({ ...base, scope: 'a"b' }), '"scope" holds "a\\"b", which is not a scope token'],
        [OAuth2.clientCredentials({ ...base, headerName: "Bad Header" }), '"headerName" is not a valid header name'],
        [OAuth2.clientCredentials({ ...base, headerValue: "Bearer" }), '"headerValue" must contain "{token}"'],
        [OAuth2.clientCredentials({ ...base, tokenField: "" }), '"tokenField" must not be empty'],
        [OAuth2.clientCredentials({ ...base, earlyExpiry: -1 }), '"earlyExpiry" must not be negative'],
        [OAuth2.clientCredentials({ ...base, tokenTimeout: 0 }), '"tokenTimeout" must be more than 0'],
        [OAuth2.clientCredentials({ ...base, maxRetryAfter: -1 }), '"maxRetryAfter" must not be negative'],
        [
          OAuth2.clientCredentials({ ...base, maxResponseBytes: 0 }),
          '"maxResponseBytes" must be a whole number of bytes from 1 up, not 0'
        ],
        [
          OAuth2.clientCredentials({ ...base, tokenParams: { grant_type: "x" } }),
          '"tokenParams" must not set grant_type'
        ],
        [OAuth2.clientCredentials({ ...base, clientAuth: "private_key_jwt" as never }), '"clientAuth" must be one of'],
        [OAuth2.password({ tokenUrl, username: "", password: "p" }), '"username" must not be empty'],
        [
          OAuth2.password({ tokenUrl, username: "u", password: "p", clientSecret: "s" }),
          '"clientId" is needed with a clientSecret'
        ],
        [
          OAuth2.clientCredentials({ ...base, clientSecret: Config.redacted("MISSING") }).pipe(
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
          ),
          '"clientSecret" could not be read from the configuration'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(auth)
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message).toContain(message)
        expect(error.message).not.toContain("s3cret-value")
      }
    }).pipe(Effect.provide(TestAuthorizationServer.layer()))
  )

  it.scoped("custom header, template, token field and extra parameters", () =>
    Effect.gen(function* () {
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          ...base,
          clientSecret: Config.redacted("SECRET"),
          clientAuth: "client_secret_post",
          headerName: "X-Token",
          headerValue: "Token {token}",
          tokenParams: { audience: "api" }
        }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SECRET", "from-env"]]))))
      )
      yield* client.get("https://api.test/x")
      const [request] = yield* server.tokenRequests
      expect(request).toEqual({
        params: { grant_type: "client_credentials", audience: "api", client_id: "app", client_secret: "from-env" },
        authorization: undefined
      })
      const [resource] = yield* server.resourceRequests
      // the test server reads Authorization only: this auth set X-Token instead
      expect(resource!.authorization).toBeUndefined()
    }).pipe(Effect.provide(TestAuthorizationServer.layer()))
  )

  it.scoped("a refresh answer without refresh_token keeps the old one for the next refresh (real server)", () =>
    Effect.gen(function* () {
      const faults = yield* startTokenFaults
      const client = yield* HttpAuth.client(
        OAuth2.password({
          tokenUrl: faults.url("refresh-without-refresh-token"),
          username: "u",
          password: "p",
          retry: Schedule.stop
        })
      )
      const echo = faults.url("no-such" as never)
      for (let i = 0; i < 3; i++) {
        yield* client.get(echo)
        yield* TestClock.adjust("1 minute")
      }
      const seen = yield* faults.seen("refresh-without-refresh-token")
      expect(seen.map((s) => Object.fromEntries(new URLSearchParams(s.body)))).toEqual([
        { grant_type: "password", username: "u", password: "p" },
        { grant_type: "refresh_token", refresh_token: "the-refresh-token" },
        { grant_type: "refresh_token", refresh_token: "the-refresh-token" }
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a storm through an auth on layerFile: 1 token request, again 1 after expiry", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = `${yield* fs.makeTempDirectoryScoped()}/tokens.json`
      const run = Effect.gen(function* () {
        const server = yield* TestAuthorizationServer.TestAuthorizationServer
        const client = yield* HttpAuth.client(OAuth2.clientCredentials(base))
        const storm = Effect.forEach(Array.from({ length: 1000 }), () => client.get("https://api.test/x"), {
          concurrency: "unbounded"
        })
        yield* storm
        expect((yield* server.tokenRequests).length).toBe(1)
        yield* TestClock.adjust("1 hour")
        const after = yield* storm
        expect(after.every((r) => r.status === 200)).toBe(true)
        expect((yield* server.tokenRequests).length).toBe(2)
      })
      yield* run.pipe(Effect.provide(Layer.mergeAll(TestAuthorizationServer.layer(), TokenCache.layerFile({ path }))))
      const file = JSON.parse(yield* fs.readFileString(path))
      const [entry] = Object.values(file.tokens) as Array<{ accessToken: string }>
      expect(entry!.accessToken).toBe("access-2")
      expect(Object.keys(file.tokens)[0]).toMatch(/^client_credentials https:\/\/auth\.test\/token app \S{22}$/)
      expect(JSON.stringify(file)).not.toContain("s3cret-value")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("cache keys: order-insensitive scope; secret, scope, params and password all make a difference", () =>
    Effect.sync(() => {
      const key = (parts: Partial<Parameters<typeof OAuth2.cacheKey>[0]>) =>
        OAuth2.cacheKey({ grant: "g", tokenUrl, clientId: "a", clientSecret: Redacted.make("s"), ...parts })
      expect(key({ scope: "a b" })).toBe(key({ scope: "b  a" }))
      const variants = [
        key({}),
        key({ clientSecret: Redacted.make("t") }),
        key({ scope: "a" }),
        key({ params: { audience: "x" } }),
        key({ secrets: { password: Redacted.make("p") } }),
        key({ secrets: { password: Redacted.make("q") } }),
        key({ clientId: "b" }),
        key({ grant: "h" })
      ]
      expect(new Set(variants).size).toBe(variants.length)
      expect(variants.join()).not.toMatch(/\bs\b.*secret/)
    })
  )

  it.scoped("maxRetryAfter and maxResponseBytes reach the grant's token requests", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        Effect.succeed(
          seen.url === "/busy"
            ? HttpServerResponse.text("busy", { status: 503, headers: { "retry-after": "5" } })
            : HttpServerResponse.unsafeJson({ access_token: "a".repeat(64), token_type: "Bearer" })
        )
      )
      const grant = (path: string, options: Partial<OAuth2.ClientCredentialsOptions>) =>
        Effect.flip(
          Effect.flatMap(
            HttpAuth.client(OAuth2.clientCredentials({ ...base, tokenUrl: `${server.origin}${path}`, ...options })),
            (client) => client.get(`${server.origin}/api`)
          )
        )
      const busy = yield* grant("/busy", { maxRetryAfter: "1 second", retry: Schedule.recurs(3) })
      expect(busy.message).toBe(
        `TokenEndpoint: the token endpoint ${server.origin}/busy answered HTTP 503 and asked to wait 5s (Retry-After) before trying again, more than maxRetryAfter (1s): try later, or raise maxRetryAfter`
      )
      const large = yield* grant("/token", { maxResponseBytes: 16 })
      expect(large.message).toBe(
        `TokenEndpoint: the token endpoint ${server.origin}/token answered HTTP 200 with a body larger than 16 bytes (maxResponseBytes): not read`
      )
      expect((yield* server.seen).map((seen) => seen.url)).toEqual(["/busy", "/token"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
