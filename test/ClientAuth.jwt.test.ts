/**
 * `client_secret_jwt` and `private_key_jwt` (RFC 7523 section 2.2): the
 * assertions verified with jose, the key checks, and oidc-provider clients
 * registered with those methods (RS256 and ES256 JWKS made here).
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Redacted, TestClock } from "effect"
import fc from "fast-check"
import { jwtVerify } from "jose"
import type { AuthError } from "../src/index.js"
import { ClientAuth, HttpAuth, OAuth2, SecureRandom, TokenEndpoint } from "../src/index.js"
import { oidcWithApi } from "./fixtures/oidcProvider.js"

const request = { tokenUrl: "https://issuer.test/token", params: { grant_type: "client_credentials" }, headers: {} }
const NOW = 1_700_000_000_000

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
const ed = generateKeyPairSync("ed25519")
const otherRsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const pem = (key: KeyObject) => key.export({ format: "pem", type: "pkcs8" }).toString()
const publicJwk = (key: KeyObject, kid: string, alg: string) => ({
  ...key.export({ format: "jwk" }),
  kid,
  alg,
  use: "sig"
})

const verify = (assertion: string, key: KeyObject | Uint8Array, audience = request.tokenUrl) =>
  Effect.promise(() =>
    jwtVerify(assertion, key, { audience, issuer: "app", subject: "app", currentDate: new Date(NOW) })
  )

describe("ClientAuth.clientSecretJwt / privateKeyJwt", () => {
  it.effect("client_secret_jwt: an HS256 assertion, no secret and no Authorization header on the wire", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const auth = yield* ClientAuth.clientSecretJwt("app", Redacted.make("a-long-shared-secret-of-32-bytes!"))
      const applied = yield* auth.apply(request)
      expect(applied.headers).toEqual({})
      expect(Object.keys(applied.params).sort()).toEqual([
        "client_assertion",
        "client_assertion_type",
        "client_id",
        "grant_type"
      ])
      expect(applied.params.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      const { payload, protectedHeader } = yield* verify(
        applied.params.client_assertion!,
        new TextEncoder().encode("a-long-shared-secret-of-32-bytes!")
      )
      expect(protectedHeader).toEqual({ alg: "HS256", typ: "JWT" })
      expect(payload).toEqual({
        iss: "app",
        sub: "app",
        aud: request.tokenUrl,
        jti: payload.jti,
        iat: NOW / 1000,
        exp: NOW / 1000 + 60
      })
      expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(auth.method).toBe("client_secret_jwt")
    })
  )

  it.effect("HS512 by option, the issuer as audience, a 5-minute lifetime, a Config secret", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const auth = yield* ClientAuth.clientSecretJwt("app", Config.redacted("SECRET"), {
        algorithm: "HS512",
        audience: "https://issuer.test",
        lifetime: "5 minutes",
        keyId: "k1"
      }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SECRET", "from-config"]]))))
      const applied = yield* auth.apply(request)
      const { payload, protectedHeader } = yield* verify(
        applied.params.client_assertion!,
        new TextEncoder().encode("from-config"),
        "https://issuer.test"
      )
      expect(protectedHeader).toEqual({ alg: "HS512", typ: "JWT", kid: "k1" })
      expect(payload.exp! - payload.iat!).toBe(300)
    })
  )

  it.effect(
    "private_key_jwt: RS256 from a PEM, ES256 from a JWK (its kid), EdDSA from a KeyObject, PS256 by option",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const cases = [
          [yield* ClientAuth.privateKeyJwt("app", pem(rsa.privateKey)), rsa.publicKey, { alg: "RS256", typ: "JWT" }],
          [
            yield* ClientAuth.privateKeyJwt("app", { ...ec.privateKey.export({ format: "jwk" }), kid: "ec-1" } as any),
            ec.publicKey,
            { alg: "ES256", typ: "JWT", kid: "ec-1" }
          ],
          [
            yield* ClientAuth.privateKeyJwt("app", ed.privateKey, { keyId: "ed" }),
            ed.publicKey,
            { alg: "EdDSA", typ: "JWT", kid: "ed" }
          ],
          [
            yield* ClientAuth.privateKeyJwt("app", Redacted.make(pem(rsa.privateKey)), { algorithm: "PS256" }),
            rsa.publicKey,
            { alg: "PS256", typ: "JWT" }
          ]
        ] as const
        for (const [auth, publicKey, header] of cases) {
          const applied = yield* auth.apply(request)
          expect(auth.method).toBe("private_key_jwt")
          const { payload, protectedHeader } = yield* verify(applied.params.client_assertion!, publicKey)
          expect(protectedHeader).toEqual(header)
          expect([payload.iss, payload.sub, payload.aud, payload.exp! - payload.iat!]).toEqual([
            "app",
            "app",
            request.tokenUrl,
            60
          ])
          expect(applied.params.client_secret).toBeUndefined()
        }
      })
  )

  it.effect("a bad key or algorithm fails when built with InvalidOptions that never quotes the key", () =>
    Effect.gen(function* () {
      const small = generateKeyPairSync("rsa", { modulusLength: 1024 })
      const secretPem = pem(rsa.privateKey)
      const failures = [
        [ClientAuth.privateKeyJwt("app", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"), "key"],
        [ClientAuth.privateKeyJwt("app", rsa.publicKey), "key"],
        [ClientAuth.privateKeyJwt("app", { kty: "EC", crv: "P-256", x: "AA", y: "AA" }), "key"],
        [ClientAuth.privateKeyJwt("app", secretPem, { algorithm: "ES256" }), "algorithm"],
        [ClientAuth.privateKeyJwt("app", pem(ec.privateKey), { algorithm: "ES384" }), "algorithm"],
        [ClientAuth.privateKeyJwt("app", secretPem, { algorithm: "HS256" as any }), "algorithm"],
        [ClientAuth.privateKeyJwt("app", small.privateKey), "key"],
        [ClientAuth.privateKeyJwt("app", secretPem, { lifetime: "10 minutes" }), "lifetime"],
        [ClientAuth.privateKeyJwt("", secretPem), "clientId"],
        [ClientAuth.clientSecretJwt("app", "s", { algorithm: "RS256" as any }), "algorithm"],
        [ClientAuth.clientSecretJwt("app", ""), "secret"],
        [ClientAuth.clientSecretJwt("app", "s", { lifetime: 0 }), "lifetime"]
      ] as const
      const body = secretPem.split("\n")[1]!
      for (const [effect, option] of failures) {
        const error = yield* Effect.flip(effect)
        expect([error._tag, error.option]).toEqual(["InvalidOptions", option])
        expect(error.message).not.toContain(body)
        expect(JSON.stringify(error)).not.toContain(body)
      }
      const mismatch = yield* Effect.flip(ClientAuth.privateKeyJwt("app", secretPem, { algorithm: "ES256" }))
      expect(mismatch.reason).toBe("ES256 does not fit the key (rsa); RS256 does")
    })
  )

  it.effect("property: for random claims the assertion verifies with jose, and 1,000 requests have 1,000 jti", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const samples = fc.sample(
        fc.record({
          clientId: fc.string({ minLength: 1, maxLength: 40 }),
          audience: fc.webUrl(),
          seconds: fc.integer({ min: 1, max: 300 }),
          hmac: fc.boolean()
        }),
        25
      )
      for (const { clientId, audience, seconds, hmac } of samples) {
        const auth = hmac
          ? yield* ClientAuth.clientSecretJwt(clientId, "shared", { audience, lifetime: `${seconds} seconds` })
          : yield* ClientAuth.privateKeyJwt(clientId, ec.privateKey, { audience, lifetime: `${seconds} seconds` })
        const applied = yield* auth.apply(request)
        const { payload } = yield* Effect.promise(() =>
          jwtVerify(applied.params.client_assertion!, hmac ? new TextEncoder().encode("shared") : ec.publicKey, {
            audience,
            issuer: clientId,
            subject: clientId,
            currentDate: new Date(NOW)
          })
        )
        expect([payload.iat, payload.exp]).toEqual([NOW / 1000, NOW / 1000 + seconds])
        expect(applied.params.client_id).toBe(clientId)
      }
      const auth = yield* ClientAuth.privateKeyJwt("app", ec.privateKey)
      const ids = new Set<unknown>()
      for (let i = 0; i < 1000; i++) {
        const applied = yield* auth.apply(request)
        ids.add((yield* verify(applied.params.client_assertion!, ec.publicKey)).payload.jti)
      }
      expect(ids.size).toBe(1000)
    })
  )

  it.effect("the method name client_secret_jwt in a grant's options needs a clientSecret", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        OAuth2.clientCredentials({ tokenUrl: request.tokenUrl, clientId: "app", clientAuth: "client_secret_jwt" })
      )
      expect([error._tag, error.option, error.reason]).toEqual([
        "InvalidOptions",
        "clientSecret",
        "is needed with clientAuth client_secret_jwt"
      ])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})

const clients = [
  {
    client_id: "hmac-app",
    client_secret: "hmac-secret-that-is-long-enough-0123456789",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read",
    token_endpoint_auth_method: "client_secret_jwt"
  },
  {
    client_id: "rsa-app",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read",
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [publicJwk(rsa.publicKey, "rsa-1", "RS256")] }
  },
  {
    client_id: "ec-app",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read",
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "ES256",
    jwks: { keys: [publicJwk(ec.publicKey, "ec-1", "ES256")] }
  }
]

const servers = Effect.gen(function* () {
  const { oidc, api } = yield* oidcWithApi({ clients: clients as any, configuration: { scopes: ["api:read"] } })
  return { oidc, api }
})

const invalidClient = (error: { readonly _tag: string }, description: string) => {
  expect(error._tag).toBe("OAuth2Error")
  const oauth = error as AuthError.OAuth2Error
  expect([oauth.error, oauth.status, oauth.errorDescription]).toEqual(["invalid_client", 401, description])
}

describe("client assertions against oidc-provider", () => {
  it.live("client_secret_jwt by method name, private_key_jwt RS256 (kid) and ES256: each client gets its token", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const auths = [
        [
          "hmac-app",
          OAuth2.clientCredentials({
            tokenUrl: oidc.tokenUrl,
            clientId: "hmac-app",
            clientSecret: "hmac-secret-that-is-long-enough-0123456789",
            clientAuth: "client_secret_jwt",
            scope: "api:read"
          })
        ],
        [
          "rsa-app",
          OAuth2.clientCredentials({
            tokenUrl: oidc.tokenUrl,
            clientAuth: ClientAuth.privateKeyJwt("rsa-app", pem(rsa.privateKey), { keyId: "rsa-1" }),
            scope: "api:read"
          })
        ],
        [
          "ec-app",
          OAuth2.clientCredentials({
            tokenUrl: oidc.tokenUrl,
            // the issuer as audience, as newer servers want: oidc-provider takes both
            clientAuth: ClientAuth.privateKeyJwt("ec-app", ec.privateKey, { audience: oidc.issuer }),
            scope: "api:read"
          })
        ]
      ] as const
      for (const [clientId, auth] of auths) {
        const client = yield* HttpAuth.client(auth)
        const response = yield* client.get(`${api.origin}/me`)
        expect(yield* response.json).toEqual({ client: clientId, sub: null })
      }
      expect(yield* oidc.tokenRequests).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("a wrong key is refused by the server with invalid_client, typed on our side", () =>
    Effect.gen(function* () {
      const { oidc, api } = yield* servers
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl: oidc.tokenUrl,
          clientAuth: ClientAuth.privateKeyJwt("rsa-app", otherRsa.privateKey, { keyId: "rsa-1" })
        })
      )
      const error = yield* Effect.flip(client.get(`${api.origin}/me`))
      invalidClient(error, "client authentication failed")
      expect(JSON.stringify(error)).not.toContain("eyJ")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("a replayed assertion (the same jti) is refused by the server with invalid_client", () =>
    Effect.gen(function* () {
      const { oidc } = yield* servers
      const clientAuth = yield* ClientAuth.privateKeyJwt("ec-app", ec.privateKey)
      const send = Effect.flatMap(HttpClient.HttpClient, (client) =>
        TokenEndpoint.request(client, {
          tokenUrl: oidc.tokenUrl,
          params: { grant_type: "client_credentials", scope: "api:read" },
          clientAuth
        })
      )
      // every jti drawn the same: the second request replays the first assertion's jti
      const fixed = SecureRandom.layerFixed(new Uint8Array([7]))
      const first = yield* Effect.provide(send, fixed)
      expect(first.scope).toBe("api:read")
      const error = yield* Effect.flip(Effect.provide(send, fixed))
      invalidClient(error, "client authentication failed")
      expect(yield* oidc.tokenRequests).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
