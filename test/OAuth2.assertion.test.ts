/**
 * `OAuth2.jwtBearer` (RFC 7523 section 2.1) and `OAuth2.tokenExchange`
 * (RFC 8693 section 2.1) against oidc-provider with both grants registered,
 * their handlers verifying the assertion and the subject token with jose.
 */
import { generateKeyPairSync } from "node:crypto"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { SignJWT } from "jose"
import type { AuthError } from "../src/index.js"
import { ClientAuth, HttpAuth, OAuth2, type Token } from "../src/index.js"
import { registerAssertionGrants } from "./fixtures/assertionGrants.js"
import { oidcWithApi } from "./fixtures/oidcProvider.js"

const robot = generateKeyPairSync("rsa", { modulusLength: 2048 })
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 })
const idp = generateKeyPairSync("ec", { namedCurve: "P-256" })
const app = generateKeyPairSync("ec", { namedCurve: "P-256" })

const clients = [
  {
    client_id: "bearer-app",
    client_secret: "bearer-secret",
    grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read"
  },
  {
    client_id: "exchanger",
    grant_types: ["urn:ietf:params:oauth:grant-type:token-exchange"],
    response_types: [],
    redirect_uris: [],
    scope: "api:read",
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [{ ...app.publicKey.export({ format: "jwk" }), kid: "app", alg: "ES256", use: "sig" }] }
  }
]

const servers = Effect.gen(function* () {
  const { oidc, api } = yield* oidcWithApi({ clients: clients as any, configuration: { scopes: ["api:read"] } })
  const seen = yield* Effect.promise(() =>
    registerAssertionGrants(oidc, { assertion: robot.publicKey, subjectToken: idp.publicKey })
  )
  return { oidc, api, seen }
})

/** A subject token from the identity provider the exchange trusts. */
const idToken = (sub: string) =>
  Effect.promise(() =>
    new SignJWT({ sub }).setProtectedHeader({ alg: "ES256" }).setIssuedAt().setExpirationTime("5m").sign(idp.privateKey)
  )

describe("OAuth2.jwtBearer against oidc-provider", () => {
  it.live("a signed assertion (iss, sub, aud = token URL, jti, 5 min) is the grant; the token is cached", () =>
    Effect.gen(function* () {
      const { oidc, api, seen } = yield* servers
      const client = yield* HttpAuth.client(
        OAuth2.jwtBearer({
          tokenUrl: oidc.tokenUrl,
          clientId: "bearer-app",
          clientSecret: "bearer-secret",
          scope: "api:read",
          assertion: {
            issuer: "robot@example.com",
            subject: "alice",
            privateKey: robot.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
            keyId: "robot-1",
            claims: { tenant: "t1" }
          }
        })
      )
      for (let i = 0; i < 2; i++) {
        const response = yield* client.get(`${api.origin}/me`)
        expect(yield* response.json).toEqual({ client: "bearer-app", sub: "alice" })
      }
      expect(seen.assertions.length).toBe(1)
      const claims = seen.assertions[0]!
      expect(Object.keys(claims).sort()).toEqual([
        "alg",
        "aud",
        "exp",
        "iat",
        "iss",
        "jti",
        "kid",
        "sub",
        "tenant",
        "typ"
      ])
      expect([claims.alg, claims.kid, claims.iss, claims.sub, claims.aud, claims.tenant]).toEqual([
        "RS256",
        "robot-1",
        "robot@example.com",
        "alice",
        oidc.tokenUrl,
        "t1"
      ])
      expect((claims.exp as number) - (claims.iat as number)).toBe(300)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live(
    "a ready assertion from an Effect, run for each token request; one the server cannot verify is invalid_grant",
    () =>
      Effect.gen(function* () {
        const { oidc, seen } = yield* servers
        let made = 0
        const assertion = Effect.promise(() => {
          made++
          return new SignJWT({ sub: "bob" })
            .setProtectedHeader({ alg: "RS256" })
            .setIssuer("robot@example.com")
            .setAudience(oidc.issuer)
            .setJti(`j${made}`)
            .setIssuedAt()
            .setExpirationTime("1m")
            .sign(made === 1 ? robot.privateKey : stranger.privateKey)
        })
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.jwtBearer({
            tokenUrl: oidc.tokenUrl,
            clientId: "bearer-app",
            clientSecret: "bearer-secret",
            clientAuth: "client_secret_post",
            assertion,
            onToken: (token) => Effect.sync(() => tokens.push(token)),
            cache: undefined
          })
        )
        const ok = yield* client.get(`${oidc.issuer}/.well-known/openid-configuration`)
        expect(ok.status).toBe(200)
        expect([made, tokens.length, seen.assertions[0]?.sub]).toEqual([1, 1, "bob"])
        // a second auth: a fresh token request, with an assertion signed by a key the server does not trust
        const second = yield* HttpAuth.client(
          OAuth2.jwtBearer({
            tokenUrl: oidc.tokenUrl,
            clientId: "bearer-app",
            clientSecret: "bearer-secret",
            assertion
          })
        )
        const error = yield* Effect.flip(second.get(`${oidc.issuer}/.well-known/openid-configuration`))
        expect(error._tag).toBe("OAuth2Error")
        const oauth = error as AuthError.OAuth2Error
        expect([oauth.error, oauth.status, oauth.errorDescription]).toEqual([
          "invalid_grant",
          400,
          "grant request is invalid"
        ])
        expect(made).toBe(2)
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("the assertion's options are checked when the auth is built", () =>
    Effect.gen(function* () {
      const pem = robot.privateKey.export({ format: "pem", type: "pkcs8" }).toString()
      const build = (assertion: OAuth2.Assertion) =>
        Effect.flip(OAuth2.jwtBearer({ tokenUrl: "https://issuer.test/token", assertion }))
      const cases = [
        [{ issuer: "", privateKey: pem }, "assertion.issuer"],
        [{ issuer: "a", privateKey: "nope" }, "assertion.privateKey"],
        [{ issuer: "a", privateKey: pem, algorithm: "ES256" }, "algorithm"],
        [{ issuer: "a", privateKey: pem, claims: { exp: 1 } }, "assertion.claims"],
        [{ issuer: "a", privateKey: pem, lifetime: "2 hours" }, "assertion.lifetime"]
      ] as const
      for (const [assertion, option] of cases) {
        const error = yield* build(assertion as OAuth2.Assertion)
        expect([error._tag, error.option]).toEqual(["InvalidOptions", option])
        expect(error.message).not.toContain(pem.split("\n")[1])
      }
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})

describe("OAuth2.tokenExchange against oidc-provider", () => {
  it.live("a subject token from an Effect is exchanged (private_key_jwt client); issued_token_type is kept", () =>
    Effect.gen(function* () {
      const { oidc, api, seen } = yield* servers
      let reads = 0
      const tokens: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.tokenExchange({
          tokenUrl: oidc.tokenUrl,
          subjectToken: Effect.flatMap(
            Effect.sync(() => reads++),
            () => idToken("carol")
          ),
          subjectTokenType: OAuth2.tokenTypes.jwt,
          requestedTokenType: OAuth2.tokenTypes.accessToken,
          audience: "backend",
          scope: "api:read",
          clientAuth: ClientAuth.privateKeyJwt("exchanger", app.privateKey, { keyId: "app" }),
          onToken: (token) => Effect.sync(() => tokens.push(token))
        })
      )
      const response = yield* client.get(`${api.origin}/me`)
      expect(yield* response.json).toEqual({ client: "exchanger", sub: "carol" })
      expect(reads).toBe(1)
      const params = seen.exchanges[0]!
      expect(
        Object.keys(params)
          .filter((k) => params[k] !== undefined)
          .sort()
      ).toEqual([
        "audience",
        "client_assertion",
        "client_assertion_type",
        "client_id",
        "grant_type",
        "requested_token_type",
        "scope",
        "subject_token",
        "subject_token_type"
      ])
      expect([params.audience, params.subject_token_type, params.requested_token_type]).toEqual([
        "backend",
        OAuth2.tokenTypes.jwt,
        OAuth2.tokenTypes.accessToken
      ])
      expect(tokens[0]!.fields.issued_token_type).toBe(OAuth2.tokenTypes.accessToken)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("a subject token the server does not trust is its invalid_grant; a Redacted string works too", () =>
    Effect.gen(function* () {
      const { oidc } = yield* servers
      const forged = yield* Effect.promise(() =>
        new SignJWT({ sub: "mallory" }).setProtectedHeader({ alg: "ES256" }).sign(app.privateKey)
      )
      const client = yield* HttpAuth.client(
        OAuth2.tokenExchange({
          tokenUrl: oidc.tokenUrl,
          subjectToken: Redacted.make(forged),
          subjectTokenType: OAuth2.tokenTypes.jwt,
          clientAuth: ClientAuth.privateKeyJwt("exchanger", app.privateKey, { keyId: "app" })
        })
      )
      const error = yield* Effect.flip(client.get(`${oidc.issuer}/.well-known/openid-configuration`))
      expect(error._tag).toBe("OAuth2Error")
      expect((error as AuthError.OAuth2Error).error).toBe("invalid_grant")
      expect(JSON.stringify(error)).not.toContain(forged)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("delegation: an actor token and its type go with the subject's (RFC 8693 section 2.1)", () =>
    Effect.gen(function* () {
      const { oidc, api, seen } = yield* servers
      const actor = yield* idToken("service-b")
      const client = yield* HttpAuth.client(
        OAuth2.tokenExchange({
          tokenUrl: oidc.tokenUrl,
          subjectToken: idToken("dave"),
          subjectTokenType: OAuth2.tokenTypes.jwt,
          actorToken: Redacted.make(actor),
          actorTokenType: OAuth2.tokenTypes.jwt,
          resource: "https://api.example/orders",
          clientAuth: ClientAuth.privateKeyJwt("exchanger", app.privateKey, { keyId: "app" })
        })
      )
      const response = yield* client.get(`${api.origin}/me`)
      expect(yield* response.json).toEqual({ client: "exchanger", sub: "dave" })
      const params = seen.exchanges[0]!
      expect([params.actor_token, params.actor_token_type]).toEqual([actor, OAuth2.tokenTypes.jwt])
      expect(params.subject_token).not.toBe(actor)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect(
    "options: a token type must be a URI, an actor token needs its type, tokenParams cannot set the grant's",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(0)
        const base = {
          tokenUrl: "https://issuer.test/token",
          subjectToken: "t",
          subjectTokenType: OAuth2.tokenTypes.jwt
        }
        const cases = [
          [{ ...base, subjectTokenType: "jwt" }, "subjectTokenType"],
          [{ ...base, actorToken: "a" }, "actorTokenType"],
          [{ ...base, actorTokenType: OAuth2.tokenTypes.jwt }, "actorToken"],
          [{ ...base, subjectToken: "" }, "subjectToken"],
          [{ ...base, resource: "not a url" }, "resource"],
          [{ ...base, tokenParams: { subject_token: "x" } }, "tokenParams"]
        ] as const
        for (const [options, option] of cases) {
          const error = yield* Effect.flip(OAuth2.tokenExchange(options as OAuth2.TokenExchangeOptions))
          expect([error._tag, error.option]).toEqual(["InvalidOptions", option])
        }
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
