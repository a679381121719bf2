/**
 * Discovery (RFC 8414, OpenID Connect Discovery 1.0) against oidc-provider, and against documents of
 * our own that a client must refuse; `issuer` in place of the endpoints in the grants.
 */
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule, TestClock } from "effect"
import { DiscoveryError } from "../src/AuthError.js"
import type { AuthError } from "../src/index.js"
import { Discovery, HttpAuth, OAuth2 } from "../src/index.js"
import { basicApp, oidcWithApi } from "./fixtures/oidcProvider.js"
import { freePort, type Seen, serve } from "./fixtures/server.js"

const clients = [basicApp("api:read")]

const oidcServers = oidcWithApi({ clients, configuration: { scopes: ["openid", "api:read"] } })

/** A server that answers each path from a table (404 elsewhere); `{origin}` in a body is its own origin. */
const documents = (table: Readonly<Record<string, { readonly status?: number; readonly body: unknown }>>) =>
  Effect.gen(function* () {
    let origin = ""
    const server = yield* serve((seen: Seen) => {
      const entry = table[seen.url]
      if (entry === undefined) return Effect.succeed(HttpServerResponse.text("not found", { status: 404 }))
      const body = typeof entry.body === "string" ? entry.body : JSON.stringify(entry.body)
      return Effect.succeed(
        HttpServerResponse.text(body.replaceAll("{origin}", origin), {
          status: entry.status ?? 200,
          contentType: "application/json"
        })
      )
    })
    origin = server.origin
    return server
  })

const discoveryError = <R>(effect: Effect.Effect<unknown, unknown, R>) =>
  Effect.map(Effect.flip(effect), (error) => {
    expect((error as AuthError.DiscoveryError)._tag).toBe("DiscoveryError")
    return error as AuthError.DiscoveryError
  })

describe("OAuth2.discover against oidc-provider", () => {
  it.scoped("reads /.well-known/openid-configuration and checks the issuer", () =>
    Effect.gen(function* () {
      const { oidc } = yield* oidcServers
      const metadata = yield* OAuth2.discover(oidc.issuer)
      expect(metadata.issuer).toBe(oidc.issuer)
      expect(metadata.token_endpoint).toBe(`${oidc.issuer}/token`)
      expect(metadata.authorization_endpoint).toBe(`${oidc.issuer}/auth`)
      expect(metadata.jwks_uri).toBe(`${oidc.issuer}/jwks`)
      expect(metadata.introspection_endpoint).toBe(`${oidc.issuer}/token/introspection`)
      expect(metadata.token_endpoint_auth_methods_supported).toContain("client_secret_basic")
      expect(metadata.grant_types_supported).toContain("client_credentials")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("refuses the same issuer with a trailing slash: RFC 8414 section 3.3 wants it identical", () =>
    Effect.gen(function* () {
      const { oidc } = yield* oidcServers
      const error = yield* discoveryError(OAuth2.discover(`${oidc.issuer}/`))
      expect(error.issuer).toBe(`${oidc.issuer}/`)
      expect(error.reason).toBe(
        `${oidc.issuer}/.well-known/openid-configuration is the metadata of issuer "${oidc.issuer}", not of the issuer asked (RFC 8414 section 3.3): check the issuer option, trailing slash included`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("clientCredentials with issuer only: the token endpoint discovered once, one token for many calls", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* oidcServers
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({ issuer: oidc.issuer, clientId: "basic-app", clientSecret: "basic-secret" })
      )
      for (let i = 0; i < 3; i++) {
        const response = yield* client.get(`${api.origin}/me`)
        expect(yield* response.json).toEqual({ client: "basic-app", sub: null })
      }
      expect(yield* oidc.tokenRequests).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})

describe("Discovery against documents of our own", () => {
  const metadata = (extra: Record<string, unknown> = {}) => ({
    issuer: "{origin}",
    token_endpoint: "{origin}/token",
    ...extra
  })

  it.scoped("falls back to /.well-known/oauth-authorization-server, inserted before the issuer's path", () =>
    Effect.gen(function* () {
      const server = yield* documents({
        "/.well-known/oauth-authorization-server/tenant/a": {
          body: { issuer: "{origin}/tenant/a", token_endpoint: "{origin}/tenant/a/token" }
        }
      })
      const found = yield* OAuth2.discover(`${server.origin}/tenant/a`)
      expect(found.token_endpoint).toBe(`${server.origin}/tenant/a/token`)
      expect((yield* server.seen).map((seen) => [seen.method, seen.url, seen.headers.accept])).toEqual([
        ["GET", "/tenant/a/.well-known/openid-configuration", "application/json"],
        ["GET", "/.well-known/oauth-authorization-server/tenant/a", "application/json"]
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("keeps the fields it does not model", () =>
    Effect.gen(function* () {
      const server = yield* documents({
        "/.well-known/openid-configuration": { body: metadata({ "x-vendor": { tier: 2 } }) }
      })
      const found = yield* OAuth2.discover(server.origin)
      expect(found["x-vendor"]).toEqual({ tier: 2 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("no document at either URL", () =>
    Effect.gen(function* () {
      const server = yield* documents({})
      const error = yield* discoveryError(OAuth2.discover(server.origin))
      expect(error.message).toBe(
        `Discovery of ${server.origin} failed: no metadata document: ${server.origin}/.well-known/openid-configuration answered HTTP 404; ${server.origin}/.well-known/oauth-authorization-server answered HTTP 404`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a document for another issuer is refused (a mix-up, RFC 8414 section 3.3)", () =>
    Effect.gen(function* () {
      const server = yield* documents({
        "/.well-known/openid-configuration": { body: metadata({ issuer: "https://evil.example" }) }
      })
      const error = yield* discoveryError(OAuth2.discover(server.origin))
      expect(error.reason).toContain('is the metadata of issuer "https://evil.example", not of the issuer asked')
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a document that is not metadata: no issuer, an endpoint that is no URL, a list that is no list", () =>
    Effect.gen(function* () {
      const server = yield* documents({
        "/a/.well-known/openid-configuration": { body: { token_endpoint: "{origin}/token" } },
        "/b/.well-known/openid-configuration": { body: { issuer: "{origin}/b", token_endpoint: "javascript:x" } },
        "/c/.well-known/openid-configuration": {
          body: { issuer: "{origin}/c", token_endpoint_auth_methods_supported: "client_secret_basic" }
        },
        "/d/.well-known/openid-configuration": { body: [1, 2] }
      })
      const reasons: Array<string> = []
      for (const path of ["a", "b", "c", "d"]) {
        const error = yield* discoveryError(OAuth2.discover(`${server.origin}/${path}`))
        expect(
          error.reason.startsWith(
            `${server.origin}/${path}/.well-known/openid-configuration is not authorization server metadata: `
          )
        ).toBe(true)
        reasons.push(error.reason)
      }
      expect(reasons[0]).toContain('["issuer"]')
      expect(reasons[1]).toContain("must be an absolute http or https URL")
      expect(reasons[2]).toContain('["token_endpoint_auth_methods_supported"]')
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("an issuer with a query or a fragment is refused before any request", () =>
    Effect.gen(function* () {
      const server = yield* documents({})
      const error = yield* discoveryError(OAuth2.discover(`${server.origin}/?tenant=a`))
      expect(error.reason).toBe("the issuer must have no query or fragment (RFC 8414 section 2)")
      const built = yield* Effect.flip(
        OAuth2.clientCredentials({ issuer: "not a url", clientId: "a", clientSecret: "s" })
      )
      expect(built._tag).toBe("InvalidOptions")
      expect(built.message).toBe(
        'OAuth2.clientCredentials: option "issuer" the issuer must be an absolute http or https URL'
      )
      const none = yield* Effect.flip(OAuth2.clientCredentials({ clientId: "a", clientSecret: "s" }))
      expect(none.message).toBe('OAuth2.clientCredentials: option "tokenUrl" is mandatory, unless issuer is given')
      expect(yield* server.seen).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a bad timeout or maxResponseBytes is refused before any request, with the option named", () =>
    Effect.gen(function* () {
      const server = yield* documents({})
      const http = yield* HttpClient.HttpClient
      for (const maxResponseBytes of [0, -1, 1.5, Number.NaN]) {
        const built = yield* Effect.flip(Discovery.make({ maxResponseBytes }))
        expect(built._tag).toBe("InvalidOptions")
        expect(built.message).toBe(
          `Discovery.make: option "maxResponseBytes" must be a whole number of bytes from 1 up, not ${maxResponseBytes}`
        )
        const fetched = yield* Effect.flip(Discovery.fetch(http, server.origin, { maxResponseBytes }))
        expect(fetched).toEqual(
          new DiscoveryError({
            issuer: server.origin,
            reason: `Discovery.fetch: option "maxResponseBytes" must be a whole number of bytes from 1 up, not ${maxResponseBytes}`
          })
        )
      }
      const timeout = yield* Effect.flip(Discovery.fetch(http, server.origin, { timeout: "0 seconds" }))
      expect(timeout.reason).toMatch(/^Discovery\.fetch: option "timeout" /)
      expect(yield* server.seen).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("the service: one fetch for concurrent callers and grants, kept for refreshAfter, a failure not kept", () =>
    Effect.gen(function* () {
      let failing = true
      let origin = ""
      const server = yield* serve((seen) =>
        Effect.succeed(
          seen.url === "/.well-known/openid-configuration" && !failing
            ? HttpServerResponse.unsafeJson({ issuer: origin, token_endpoint: `${origin}/token` })
            : HttpServerResponse.text("down", { status: 503 })
        )
      )
      origin = server.origin
      const discovery = yield* Discovery.make({ refreshAfter: "10 minutes" })
      yield* discoveryError(discovery.get(origin))
      expect((yield* server.seen).length).toBe(2)
      failing = false
      const all = yield* Effect.all(
        Array.from({ length: 5 }, () => discovery.get(origin)),
        { concurrency: "unbounded" }
      )
      expect(all.every((m) => m.token_endpoint === `${origin}/token`)).toBe(true)
      expect((yield* server.seen).length).toBe(3)
      yield* TestClock.adjust("9 minutes")
      yield* discovery.get(origin)
      expect((yield* server.seen).length).toBe(3)
      yield* TestClock.adjust("1 minute")
      yield* discovery.get(origin)
      expect((yield* server.seen).length).toBe(4)
      yield* discovery.invalidate(origin)
      yield* discovery.get(origin)
      expect((yield* server.seen).length).toBe(5)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped(
    "Discovery.layer shared by two grants of one issuer: one metadata fetch; client_secret_post chosen from the metadata",
    () =>
      Effect.gen(function* () {
        const server = yield* documents({
          "/.well-known/openid-configuration": {
            body: metadata({ token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"] })
          },
          "/token": { body: { access_token: "t-1", token_type: "Bearer", expires_in: 3600 } },
          "/api": { body: {} }
        })
        const program = Effect.gen(function* () {
          const first = yield* HttpAuth.client(
            OAuth2.clientCredentials({ issuer: server.origin, clientId: "a", clientSecret: "s-a" })
          )
          const second = yield* HttpAuth.client(
            OAuth2.clientCredentials({ issuer: server.origin, clientId: "b", clientSecret: "s-b" })
          )
          yield* first.get(`${server.origin}/api`)
          yield* second.get(`${server.origin}/api`)
        })
        yield* program.pipe(Effect.provide(Discovery.layer().pipe(Layer.provide(NodeHttpClient.layerUndici))))
        const seen = yield* server.seen
        expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
          "GET /.well-known/openid-configuration",
          "POST /token",
          "GET /api",
          "POST /token",
          "GET /api"
        ])
        expect(seen[1]!.headers.authorization).toBeUndefined()
        expect(seen[1]!.body).toBe("grant_type=client_credentials&client_id=a&client_secret=s-a")
        expect(seen[3]!.body).toBe("grant_type=client_credentials&client_id=b&client_secret=s-b")
        expect(seen[2]!.headers.authorization).toBe("Bearer t-1")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped(
    "a discovered token endpoint gone (404), down (503) or unreachable: the next attempt reads the metadata again; a 400 keeps it",
    () =>
      Effect.gen(function* () {
        let origin = ""
        let tokenEndpoint = "/old-token"
        const server = yield* serve((seen) =>
          Effect.succeed(
            seen.url === "/.well-known/openid-configuration"
              ? HttpServerResponse.unsafeJson({
                  issuer: origin,
                  token_endpoint: tokenEndpoint.startsWith("http") ? tokenEndpoint : `${origin}${tokenEndpoint}`
                })
              : seen.url === "/token"
                ? HttpServerResponse.unsafeJson({ access_token: "t-1", token_type: "Bearer", expires_in: 3600 })
                : seen.url === "/refusing"
                  ? HttpServerResponse.unsafeJson({ error: "invalid_client" }, { status: 400 })
                  : seen.url === "/down"
                    ? HttpServerResponse.text("down", { status: 503 })
                    : HttpServerResponse.text("not found", { status: 404 })
          )
        )
        origin = server.origin
        const closed = `http://127.0.0.1:${yield* Effect.promise(freePort)}/token`
        const options = { issuer: origin, clientId: "a", clientSecret: "s", retry: Schedule.stop }
        const client = yield* HttpAuth.client(OAuth2.clientCredentials(options))
        const failure = Effect.map(Effect.flip(client.get(`${origin}/api`)), (error) => error._tag)
        const requests = Effect.map(server.seen, (seen) => seen.map((s) => `${s.method} ${s.url}`))

        expect(yield* failure).toBe("OAuth2Error")
        tokenEndpoint = "/down"
        expect(yield* failure).toBe("OAuth2Error")
        tokenEndpoint = closed
        expect(yield* failure).toBe("AuthenticationFailed")
        tokenEndpoint = "/token"
        expect((yield* client.get(`${origin}/api`)).status).toBe(404)
        expect((yield* client.get(`${origin}/api`)).status).toBe(404)
        expect(yield* requests).toEqual([
          "GET /.well-known/openid-configuration",
          "POST /old-token",
          "GET /.well-known/openid-configuration",
          "POST /down",
          "GET /.well-known/openid-configuration",
          "GET /.well-known/openid-configuration",
          "POST /token",
          "GET /api",
          "GET /api"
        ])

        // an RFC 6749 error from the endpoint says it is there: the metadata is kept
        tokenEndpoint = "/refusing"
        const other = yield* HttpAuth.client(OAuth2.clientCredentials({ ...options, clientId: "b" }))
        for (const _ of [1, 2]) expect((yield* Effect.flip(other.get(`${origin}/api`)))._tag).toBe("OAuth2Error")
        expect((yield* requests).slice(9)).toEqual([
          "GET /.well-known/openid-configuration",
          "POST /refusing",
          "POST /refusing"
        ])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
