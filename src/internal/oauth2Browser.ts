/**
 * The browser grants on the token engine: authorization code (RFC 6749
 * section 4.1), with PKCE (RFC 7636), and implicit (section 4.2, and
 * OpenID Connect's `id_token`). Re-exported by `OAuth2`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { type AuthError, InvalidToken } from "../AuthError.js"
import * as Browser from "../Browser.js"
import * as Discovery from "../Discovery.js"
import type * as HttpAuth from "../HttpAuth.js"
import type { AuthorizationCodeOptions, BrowserGrantOptions, ImplicitOptions } from "../OAuth2.js"
import * as RedirectListener from "../RedirectListener.js"
import * as SecureRandom from "../SecureRandom.js"
import * as Token from "../Token.js"
import * as idTokens from "./idToken.js"
import * as engine from "./oauth2Engine.js"
import * as grants from "./oauth2Grant.js"
import { checkParams } from "./oauth2Grant.js"
import { cacheKey, validateDuration, validateNonEmpty, validateUrl } from "./oauth2Options.js"
import { invalid, resolveText } from "./options.js"
import * as pkce from "./pkce.js"

/** Parameters the grant sets on each authorization request, whatever the URL holds. */
const perAuthorization = new Set(["redirect_uri", "state", "code_challenge", "code_challenge_method"])
const reservedAuthorization = new Set([...perAuthorization, "response_type", "client_id", "scope", "nonce"])
/** What changes on every run: left out of a cache key, or a file cache would log in again on every start. */
const perRun = new Set(["state", "nonce"])

/**
 * The authorization request (RFC 6749 4.1.1, 4.2.1): the parameters already
 * in the authorization URL are kept (`response_type` included, as httpx-auth
 * does), except those the grant sets on each authorization.
 */
const authorizationRequest = (base: URL, params: Readonly<Record<string, string | undefined>>) => {
  const url = new URL(base)
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && (perAuthorization.has(name) || !url.searchParams.has(name))) {
      url.searchParams.set(name, value)
    }
  }
  return url.toString()
}

/**
 * What every browser grant (and another family's, such as OAuth 1.0a's)
 * checks and captures when it is built: the authorization endpoint and its
 * parameters, the redirect listener, and the browser and randomness of the
 * program that builds the auth, whatever fiber later finds the token missing.
 */
export const browserCommon = (scheme: string, options: BrowserGrantOptions, discovered?: string) =>
  Effect.gen(function* () {
    const authorizationUrl = new URL(
      options.authorizationUrl === undefined
        ? discovered === undefined
          ? yield* Effect.fail(invalid(scheme, "authorizationUrl", "is mandatory, unless issuer is given"))
          : discovered
        : yield* Effect.flatMap(resolveText(options.authorizationUrl, scheme, "authorizationUrl"), (url) =>
            validateUrl(url, scheme, "authorizationUrl")
          )
    )
    const authorizationParams = yield* checkParams(
      options.authorizationParams,
      reservedAuthorization,
      scheme,
      "authorizationParams"
    )
    const listener = yield* RedirectListener.makeFor(options, scheme)
    const browser = yield* Browser.Browser
    const random = yield* SecureRandom.SecureRandom
    const provide = <A, E>(effect: Effect.Effect<A, E, Browser.Browser | SecureRandom.SecureRandom>) =>
      effect.pipe(
        Effect.provideService(Browser.Browser, browser),
        Effect.provideService(SecureRandom.SecureRandom, random)
      )
    /** Opens the browser on the URL and waits for the redirect. */
    const authorize = (authorization: RedirectListener.Authorization) => provide(listener.authorize(authorization))
    /** A parameter as the authorization URL gives it, if it does. */
    const fromUrl = (name: string) => authorizationUrl.searchParams.get(name) ?? undefined
    /** The URL's `response_type` when it has one (as httpx-auth), else the option, else the grant's. */
    const responseType = (option: string | undefined, fallback: string) =>
      validateNonEmpty(fromUrl("response_type") ?? option ?? fallback, scheme, "responseType")
    /** The URL with the grant's parameters: the URL's own, then `authorizationParams`, then the grant's. */
    const requestUrl = (
      redirect: { readonly redirectUri: string; readonly state: string },
      own: Readonly<Record<string, string | undefined>>
    ) =>
      authorizationRequest(authorizationUrl, {
        ...authorizationParams,
        redirect_uri: redirect.redirectUri,
        state: redirect.state,
        ...own
      })
    /** The URL and its parameters for a cache key, without what changes on every run. */
    const keyParams = (): Record<string, string> => {
      const url = new URL(authorizationUrl)
      for (const name of perRun) url.searchParams.delete(name)
      return {
        authorizationUrl: url.toString(),
        ...Object.fromEntries(Object.entries(authorizationParams).map(([k, v]) => [`authorization:${k}`, v]))
      }
    }
    return { fromUrl, responseType, requestUrl, authorize, provide, keyParams }
  })

/** The authorization code grant, with PKCE when `verifierLength` is given. */
export const authorizationCodeGrant = (
  scheme: string,
  options: AuthorizationCodeOptions,
  verifierLength: number | undefined
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    // with an issuer, its metadata names the endpoints not given (read now: the authorization URL is checked when built)
    const located =
      options.authorizationUrl === undefined || options.tokenUrl === undefined
        ? yield* grants.issuer(scheme, options)
        : undefined
    const discovered =
      options.authorizationUrl === undefined && located !== undefined
        ? yield* located.endpoint("authorization_endpoint")
        : undefined
    const browser = yield* browserCommon(scheme, options, discovered)
    const endpoint = yield* grants.endpoint(scheme, options, { clientId: false, clientSecret: false }, located)
    const responseType = yield* browser.responseType(options.responseType, "code")
    const codeField = yield* validateNonEmpty(options.codeField ?? "code", scheme, "codeField")
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

    // OpenID Connect Core section 3.1.3.7: with an issuer (whose JWKS can be read) and openid asked, the id_token is validated
    const openId = located !== undefined && (endpoint.scope ?? "").split(" ").includes("openid")
    const http = yield* HttpClient.HttpClient

    const grant = Effect.gen(function* () {
      const proof = verifierLength === undefined ? undefined : yield* browser.provide(pkce.pair(verifierLength))
      const nonce = openId ? yield* browser.provide(SecureRandom.token(32)) : undefined
      const received = yield* browser.authorize({
        grantField: codeField,
        url: (redirect) =>
          browser.requestUrl(redirect, {
            response_type: responseType,
            client_id: endpoint.clientId,
            scope: endpoint.scope,
            nonce,
            code_challenge: proof?.challenge,
            code_challenge_method: proof?.method
          })
      })
      // RFC 6749 section 4.1.3: the same redirect_uri as in the authorization request
      const token = yield* endpoint.request({
        grant_type: "authorization_code",
        code: Redacted.value(received.grant),
        redirect_uri: received.redirectUri,
        ...(proof === undefined ? {} : { code_verifier: proof.verifier })
      })
      if (!openId || located === undefined || endpoint.clientId === undefined) return token
      if (token.idToken === undefined) {
        return yield* Effect.fail(
          new InvalidToken({ reason: "openid was asked, and the token response has no id_token" })
        )
      }
      const claims = yield* idTokens
        .validate(token.idToken, {
          issuer: located.issuer,
          clientId: endpoint.clientId,
          nonce,
          accessToken: token.accessToken,
          code: Redacted.value(received.grant)
        })
        .pipe(
          Effect.provideService(HttpClient.HttpClient, http),
          Effect.provideService(Discovery.Discovery, located.discovery)
        )
      // the decoded claims travel with the token
      return new Token.Token({ ...token, fields: { ...token.fields, id_token_claims: claims } })
    })

    return yield* engine.make(scheme, {
      ...grants.engineOptions(options),
      // Not the redirect URI: a token does not depend on the port it came through.
      cacheKey: endpoint.cacheKey(verifierLength === undefined ? "authorization_code" : "authorization_code_pkce", {
        ...browser.keyParams(),
        responseType,
        tokenField: endpoint.tokenField
      }),
      grant,
      // RFC 6749 section 6: a refresh token spares the person another login
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient(scheme, options))

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
export const implicitGrant = (
  scheme: string,
  options: ImplicitOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, Scope.Scope> =>
  Effect.gen(function* () {
    const browser = yield* browserCommon(scheme, options)
    const client = yield* grants.client(scheme, options, { clientId: false, clientSecret: false })
    // the URL's response_type, when it has one, decides the token field and the nonce
    const responseType = yield* browser.responseType(options.responseType, "token")
    const types = responseType.split(" ")
    const tokenField = yield* validateNonEmpty(
      options.tokenField ?? (types.includes("token") ? "access_token" : "id_token"),
      scheme,
      "tokenField"
    )
    const defaultLifetime = yield* validateDuration(options.defaultLifetime, "1 hour", scheme, "defaultLifetime")
    const wantsIdToken = types.includes("id_token")
    const givenNonce = browser.fromUrl("nonce") ?? options.nonce
    if (givenNonce !== undefined) yield* validateNonEmpty(givenNonce, scheme, "nonce")

    const grant = Effect.gen(function* () {
      const nonce = wantsIdToken ? (givenNonce ?? (yield* browser.provide(SecureRandom.token(32)))) : givenNonce
      const received = yield* browser.authorize({
        grantField: tokenField,
        url: (redirect) =>
          browser.requestUrl(redirect, {
            response_type: responseType,
            client_id: client.clientId,
            scope: client.scope,
            nonce
          })
      })
      const fields: Record<string, string> = { ...received.fields, [tokenField]: Redacted.value(received.grant) }
      const idToken = fields.id_token
      if (idToken !== undefined && nonce !== undefined) yield* checkNonce(idToken, nonce)
      const now = yield* Clock.currentTimeMillis
      // Expiry from expires_in when the redirect has it, else the JWT's exp.
      return Token.fromResponse(fields, now, { tokenField, defaultLifetime })
    })

    return yield* engine.make(scheme, {
      ...grants.engineOptions(options),
      // Not the nonce nor the state: they change on every run.
      cacheKey: cacheKey({
        grant: "implicit",
        tokenUrl: browser.keyParams().authorizationUrl!,
        clientId: client.clientId,
        scope: client.scope,
        params: { ...browser.keyParams(), responseType, tokenField }
      }),
      grant
    })
  })
