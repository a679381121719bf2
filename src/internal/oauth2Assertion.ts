/**
 * The grants that trade a token for a token: the JWT bearer grant
 * (RFC 7523 section 2.1) and token exchange (RFC 8693 section 2.1). Both run
 * on the one options core (oauth2Grant.ts) and the one engine.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { AuthError, InvalidOptions } from "../AuthError.js"
import type * as HttpAuth from "../HttpAuth.js"
import type { JwtBearerOptions, TokenExchangeOptions } from "../OAuth2.js"
import * as SecureRandom from "../SecureRandom.js"
import * as jwt from "./jwt.js"
import * as engine from "./oauth2Engine.js"
import * as grants from "./oauth2Grant.js"
import { validateNonEmpty, validateUrl } from "./oauth2Options.js"
import { invalid, resolveSecret, resolveText, type SecretInput, type TextInput } from "./options.js"

/** RFC 7523 section 2.1 */
export const jwtBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
/** RFC 8693 section 2.1 */
export const tokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange"

/** Claims the signer sets: an assertion's `claims` cannot set them. */
const reservedClaims = new Set(["iss", "sub", "aud", "iat", "exp", "jti"])

const text = (scheme: string, option: string, input: TextInput) =>
  Effect.flatMap(resolveText(input, scheme, option), (value) => validateNonEmpty(value, scheme, option))

/**
 * A per-auth id for the cache key of a grant whose input is an `Effect`:
 * what it gives is unknown until a token request, so two such auths never
 * share a token.
 */
const effectKey = SecureRandom.token(16)

/** A signed assertion's maker, checked when the auth is built; its cache-key parts. */
export const assertionMaker = (
  scheme: string,
  option: string,
  assertion: JwtBearerOptions["assertion"],
  tokenUrl: string,
  limits: {
    readonly lifetime: Duration.DurationInput
    readonly maxLifetime: Duration.DurationInput
    /** Google: `sub` only for domain-wide delegation, not the issuer by default. */
    readonly subjectOptional?: boolean | undefined
  }
): Effect.Effect<
  { readonly make: Effect.Effect<string, AuthError>; readonly key: Readonly<Record<string, string>> },
  InvalidOptions
> =>
  Effect.gen(function* () {
    if (Effect.isEffect(assertion)) {
      return { make: assertion, key: { assertion: `effect:${yield* effectKey}` } }
    }
    const issuer = yield* text(scheme, `${option}.issuer`, assertion.issuer)
    const subject =
      assertion.subject !== undefined
        ? yield* text(scheme, `${option}.subject`, assertion.subject)
        : limits.subjectOptional
          ? undefined
          : issuer
    const audience =
      assertion.audience === undefined
        ? tokenUrl
        : typeof assertion.audience === "string" || !Array.isArray(assertion.audience)
          ? yield* text(scheme, `${option}.audience`, assertion.audience as TextInput)
          : (assertion.audience as ReadonlyArray<string>)
    for (const name of Object.keys(assertion.claims ?? {})) {
      if (reservedClaims.has(name)) {
        return yield* Effect.fail(invalid(scheme, `${option}.claims`, `must not set ${name}: the grant sets it`))
      }
    }
    const lifetime = yield* jwt.validateLifetime(
      assertion.lifetime,
      limits.lifetime,
      limits.maxLifetime,
      scheme,
      `${option}.lifetime`
    )
    const key = yield* jwt.importPrivateKey(scheme, `${option}.privateKey`, assertion.privateKey, {
      algorithm: assertion.algorithm,
      keyId: assertion.keyId
    })
    const claims = {
      ...assertion.claims,
      iss: issuer,
      ...(subject === undefined ? {} : { sub: subject }),
      aud: audience
    }
    return {
      make: jwt.sign(scheme, key, claims, lifetime),
      key: {
        iss: issuer,
        sub: subject ?? "-",
        aud: JSON.stringify(audience),
        kid: key.keyId ?? "-",
        claims: JSON.stringify(assertion.claims ?? {})
      }
    }
  })

export const jwtBearer = (
  scheme: string,
  options: JwtBearerOptions,
  settings?: { readonly subjectOptional?: boolean; readonly option?: string }
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const endpoint = yield* grants.endpoint(scheme, options, { clientId: false, clientSecret: false })
    const assertion = yield* assertionMaker(
      scheme,
      settings?.option ?? "assertion",
      options.assertion,
      endpoint.tokenUrl,
      { lifetime: "5 minutes", maxLifetime: "1 hour", subjectOptional: settings?.subjectOptional }
    )
    const scope = endpoint.scope === undefined ? {} : { scope: endpoint.scope }
    return yield* engine.make(scheme, {
      ...grants.engineOptions(options, endpoint.dpop),
      cacheKey: endpoint.cacheKey(jwtBearerGrantType, assertion.key),
      // a fresh assertion for each token request: servers refuse a replayed one
      grant: Effect.flatMap(assertion.make, (signed) =>
        endpoint.request({ grant_type: jwtBearerGrantType, assertion: signed, ...scope })
      ),
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient(scheme, options))

/** RFC 8693 section 3: the registered token type identifiers (a URI of one's own is allowed too). */
export const tokenTypes = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  refreshToken: "urn:ietf:params:oauth:token-type:refresh_token",
  idToken: "urn:ietf:params:oauth:token-type:id_token",
  saml1: "urn:ietf:params:oauth:token-type:saml1",
  saml2: "urn:ietf:params:oauth:token-type:saml2",
  jwt: "urn:ietf:params:oauth:token-type:jwt"
} as const

const tokenSource = (
  scheme: string,
  option: string,
  input: TokenExchangeOptions["subjectToken"]
): Effect.Effect<
  { readonly get: Effect.Effect<string, AuthError>; readonly key: Readonly<Record<string, Redacted.Redacted<string>>> },
  InvalidOptions
> =>
  // a Config is an Effect too: it is read once, as a secret, when the auth is built
  Effect.isEffect(input) && !Config.isConfig(input)
    ? Effect.map(effectKey, (id) => ({
        get: input as Effect.Effect<string, AuthError>,
        key: { [option]: Redacted.make(`effect:${id}`) }
      }))
    : Effect.map(resolveSecret(input as SecretInput, scheme, option), (token) => ({
        get: Effect.succeed(Redacted.value(token)),
        key: { [option]: token }
      }))

const tokenType = (scheme: string, option: string, value: string) =>
  Effect.flatMap(validateNonEmpty(value, scheme, option), (type) =>
    // RFC 8693 section 3: a URI
    /^[A-Za-z][A-Za-z0-9+.-]*:/.test(type)
      ? Effect.succeed(type)
      : Effect.fail(invalid(scheme, option, `must be a token type URI, such as ${tokenTypes.accessToken}`))
  )

export const tokenExchange = (
  scheme: string,
  options: TokenExchangeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const endpoint = yield* grants.endpoint(scheme, options, { clientId: false, clientSecret: false })
    const subject = yield* tokenSource(scheme, "subjectToken", options.subjectToken)
    const subjectTokenType = yield* tokenType(scheme, "subjectTokenType", options.subjectTokenType)
    const actor =
      options.actorToken === undefined ? undefined : yield* tokenSource(scheme, "actorToken", options.actorToken)
    // RFC 8693 section 2.1: actor_token_type is REQUIRED with actor_token, and must not come without it
    if (actor !== undefined && options.actorTokenType === undefined) {
      return yield* Effect.fail(
        invalid(scheme, "actorTokenType", "is needed with an actorToken (RFC 8693 section 2.1)")
      )
    }
    if (actor === undefined && options.actorTokenType !== undefined) {
      return yield* Effect.fail(
        invalid(scheme, "actorToken", "is missing: actorTokenType goes with one (RFC 8693 section 2.1)")
      )
    }
    const actorTokenType =
      options.actorTokenType === undefined
        ? undefined
        : yield* tokenType(scheme, "actorTokenType", options.actorTokenType)
    const requestedTokenType =
      options.requestedTokenType === undefined
        ? undefined
        : yield* tokenType(scheme, "requestedTokenType", options.requestedTokenType)
    const audience = options.audience === undefined ? undefined : yield* text(scheme, "audience", options.audience)
    const resource =
      options.resource === undefined
        ? undefined
        : yield* Effect.flatMap(text(scheme, "resource", options.resource), (url) =>
            validateUrl(url, scheme, "resource")
          )
    const fixed: Record<string, string> = {
      grant_type: tokenExchangeGrantType,
      subject_token_type: subjectTokenType,
      ...(actorTokenType === undefined ? {} : { actor_token_type: actorTokenType }),
      ...(requestedTokenType === undefined ? {} : { requested_token_type: requestedTokenType }),
      ...(audience === undefined ? {} : { audience }),
      ...(resource === undefined ? {} : { resource }),
      ...(endpoint.scope === undefined ? {} : { scope: endpoint.scope })
    }
    const { grant_type: _, ...keyParams } = fixed
    return yield* engine.make(scheme, {
      ...grants.engineOptions(options, endpoint.dpop),
      cacheKey: endpoint.cacheKey(tokenExchangeGrantType, keyParams, { ...subject.key, ...actor?.key }),
      // the subject token is read for each token request: a token that another auth renews, a file that rotates
      grant: Effect.gen(function* () {
        const subjectToken = yield* subject.get
        const actorToken = actor === undefined ? undefined : yield* actor.get
        return yield* endpoint.request({
          ...fixed,
          subject_token: subjectToken,
          ...(actorToken === undefined ? {} : { actor_token: actorToken })
        })
      }),
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient(scheme, options))
