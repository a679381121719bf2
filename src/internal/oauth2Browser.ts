/**
 * The browser grants on the token engine: authorization code (RFC 6749
 * section 4.1), with PKCE (RFC 7636), and implicit (section 4.2, and
 * OpenID Connect's `id_token`). Re-exported by `OAuth2`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type AuthError, InvalidToken } from "../AuthError.js"
import * as Browser from "../Browser.js"
import * as ClientAuth from "../ClientAuth.js"
import type * as HttpAuth from "../HttpAuth.js"
import type { AuthorizationCodeOptions, BrowserGrantOptions, ImplicitOptions } from "../OAuth2.js"
import * as RedirectListener from "../RedirectListener.js"
import * as SecureRandom from "../SecureRandom.js"
import * as Token from "../Token.js"
import * as TokenEndpoint from "../TokenEndpoint.js"
import * as engine from "./oauth2Engine.js"
import { engineOptions as sharedEngineOptions, validateMethod } from "./oauth2Grant.js"
import { cacheKey, validateDuration, validateNonEmpty, validateScope, validateUrl } from "./oauth2Options.js"
import { invalid, resolveSecret, resolveText } from "./options.js"
import * as pkce from "./pkce.js"

const reservedAuthorization = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "state",
  "scope",
  "code_challenge",
  "code_challenge_method",
  "nonce"
])
const reservedToken = new Set(["grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"])

const checkParams = (
  params: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
  scheme: string,
  option: string
) => {
  for (const name of Object.keys(params ?? {})) {
    if (reserved.has(name)) {
      return Effect.fail(invalid(scheme, option, `must not set ${name}: the grant sets it`))
    }
  }
  return Effect.succeed(params ?? {})
}

/** The authorization URL with the request's parameters added to any it has. */
const authorizationRequest = (base: string, params: Readonly<Record<string, string | undefined>>) => {
  const url = new URL(base)
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value)
  return url.toString()
}

/** What every browser grant checks and captures when it is built. */
const browserCommon = (scheme: string, options: BrowserGrantOptions) =>
  Effect.gen(function* () {
    const authorizationUrl = yield* Effect.flatMap(
      resolveText(options.authorizationUrl, scheme, "authorizationUrl"),
      (url) => validateUrl(url, scheme, "authorizationUrl")
    )
    const extraParams = yield* checkParams(options.extraParams, reservedAuthorization, scheme, "extraParams")
    const clientId =
      options.clientId === undefined
        ? undefined
        : yield* Effect.flatMap(resolveText(options.clientId, scheme, "clientId"), (id) =>
            validateNonEmpty(id, scheme, "clientId")
          )
    const scope = yield* validateScope(options.scope, scheme)
    const listener = yield* RedirectListener.make(options, scheme)
    // The browser and the randomness of the program that builds the auth,
    // whatever fiber later finds the token missing.
    const browser = yield* Browser.Browser
    const random = yield* SecureRandom.SecureRandom
    const authorize = (authorization: RedirectListener.Authorization) =>
      listener
        .authorize(authorization)
        .pipe(Effect.provideService(Browser.Browser, browser), Effect.provideService(SecureRandom.SecureRandom, random))
    const engineOptions = { ...sharedEngineOptions(options), scheme }
    /** The authorization request (RFC 6749 4.1.1, 4.2.1): extra, common, then the grant's own parameters. */
    const authorizationRequestUrl = (
      responseType: string,
      redirect: { readonly redirectUri: string; readonly state: string },
      own: Readonly<Record<string, string | undefined>>
    ) =>
      authorizationRequest(authorizationUrl, {
        ...extraParams,
        response_type: responseType,
        client_id: clientId,
        redirect_uri: redirect.redirectUri,
        scope,
        state: redirect.state,
        ...own
      })
    return { authorizationUrl, extraParams, clientId, scope, authorizationRequestUrl, authorize, random, engineOptions }
  })

/** The authorization code grant, with PKCE when `verifierLength` is given. */
export const authorizationCodeGrant = (
  scheme: string,
  options: AuthorizationCodeOptions,
  verifierLength: number | undefined
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const common = yield* browserCommon(scheme, options)
    const tokenUrl = yield* Effect.flatMap(resolveText(options.tokenUrl, scheme, "tokenUrl"), (url) =>
      validateUrl(url, scheme, "tokenUrl")
    )
    const clientSecret =
      options.clientSecret === undefined
        ? undefined
        : yield* resolveSecret(options.clientSecret, scheme, "clientSecret")
    if (clientSecret !== undefined && common.clientId === undefined) {
      return yield* Effect.fail(invalid(scheme, "clientId", "is needed with a clientSecret"))
    }
    const method = yield* validateMethod(
      options.clientAuth ?? (clientSecret === undefined ? "none" : "client_secret_basic"),
      scheme
    )
    const clientAuth =
      common.clientId === undefined ? undefined : ClientAuth.fromMethod(method, common.clientId, clientSecret)
    const responseType = yield* validateNonEmpty(options.responseType ?? "code", scheme, "responseType")
    const codeField = yield* validateNonEmpty(options.codeField ?? "code", scheme, "codeField")
    const tokenField = yield* validateNonEmpty(options.tokenField ?? "access_token", scheme, "tokenField")
    const tokenParams = yield* checkParams(options.tokenParams, reservedToken, scheme, "tokenParams")
    const tokenTimeout = yield* validateDuration(options.tokenTimeout, "60 seconds", scheme, "tokenTimeout", {
      positive: true
    })
    const defaultLifetime = yield* validateDuration(options.defaultLifetime, "1 hour", scheme, "defaultLifetime")
    if (
      verifierLength !== undefined &&
      (!Number.isInteger(verifierLength) ||
        verifierLength < pkce.minVerifierLength ||
        verifierLength > pkce.maxVerifierLength)
    ) {
      return yield* Effect.fail(
        invalid(
          scheme,
          "codeVerifierLength",
          `must be a whole number from 43 to 128 (RFC 7636 section 4.1), not ${verifierLength}`
        )
      )
    }
    const client = yield* HttpClient.HttpClient
    const request = (params: Readonly<Record<string, string>>) =>
      TokenEndpoint.request(client, {
        tokenUrl,
        params,
        clientAuth,
        tokenField,
        timeout: tokenTimeout,
        defaultLifetime,
        retry: options.retry
      })

    const grant = Effect.gen(function* () {
      const proof =
        verifierLength === undefined
          ? undefined
          : yield* pkce.pair(verifierLength).pipe(Effect.provideService(SecureRandom.SecureRandom, common.random))
      const received = yield* common.authorize({
        grantField: codeField,
        url: (redirect) =>
          common.authorizationRequestUrl(responseType, redirect, {
            code_challenge: proof?.challenge,
            code_challenge_method: proof?.method
          })
      })
      // RFC 6749 section 4.1.3: the same redirect_uri as in the authorization request
      return yield* request({
        ...tokenParams,
        grant_type: "authorization_code",
        code: Redacted.value(received.grant),
        redirect_uri: received.redirectUri,
        ...(proof === undefined ? {} : { code_verifier: proof.verifier })
      })
    })

    const grantName = verifierLength === undefined ? "authorization_code" : "authorization_code_pkce"
    return yield* engine.make({
      ...common.engineOptions,
      // Not the redirect URI: a token does not depend on the port it came through.
      cacheKey: cacheKey({
        grant: grantName,
        tokenUrl,
        clientId: common.clientId,
        clientSecret,
        scope: common.scope,
        params: {
          authorizationUrl: common.authorizationUrl,
          responseType,
          tokenField,
          ...Object.fromEntries(Object.entries(common.extraParams).map(([k, v]) => [`authorization:${k}`, v])),
          ...Object.fromEntries(Object.entries(tokenParams).map(([k, v]) => [`token:${k}`, v]))
        }
      }),
      grant,
      // RFC 6749 section 6: a refresh token spares the person another login
      refresh: (expired) =>
        expired.refreshToken === undefined
          ? grant
          : request({
              ...tokenParams,
              grant_type: "refresh_token",
              refresh_token: Redacted.value(expired.refreshToken)
            })
    })
  })

const jwtClaims = (jwt: string): Record<string, unknown> | undefined => {
  const parts = jwt.split(".")
  if (parts.length !== 3) return undefined
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** OpenID Connect Core section 3.2.2.11: the id_token's nonce is the one sent. */
const checkNonce = (idToken: string, nonce: string) => {
  const claims = jwtClaims(idToken)
  if (claims === undefined) {
    return Effect.fail(new InvalidToken({ reason: "the id_token is not a JWT whose claims can be read" }))
  }
  return claims.nonce === nonce
    ? Effect.void
    : Effect.fail(
        new InvalidToken({
          reason:
            claims.nonce === undefined
              ? "the id_token has no nonce claim, while one was sent (OpenID Connect Core section 3.2.2.11)"
              : "the id_token's nonce is not the one sent: a replayed token? (OpenID Connect Core section 3.2.2.11)"
        })
      )
}

/** The implicit grant. */
export const implicitGrant = (scheme: string, options: ImplicitOptions): Effect.Effect<HttpAuth.HttpAuth, AuthError> =>
  Effect.gen(function* () {
    const common = yield* browserCommon(scheme, options)
    const responseType = yield* validateNonEmpty(options.responseType ?? "token", scheme, "responseType")
    const types = responseType.split(" ")
    const tokenField = yield* validateNonEmpty(
      options.tokenField ?? (types.includes("token") ? "access_token" : "id_token"),
      scheme,
      "tokenField"
    )
    const defaultLifetime = yield* validateDuration(options.defaultLifetime, "1 hour", scheme, "defaultLifetime")
    const wantsIdToken = types.includes("id_token")
    if (options.nonce !== undefined) yield* validateNonEmpty(options.nonce, scheme, "nonce")

    const grant = Effect.gen(function* () {
      const nonce = wantsIdToken
        ? (options.nonce ??
          (yield* SecureRandom.token(32).pipe(Effect.provideService(SecureRandom.SecureRandom, common.random))))
        : options.nonce
      const received = yield* common.authorize({
        grantField: tokenField,
        url: (redirect) => common.authorizationRequestUrl(responseType, redirect, { nonce })
      })
      const fields: Record<string, string> = { ...received.fields, [tokenField]: Redacted.value(received.grant) }
      const idToken = fields.id_token
      if (idToken !== undefined && nonce !== undefined) yield* checkNonce(idToken, nonce)
      const now = yield* Clock.currentTimeMillis
      // Expiry from expires_in when the redirect has it, else the JWT's exp.
      return Token.fromResponse(fields, now, { tokenField, defaultLifetime })
    })

    return yield* engine.make({
      ...common.engineOptions,
      cacheKey: cacheKey({
        grant: "implicit",
        tokenUrl: common.authorizationUrl,
        clientId: common.clientId,
        scope: common.scope,
        params: {
          responseType,
          tokenField,
          ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
          ...common.extraParams
        }
      }),
      grant
    })
  })
