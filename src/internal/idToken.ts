/**
 * id_token validation (OpenID Connect Core 1.0 section 3.1.3.7, 3.2.2.11,
 * 3.3.2.12) with jose: the signature against the issuer's JWKS (fetched
 * through the `HttpClient`, kept by the `Discovery` service in context and
 * fetched once more on an unknown `kid`), `iss`, `aud` and `azp`, `exp` and
 * `iat` with a leeway, `nonce`, `at_hash` and `c_hash` (required where the
 * response type says so).
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
import { checkIssuer, fetchJwks } from "./discovery.js"
import { validateDuration } from "./oauth2Options.js"
import { jose } from "./jose.js"
import { invalid, resolveText } from "./options.js"

const fail = (reason: string): Effect.Effect<never, InvalidToken> =>
  Effect.fail(new InvalidToken({ reason: `id_token: ${reason}` }))

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
    // the service keeps the JWKS for the program; without one, each validation reads it
    const load = (stale?: JSONWebKeySet) =>
      Option.isSome(service) ? service.value.jwks(jwksUrl, issuer, stale) : fetchJwks(http, jwksUrl, issuer)
    const first = yield* load()
    // a key rotated since: the JWKS is fetched once more on an unknown kid (OpenID Connect Core section 10.1.1)
    const verified = yield* verify(first).pipe(
      Effect.catchIf(
        (error) => error instanceof errors.JWKSNoMatchingKey,
        () => Effect.flatMap(load(first), verify)
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
    // OpenID Connect Core 3.2.2.10, 3.3.2.11: from the authorization endpoint, at_hash goes with a token, c_hash with a code
    const responseTypes = (options.responseType ?? "").split(" ")
    const hashes = [
      { claim: "at_hash", value: options.accessToken, of: "access token", required: responseTypes.includes("token") },
      { claim: "c_hash", value: options.code, of: "authorization code", required: responseTypes.includes("code") }
    ] as const
    for (const { claim, value, of, required } of hashes) {
      const option = claim === "at_hash" ? "accessToken" : "code"
      if (required && value === undefined) {
        return yield* Effect.fail(invalid(scheme, option, `is needed with responseType "${options.responseType}"`))
      }
      const got = claims[claim]
      if (got === undefined) {
        if (!required) continue
        const section = claim === "at_hash" && !responseTypes.includes("code") ? "3.2.2.10" : "3.3.2.11"
        return yield* fail(
          `it has no ${claim}, required with response_type "${options.responseType}" (OpenID Connect Core section ${section})`
        )
      }
      if (value !== undefined && got !== halfHash(alg, typeof value === "string" ? value : Redacted.value(value))) {
        return yield* fail(`${claim} does not match the ${of}`)
      }
    }
    return claims
  })
