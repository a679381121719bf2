/**
 * id_token validation (OpenID Connect Core 1.0 section 3.1.3.7, 3.2.2.11,
 * 3.3.2.12) with jose: the signature against the issuer's JWKS (fetched
 * through the `HttpClient`, once more on an unknown `kid`), `iss`, `aud`
 * and `azp`, `exp` and `iat` with a leeway, `nonce`, `at_hash` and `c_hash`.
 */
import { createHash } from "node:crypto"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { JSONWebKeySet, JWTPayload, JWTVerifyResult } from "jose"
import { type AuthError, DiscoveryError, InvalidToken } from "../AuthError.js"
import * as Discovery from "../Discovery.js"
import type { ValidateIdTokenOptions } from "../OAuth2.js"
import { checkIssuer, getDocument } from "./discovery.js"
import { validateDuration } from "./oauth2Options.js"
import { jose } from "./jose.js"
import { invalid, resolveText } from "./options.js"

const fail = (reason: string): Effect.Effect<never, InvalidToken> =>
  Effect.fail(new InvalidToken({ reason: `id_token: ${reason}` }))

/** The JWKS at `url`: a JSON object with a `keys` array. */
const fetchJwks = (http: HttpClient.HttpClient, url: string, issuer: string) =>
  Effect.flatMap(getDocument(http, url, Duration.seconds(30), 1024 * 1024, issuer), (document) => {
    const json = document._tag === "Found" ? (document.json as { keys?: unknown }) : undefined
    return json !== undefined && json !== null && Array.isArray(json.keys)
      ? Effect.succeed(json as JSONWebKeySet)
      : Effect.fail(
          new DiscoveryError({
            issuer,
            reason: `${url} is no JWKS${document._tag === "Missing" ? ` (${document.reason})` : ""}`
          })
        )
  })

/** OpenID Connect Core section 3.1.3.6: the left half of the hash of the value, base64url; the hash of the JWS alg. */
export const halfHash = (alg: string, value: string) => {
  const bits = /(\d{3})$/.exec(alg)?.[1] ?? "256"
  const hash = bits === "384" ? "sha384" : bits === "512" ? "sha512" : "sha256"
  const digest = createHash(hash).update(value).digest()
  return digest.subarray(0, digest.length / 2).toString("base64url")
}

export const validate = (
  idToken: string | Redacted.Redacted<string>,
  options: ValidateIdTokenOptions
): Effect.Effect<JWTPayload, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify } = yield* jose
    const scheme = "OAuth2.validateIdToken"
    const token = typeof idToken === "string" ? idToken : Redacted.value(idToken)
    const issuer = yield* resolveText(options.issuer, scheme, "issuer")
    const reason = checkIssuer(issuer)
    if (reason !== undefined) return yield* Effect.fail(invalid(scheme, "issuer", reason))
    const clientId = yield* resolveText(options.clientId, scheme, "clientId")
    const leeway = yield* validateDuration(options.leeway, "30 seconds", scheme, "leeway")
    const http = yield* HttpClient.HttpClient
    const service = yield* Effect.serviceOption(Discovery.Discovery)
    const jwksUrl =
      options.jwksUrl !== undefined
        ? yield* resolveText(options.jwksUrl, scheme, "jwksUrl")
        : yield* Effect.flatMap(
            Option.isSome(service) ? service.value.get(issuer) : Discovery.fetch(http, issuer),
            (metadata) =>
              metadata.jwks_uri === undefined
                ? Effect.fail(new DiscoveryError({ issuer, reason: "its metadata has no jwks_uri: give jwksUrl" }))
                : Effect.succeed(metadata.jwks_uri)
          )
    let header: { alg?: string; kid?: string }
    try {
      header = decodeProtectedHeader(token)
    } catch {
      return yield* fail("not a JWS (its header cannot be decoded)")
    }
    const now = yield* Clock.currentTimeMillis
    const verify = (jwks: JSONWebKeySet): Effect.Effect<JWTVerifyResult, unknown> =>
      Effect.tryPromise({
        try: () =>
          jwtVerify(token, createLocalJWKSet(jwks), {
            issuer,
            audience: clientId,
            clockTolerance: Duration.toSeconds(leeway),
            currentDate: new Date(now),
            requiredClaims: ["iss", "sub", "aud", "exp", "iat"]
          }),
        catch: (error) => error
      })
    const reasonOf = (error: unknown): string => {
      if (error instanceof errors.JWKSNoMatchingKey)
        return `no key of the issuer's JWKS matches its kid ${JSON.stringify(header.kid ?? null)}`
      if (error instanceof errors.JWSSignatureVerificationFailed)
        return "the signature does not verify with the issuer's key"
      if (error instanceof errors.JWTExpired) return "it expired (exp)"
      if (error instanceof errors.JWTClaimValidationFailed) {
        return `claim ${error.claim} check failed (${error.reason}): ${error.message}`
      }
      if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
        return `its algorithm ${JSON.stringify(header.alg ?? null)} is not supported`
      }
      return error instanceof Error ? error.message : "it could not be verified"
    }
    const first = yield* fetchJwks(http, jwksUrl, issuer)
    // a key rotated since: the JWKS is fetched once more on an unknown kid (OpenID Connect Core section 10.1.1)
    const verified = yield* verify(first).pipe(
      Effect.catchIf(
        (error) => error instanceof errors.JWKSNoMatchingKey,
        () => Effect.flatMap(fetchJwks(http, jwksUrl, issuer), verify)
      ),
      Effect.catchAll(
        (error): Effect.Effect<never, DiscoveryError | InvalidToken> =>
          error instanceof DiscoveryError ? Effect.fail(error) : fail(reasonOf(error))
      )
    )
    const claims = verified.payload
    // section 3.1.3.7 items 4 and 5: with several audiences, azp must be there and be the client
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp === undefined) {
      return yield* fail("it has several audiences and no azp")
    }
    if (claims.azp !== undefined && claims.azp !== clientId) {
      return yield* fail(`azp is ${JSON.stringify(claims.azp)}, not this client`)
    }
    if (options.nonce !== undefined && claims.nonce !== options.nonce) {
      return yield* fail("its nonce is not the one sent with the authorization request")
    }
    const alg = verified.protectedHeader.alg
    if (options.accessToken !== undefined && claims.at_hash !== undefined) {
      const accessToken =
        typeof options.accessToken === "string" ? options.accessToken : Redacted.value(options.accessToken)
      if (claims.at_hash !== halfHash(alg, accessToken)) return yield* fail("at_hash does not match the access token")
    }
    if (options.code !== undefined && claims.c_hash !== undefined && claims.c_hash !== halfHash(alg, options.code)) {
      return yield* fail("c_hash does not match the authorization code")
    }
    return claims
  })
