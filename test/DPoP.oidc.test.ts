/**
 * DPoP (RFC 9449) against oidc-provider (features.dPoP, with and without a
 * required nonce) and a resource server that verifies each proof with jose
 * and the token's `cnf.jkt` by introspection.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient, HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, TestClock } from "effect"
import { Redis } from "ioredis"
import { decodeJwt, decodeProtectedHeader } from "jose"
import {
  type AuthError,
  DPoP,
  HttpAuth,
  OAuth2,
  SecureRandom,
  type Token,
  TokenCache,
  TokenEndpoint
} from "../src/index.js"
import { RedisTokenCache } from "../src/redis/index.js"
import { dpopApi } from "./fixtures/dpopResource.js"
import { startOidcProvider } from "./fixtures/oidcProvider.js"
import { redisServer } from "./fixtures/redis.js"
import { echo, serve } from "./fixtures/server.js"

const clients = [
  {
    client_id: "app",
    client_secret: "app-secret",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read"
  },
  {
    client_id: "resource-server",
    client_secret: "rs-secret",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: []
  }
]

const NONCE = "rs-nonce-1"

/** oidc-provider with DPoP (a nonce required when `nonce`), and the API that verifies proofs. */
const servers = (settings: { readonly nonce: boolean; readonly apiNonce?: string }) =>
  Effect.gen(function* () {
    const oidc = yield* startOidcProvider({
      clients,
      features: {
        dPoP: settings.nonce
          ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
          : { enabled: true }
      },
      configuration: { scopes: ["api:read"] }
    })
    const api = yield* dpopApi(
      oidc,
      { clientId: "resource-server", clientSecret: "rs-secret" },
      { nonce: settings.apiNonce }
    )
    return { oidc, api }
  })

/** The cache key of `appAuth`'s token bound to the key `jkt`. */
const keyOf = (tokenUrl: string, jkt: string) =>
  OAuth2.cacheKey({
    grant: "client_credentials",
    tokenUrl,
    clientId: "app",
    clientSecret: Redacted.make("app-secret"),
    scope: "api:read",
    params: { dpop: jkt }
  })

const appAuth = (tokenUrl: string, extra: Partial<OAuth2.ClientCredentialsOptions> = {}) =>
  OAuth2.clientCredentials({
    tokenUrl,
    clientId: "app",
    clientSecret: Redacted.make("app-secret"),
    scope: "api:read",
    dpop: true,
    ...extra
  })

describe("DPoP against oidc-provider", () => {
  it.scopedLive(
    "nonces required by both servers: one resend each, remembered after, and the token bound to the key",
    () =>
      Effect.gen(function* () {
        const { oidc, api } = yield* servers({ nonce: true, apiNonce: NONCE })
        const issued: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          appAuth(oidc.tokenUrl, { onToken: (token) => Effect.sync(() => issued.push(token)) })
        )
        const first = yield* client.get(`${api.origin}/items?page=1#top`)
        expect(first.status).toBe(200)
        const { jkt } = (yield* first.json) as { client: string; jkt: string }
        // the token endpoint refused the proof without a nonce (400 use_dpop_nonce), then took it
        expect(yield* oidc.tokenRequests).toBe(2)
        expect(issued.length).toBe(1)
        expect(issued[0]!.tokenType).toBe("DPoP")
        expect(issued[0]!.jkt).toBe(jkt)
        const seen = yield* api.seen
        expect(seen.length).toBe(2)
        expect(yield* api.refusals).toEqual(["nonce required"])
        const proof = decodeJwt(seen[1]!.headers.dpop!)
        expect(seen[1]!.headers.authorization).toMatch(/^DPoP /)
        expect(proof.htu).toBe(`${api.origin}/items`)
        expect(proof.htm).toBe("GET")
        expect(proof.nonce).toBe(NONCE)
        expect(decodeProtectedHeader(seen[1]!.headers.dpop!)).toMatchObject({ typ: "dpop+jwt", alg: "ES256" })
        // the nonces are remembered: no more refusals
        const second = yield* client.post(`${api.origin}/items`)
        expect(second.status).toBe(200)
        expect((yield* api.seen).length).toBe(3)
        expect(yield* oidc.tokenRequests).toBe(2)
        expect(decodeJwt((yield* api.seen)[2]!.headers.dpop!).htm).toBe("POST")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive("no nonce asked: one token request, one API request, a key of the user's own (JWK)", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers({ nonce: false })
      const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" })
      const client = yield* HttpAuth.client(
        appAuth(oidc.tokenUrl, { dpop: { key: jwk as DPoP.KeyOptions["key"], alg: "EdDSA" } })
      )
      const response = yield* client.get(`${api.origin}/me`)
      expect(response.status).toBe(200)
      expect(yield* oidc.tokenRequests).toBe(1)
      expect((yield* api.seen).length).toBe(1)
      expect(decodeProtectedHeader((yield* api.seen)[0]!.headers.dpop!).alg).toBe("EdDSA")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive(
    "a file cache: a fresh key's token is never written (no entry per run); a given key's is, and reused",
    () =>
      Effect.gen(function* () {
        const { oidc, api } = yield* servers({ nonce: false })
        const dir = mkdtempSync(join(tmpdir(), "dpop-cache-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const path = join(dir, "tokens.json")
        // each "process": a new auth on the same file
        const run = (dpop: OAuth2.ClientCredentialsOptions["dpop"]) =>
          Effect.scoped(
            Effect.gen(function* () {
              const client = yield* HttpAuth.client(appAuth(oidc.tokenUrl, { dpop }))
              const response = yield* client.get(`${api.origin}/me`)
              return response.status
            }).pipe(Effect.provide(TokenCache.layerFile({ path }).pipe(Layer.provide(NodeFileSystem.layer))))
          )
        const entries = () => (JSON.parse(readFileSync(path, "utf8")) as { tokens: Record<string, Token.Token> }).tokens
        expect(yield* run(true)).toBe(200)
        expect(yield* run(true)).toBe(200)
        // each run's key is new, and its token dies with it: two token requests, and nothing in the file
        expect(yield* oidc.tokenRequests).toBe(2)
        expect(existsSync(path)).toBe(false)
        const key = { key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }
        const { jkt } = yield* DPoP.make(key)
        expect(yield* run(key)).toBe(200)
        expect(yield* run(key)).toBe(200)
        expect(yield* oidc.tokenRequests).toBe(3)
        // one entry: the given key's, under the key that names its thumbprint
        const keyOfKey = keyOf(oidc.tokenUrl, jkt)
        expect(Object.keys(entries())).toEqual([keyOfKey])
        expect(entries()[keyOfKey]).toMatchObject({ tokenType: "DPoP", jkt })
        const written = readFileSync(path, "utf8")
        // a fresh key's run after it leaves the file as it was
        expect(yield* run(true)).toBe(200)
        expect(yield* oidc.tokenRequests).toBe(4)
        expect(readFileSync(path, "utf8")).toBe(written)
        expect(yield* api.refusals).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive("a Redis cache: after two runs of each, only the given key's token is in Redis", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers({ nonce: false })
      const redis = yield* redisServer
      const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => admin.disconnect()))
      const prefix = "dpop:"
      const run = (dpop: OAuth2.ClientCredentialsOptions["dpop"]) =>
        Effect.scoped(
          Effect.gen(function* () {
            const client = yield* HttpAuth.client(appAuth(oidc.tokenUrl, { dpop }))
            return (yield* client.get(`${api.origin}/me`)).status
          }).pipe(Effect.provide(RedisTokenCache.layer({ url: redis.url, prefix })))
        )
      const keys = Effect.promise(() => admin.keys(`${prefix}*`))
      expect(yield* run(true)).toBe(200)
      expect(yield* run(true)).toBe(200)
      expect(yield* oidc.tokenRequests).toBe(2)
      expect(yield* keys).toEqual([])
      const key = { key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }
      const { jkt } = yield* DPoP.make(key)
      expect(yield* run(key)).toBe(200)
      expect(yield* run(key)).toBe(200)
      expect(yield* oidc.tokenRequests).toBe(3)
      expect(yield* keys).toEqual([`${prefix}token:${keyOf(oidc.tokenUrl, jkt)}`])
      expect(yield* run(true)).toBe(200)
      expect(yield* keys).toEqual([`${prefix}token:${keyOf(oidc.tokenUrl, jkt)}`])
      expect(yield* api.refusals).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive(
    "two auths with keys of their own on one shared cache: one entry each, no token taken from the other",
    () =>
      Effect.gen(function* () {
        const { oidc, api } = yield* servers({ nonce: false })
        // as two processes on one Redis or file would: one cache, each auth its own in-memory key
        const shared = yield* TokenCache.make()
        const first = yield* HttpAuth.client(appAuth(oidc.tokenUrl)).pipe(
          Effect.provideService(TokenCache.TokenCache, shared)
        )
        const second = yield* HttpAuth.client(appAuth(oidc.tokenUrl)).pipe(
          Effect.provideService(TokenCache.TokenCache, shared)
        )
        const statuses: Array<number> = []
        for (let round = 0; round < 3; round++) {
          statuses.push((yield* first.get(`${api.origin}/me`)).status, (yield* second.get(`${api.origin}/me`)).status)
        }
        expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
        // before: each read dropped the other's token, six token requests for six calls
        expect(yield* oidc.tokenRequests).toBe(2)
        expect(yield* api.refusals).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a stale iat (the client's clock 10 minutes ahead): the server's refusal is a typed OAuth2Error", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers({ nonce: false })
      yield* TestClock.setTime(Date.now() + 10 * 60 * 1000)
      const client = yield* HttpAuth.client(appAuth(oidc.tokenUrl))
      const error = yield* Effect.flip(client.get(`${api.origin}/me`))
      expect(error._tag).toBe("OAuth2Error")
      expect((error as AuthError.OAuth2Error).error).toBe("invalid_dpop_proof")
      expect((error as AuthError.OAuth2Error).status).toBe(400)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("the API refuses a stale iat; the token is dropped and the new token request fails typed", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers({ nonce: false })
      yield* TestClock.setTime(Date.now())
      const client = yield* HttpAuth.client(appAuth(oidc.tokenUrl))
      expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
      yield* TestClock.adjust("10 minutes")
      const error = yield* Effect.flip(client.get(`${api.origin}/me`))
      expect(yield* api.refusals).toEqual(["stale iat"])
      expect(error._tag).toBe("OAuth2Error")
      expect((error as AuthError.OAuth2Error).error).toBe("invalid_dpop_proof")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive(
    "a replayed jti (the same randomness every time) is refused by the API, then by the token endpoint",
    () =>
      Effect.gen(function* () {
        const { oidc, api } = yield* servers({ nonce: false })
        const client = yield* HttpAuth.client(appAuth(oidc.tokenUrl))
        expect((yield* client.get(`${api.origin}/me`)).status).toBe(200)
        const error = yield* Effect.flip(client.get(`${api.origin}/me`))
        expect(yield* api.refusals).toEqual(["replayed jti"])
        expect(error._tag).toBe("OAuth2Error")
        // oidc-provider's word for a replayed proof at the token endpoint
        expect((error as AuthError.OAuth2Error).error).toBe("invalid_grant")
        expect((error as AuthError.OAuth2Error).errorDescription).toBe("grant request is invalid")
        expect(yield* oidc.tokenRequests).toBe(2)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(SecureRandom.layerFixed(new Uint8Array([7]))))
  )

  it.scopedLive("proofs for another URL (htu) or another token (ath) are refused by the API", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers({ nonce: false })
      const dpop = yield* DPoP.make(true)
      const http = yield* HttpClient.HttpClient
      const token = yield* TokenEndpoint.request(http, {
        tokenUrl: oidc.tokenUrl,
        params: { grant_type: "client_credentials", client_id: "app", client_secret: "app-secret" },
        dpop
      })
      expect(token.tokenType).toBe("DPoP")
      const send = (proofFor: DPoP.ProofRequest) =>
        Effect.flatMap(dpop.proof(proofFor), (proof) =>
          http.execute(
            HttpClientRequest.get(`${api.origin}/me`).pipe(
              HttpClientRequest.setHeaders({ authorization: `DPoP ${Redacted.value(token.accessToken)}`, dpop: proof })
            )
          )
        )
      const wrongHtu = yield* send({ method: "GET", url: `${api.origin}/other`, accessToken: token.accessToken })
      const wrongAth = yield* send({ method: "GET", url: `${api.origin}/me`, accessToken: Redacted.make("another") })
      const right = yield* send({ method: "GET", url: `${api.origin}/me?x=1`, accessToken: token.accessToken })
      expect([wrongHtu.status, wrongAth.status, right.status]).toEqual([401, 401, 200])
      expect(wrongHtu.headers["www-authenticate"]).toBe(
        'DPoP error="invalid_dpop_proof", error_description="wrong htu"'
      )
      expect(yield* api.refusals).toEqual(["wrong htu", "wrong ath"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive("a redirect to another origin drops the proof with the token", () =>
    Effect.gen(function* () {
      const { oidc } = yield* servers({ nonce: false })
      const downloads = yield* serve(echo)
      const api = yield* serve(() =>
        Effect.succeed(
          HttpServerResponse.empty({ status: 302, headers: { location: `${downloads.origin}/report.csv` } })
        )
      )
      const auth = HttpAuth.followRedirects(appAuth(oidc.tokenUrl), { maxRedirects: 5 })
      const client = yield* HttpAuth.client(auth)
      const landed = (yield* Effect.flatMap(client.get(`${api.origin}/report`), (r) => r.json)) as {
        headers: Record<string, string>
      }
      expect((yield* api.seen)[0]!.headers.dpop).toBeDefined()
      expect((yield* api.seen)[0]!.headers.authorization).toMatch(/^DPoP /)
      expect(landed.headers.dpop).toBeUndefined()
      expect(landed.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive("a server that answers token_type Bearer to a proof: InvalidToken, the token not used", () =>
    Effect.gen(function* () {
      const bearer = yield* serve(() =>
        Effect.succeed(HttpServerResponse.unsafeJson({ access_token: "plain", token_type: "Bearer", expires_in: 60 }))
      )
      const client = yield* HttpAuth.client(appAuth(`${bearer.origin}/token`))
      const error = yield* Effect.flip(client.get(`${bearer.origin}/me`))
      expect(error._tag).toBe("InvalidToken")
      expect(error.message).toContain('token_type "Bearer" to a DPoP proof')
      expect((yield* bearer.seen).length).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
