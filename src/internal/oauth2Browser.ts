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
import { type AuthError, type DiscoveryError, type InvalidOptions, InvalidToken, IssuerMismatch } from "../AuthError.js"
import * as Browser from "../Browser.js"
import * as Discovery from "../Discovery.js"
import type * as HttpAuth from "../HttpAuth.js"
import type {
  AuthorizationCodeOptions,
  BrowserGrantOptions,
  ImplicitOptions,
  ValidateIdTokenOptions
} from "../OAuth2.js"
import type * as RedirectListener from "../RedirectListener.js"
import { makeFor as makeListener } from "./redirectListener.js"
import * as SecureRandom from "../SecureRandom.js"
import * as Token from "../Token.js"
import * as idTokens from "./idToken.js"
import * as engine from "./oauth2Engine.js"
import * as grants from "./oauth2Grant.js"
import { checkParams } from "./oauth2Grant.js"
import { revokeOnClose } from "./oauth2Manage.js"
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
export const browserCommon = (scheme: string, options: BrowserGrantOptions, located: grants.Issuer | undefined) =>
  Effect.gen(function* () {
    // given, else the issuer's metadata (read now: the authorization URL is checked when the auth is built)
    const authorizationUrl = new URL(
      yield* Effect.flatten(
        grants.endpointUrl(scheme, options.authorizationUrl, "authorizationUrl", located, "authorization_endpoint")
      )
    )
    const authorizationParams = yield* checkParams(
      options.authorizationParams,
      reservedAuthorization,
      scheme,
      "authorizationParams"
    )
    const listener = yield* makeListener(options, scheme)
    const browser = yield* Browser.Browser
    const random = yield* SecureRandom.SecureRandom
    const provide = <A, E>(effect: Effect.Effect<A, E, Browser.Browser | SecureRandom.SecureRandom>) =>
      effect.pipe(
        Effect.provideService(Browser.Browser, browser),
        Effect.provideService(SecureRandom.SecureRandom, random)
      )
    /**
     * Opens the browser on the URL and waits for the redirect; with an issuer, the redirect's `iss` is
     * checked whether it brings a grant or an error (RFC 9207 section 2: the server sends it on both),
     * so that another server's error does not pass for this one's. A grant that validates the redirect's
     * id_token (`idTokenNamesIssuer`) takes one without `iss`: the id_token's `iss` claim names the issuer
     * (OpenID Connect Core 3.3.2.12; oidc-provider sends no `iss` beside an id_token).
     */
    const authorize = <E extends AuthError = never>(
      authorization: RedirectListener.Authorization<E>,
      idTokenNamesIssuer = false
    ) =>
      located === undefined
        ? provide(listener.authorize(authorization))
        : provide(listener.authorize(authorization)).pipe(
            Effect.tap((received) =>
              idTokenNamesIssuer &&
              received.fields.iss === undefined &&
              (received.fields.id_token !== undefined || authorization.grantField === "id_token")
                ? Effect.void
                : checkIss(located, received.fields.iss)
            ),
            Effect.tapErrorTag("OAuth2Error", (error) =>
              error.redirect === true ? checkIss(located, issOf(error.fields)) : Effect.void
            )
          )
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
    // with an issuer, its metadata names the endpoints not given
    const located = yield* grants.issuer(scheme, options)
    const browser = yield* browserCommon(scheme, options, located)
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

    // RFC 9207 and RFC 9126 read the issuer's metadata, even when both endpoints are given
    const pushed = yield* pushedAuthorization(scheme, options, located, grants.isMutualTls(endpoint.clientAuth))

    // section 3.3: a hybrid response type brings an id_token in the redirect too, which must be validated
    // (3.3.2.8), its c_hash binding the code (3.3.2.11): that takes the issuer's JWKS and the client id (aud)
    const hybrid = responseType.split(" ").includes("id_token")
    // OpenID Connect Core section 3.1.3.7: with an issuer (whose JWKS can be read) and openid asked (in the
    // option or the authorization URL's own scope), the token endpoint's id_token is validated; a hybrid
    // flow is OpenID Connect, and its token response has one too (3.3.3.3)
    const openId =
      located !== undefined &&
      (hybrid || (endpoint.scope ?? browser.fromUrl("scope") ?? "").split(" ").includes("openid"))
    // a nonce already in the authorization URL is the one sent, so it is the one expected (as the implicit grant)
    const givenNonce = browser.fromUrl("nonce")
    if (givenNonce !== undefined) yield* validateNonEmpty(givenNonce, scheme, "nonce")
    if (hybrid && located === undefined) {
      return yield* Effect.fail(
        invalid(scheme, "issuer", `is needed with responseType "${responseType}", to validate the redirect's id_token`)
      )
    }
    if (hybrid && endpoint.clientId === undefined) {
      return yield* Effect.fail(invalid(scheme, "clientId", "is needed with issuer, to check the id_token's aud"))
    }
    const http = yield* HttpClient.HttpClient

    const grant = Effect.gen(function* () {
      const proof = verifierLength === undefined ? undefined : yield* browser.provide(pkce.pair(verifierLength))
      // section 3.3.2.11: the nonce is required with an id_token in the redirect
      // (openId covers the hybrid flow: it is refused without an issuer when the auth is built)
      const nonce = openId ? (givenNonce ?? (yield* browser.provide(SecureRandom.token(32)))) : undefined
      const received = yield* browser.authorize(
        {
          grantField: codeField,
          url: (redirect) => {
            const url = browser.requestUrl(redirect, {
              response_type: responseType,
              client_id: endpoint.clientId,
              scope: endpoint.scope,
              nonce,
              code_challenge: proof?.challenge,
              code_challenge_method: proof?.method,
              // RFC 9449 section 10: the code is bound to the DPoP key
              dpop_jkt: endpoint.dpop?.jkt
            })
            return pushed === undefined ? url : push(pushed, url, endpoint)
          }
        },
        hybrid
      )
      // validated before the code goes anywhere: a forged or substituted code is never exchanged
      const fromRedirect =
        hybrid && located !== undefined && endpoint.clientId !== undefined
          ? yield* redirectIdToken(received, located, http, {
              clientId: endpoint.clientId,
              nonce,
              code: Redacted.value(received.grant),
              accessToken: received.fields.access_token,
              responseType
            })
          : undefined
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
      const claimed = yield* withIdTokenClaims(token, token.idToken, located, http, {
        clientId: endpoint.clientId,
        nonce,
        accessToken: token.accessToken,
        code: Redacted.value(received.grant)
      })
      // section 3.3.3.6: the token endpoint's id_token is of the same person as the redirect's
      const claims = claimed.fields.id_token_claims as { readonly sub?: unknown }
      return fromRedirect === undefined || claims.sub === fromRedirect.sub
        ? claimed
        : yield* Effect.fail(
            new InvalidToken({
              reason:
                "the token endpoint's id_token is of another sub than the authorization redirect's (OpenID Connect Core section 3.3.3.6)"
            })
          )
    })

    // Not the redirect URI: a token does not depend on the port it came through.
    const key = endpoint.cacheKey(verifierLength === undefined ? "authorization_code" : "authorization_code_pkce", {
      ...browser.keyParams(),
      responseType,
      tokenField: endpoint.tokenField
    })
    return yield* engine.make(scheme, {
      ...(yield* revokeOnClose(scheme, options, endpoint, located, key)),
      cacheKey: key,
      grant,
      // RFC 6749 section 6: a refresh token spares the person another login
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient(scheme, options))

/**
 * RFC 9126: the pushed authorization request's endpoint, or `undefined` when
 * the authorization goes by the browser alone. `"auto"` (the default) pushes
 * when the metadata requires it (`require_pushed_authorization_requests`) or
 * when `pushedAuthorizationUrl` is given.
 */
const pushedAuthorization = (
  scheme: string,
  options: AuthorizationCodeOptions,
  known: grants.Issuer | undefined,
  mtls: boolean
): Effect.Effect<Effect.Effect<string | undefined, DiscoveryError> | undefined, InvalidOptions> =>
  Effect.gen(function* () {
    const mode = options.pushedAuthorization ?? "auto"
    if (mode !== true && mode !== false && mode !== "auto") {
      return yield* Effect.fail(
        invalid(scheme, "pushedAuthorization", `must be true, false or "auto", not ${JSON.stringify(mode)}`)
      )
    }
    if (mode === false) return undefined
    if (options.pushedAuthorizationUrl !== undefined) {
      const url = yield* Effect.flatMap(
        resolveText(options.pushedAuthorizationUrl, scheme, "pushedAuthorizationUrl"),
        (url) => validateUrl(url, scheme, "pushedAuthorizationUrl")
      )
      return Effect.succeed(url)
    }
    if (known === undefined) {
      return mode === true
        ? yield* Effect.fail(
            invalid(
              scheme,
              "pushedAuthorizationUrl",
              "is needed with pushedAuthorization: true, unless issuer is given"
            )
          )
        : undefined
    }
    return Effect.flatMap(known.discovery.get(known.issuer), (metadata) =>
      mode === true || metadata.require_pushed_authorization_requests === true
        ? // RFC 8705 section 5: a client authenticating with its certificate pushes to the alias
          known.endpoint("pushed_authorization_request_endpoint", mtls)
        : Effect.succeed(undefined)
    )
  })

/**
 * RFC 9126 section 2: the authorization parameters go to the PAR endpoint
 * with the client's authentication; the browser gets only `client_id` and
 * the `request_uri` (section 4).
 */
const push = (
  at: Effect.Effect<string | undefined, DiscoveryError>,
  url: string,
  endpoint: grants.Endpoint
): Effect.Effect<string, AuthError> =>
  Effect.flatMap(at, (parUrl) => {
    if (parUrl === undefined) return Effect.succeed(url)
    const full = new URL(url)
    // RFC 9449 section 10.1: with DPoP, the push carries a proof of the key, which binds the code as
    // dpop_jkt does; both may be sent (they must then match), and no server we know needs dpop_jkt
    // beside the proof (oidc-provider takes the proof's thumbprint), so only the proof goes
    const { dpop_jkt: _bound, ...params } = Object.fromEntries(full.searchParams)
    return Effect.map(endpoint.requestAt(Effect.succeed(parUrl), params, "request_uri", true), (answer) => {
      const browserUrl = new URL(full)
      browserUrl.search = ""
      if (endpoint.clientId !== undefined) browserUrl.searchParams.set("client_id", endpoint.clientId)
      browserUrl.searchParams.set("request_uri", Redacted.value(answer.accessToken))
      return browserUrl.toString()
    })
  })

/**
 * RFC 9207 section 2.4: the redirect's `iss` is the issuer's, and present
 * when the metadata says the server sends it; else a possible mix-up attack.
 */
const checkIss = (known: grants.Issuer, iss: string | undefined) =>
  Effect.flatMap(known.discovery.get(known.issuer), (metadata) =>
    (iss === undefined && metadata.authorization_response_iss_parameter_supported === true) ||
    (iss !== undefined && iss !== known.issuer)
      ? Effect.fail(new IssuerMismatch({ expected: known.issuer, received: iss }))
      : Effect.void
  )

/** OpenID Connect Core 3.3.2.12: the id_token of a hybrid authorization redirect, validated; its claims. */
const redirectIdToken = (
  received: RedirectListener.Grant,
  located: grants.Issuer,
  http: HttpClient.HttpClient,
  options: Omit<ValidateIdTokenOptions, "issuer">
) =>
  received.fields.id_token === undefined
    ? Effect.fail(
        new InvalidToken({
          reason: `response_type "${options.responseType}" asks an id_token in the authorization redirect, and it has none (OpenID Connect Core section 3.3.2.5)`
        })
      )
    : // a server's fault, not an option: the redirect lacks the access_token (or sends it empty)
      (options.accessToken === undefined || options.accessToken === "") &&
        (options.responseType ?? "").split(" ").includes("token")
      ? Effect.fail(
          new InvalidToken({
            reason: `response_type "${options.responseType}" asks an access_token in the authorization redirect, and it has none (OpenID Connect Core section 3.3.2.5)`
          })
        )
      : validateIdToken(received.fields.id_token, located, http, options)

/** The `iss` an error redirect carried (RedirectListener keeps it in the error's `fields`). */
const issOf = (fields: Readonly<Record<string, unknown>> | undefined) =>
  typeof fields?.iss === "string" ? fields.iss : undefined

/**
 * OpenID Connect Core 3.1.3.7 (3.2.2.11 for the implicit grant): the id_token validated; its claims
 * travel with the token.
 */
const withIdTokenClaims = (
  token: Token.Token,
  idToken: string | Redacted.Redacted<string>,
  located: grants.Issuer,
  http: HttpClient.HttpClient,
  options: Omit<ValidateIdTokenOptions, "issuer">
) =>
  Effect.map(
    validateIdToken(idToken, located, http, options),
    (claims) => new Token.Token({ ...token, fields: { ...token.fields, id_token_claims: claims } })
  )

/** An id_token validated against the issuer's JWKS, through the grant's `Discovery` (which keeps the JWKS). */
const validateIdToken = (
  idToken: string | Redacted.Redacted<string>,
  located: grants.Issuer,
  http: HttpClient.HttpClient,
  options: Omit<ValidateIdTokenOptions, "issuer">
) =>
  idTokens
    .validate(idToken, { ...options, issuer: located.issuer })
    .pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.provideService(Discovery.Discovery, located.discovery)
    )

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
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    // not in ImplicitOptions' type; from JavaScript, refused rather than silently ignored
    const given = options as { readonly dpop?: unknown; readonly pushedAuthorization?: unknown }
    if (given.dpop !== undefined && given.dpop !== false) {
      return yield* Effect.fail(
        invalid(scheme, "dpop", "needs a token endpoint, which the implicit grant has not: use authorizationCodePkce")
      )
    }
    if (given.pushedAuthorization === true) {
      return yield* Effect.fail(
        invalid(
          scheme,
          "pushedAuthorization",
          "needs client authentication (RFC 9126 section 2.1): use authorizationCodePkce"
        )
      )
    }
    const located = yield* grants.issuer(scheme, options)
    const browser = yield* browserCommon(scheme, options, located)
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
    // with an issuer, the id_token is validated as the code grant's is (its aud is this client)
    if (located !== undefined && wantsIdToken && client.clientId === undefined) {
      return yield* Effect.fail(invalid(scheme, "clientId", "is needed with issuer, to check the id_token's aud"))
    }
    const http = yield* HttpClient.HttpClient

    const grant = Effect.gen(function* () {
      const nonce = wantsIdToken ? (givenNonce ?? (yield* browser.provide(SecureRandom.token(32)))) : givenNonce
      const received = yield* browser.authorize(
        {
          grantField: tokenField,
          url: (redirect) =>
            browser.requestUrl(redirect, {
              response_type: responseType,
              client_id: client.clientId,
              scope: client.scope,
              nonce
            })
        },
        wantsIdToken
      )
      const fields: Record<string, string> = { ...received.fields, [tokenField]: Redacted.value(received.grant) }
      const idToken = fields.id_token
      const now = yield* Clock.currentTimeMillis
      // Expiry from expires_in when the redirect has it, else the JWT's exp.
      const token = Token.fromResponse(fields, now, { tokenField, defaultLifetime })
      if (idToken === undefined) {
        if (located === undefined || !wantsIdToken) return token
        return yield* Effect.fail(new InvalidToken({ reason: "an id_token was asked, and the redirect has none" }))
      }
      if (located === undefined || client.clientId === undefined) {
        // no issuer, no JWKS: the nonce is all that can be checked
        if (nonce !== undefined) yield* checkNonce(idToken, nonce)
        return token
      }
      // OpenID Connect Core 3.2.2.11; at_hash is required with response_type "id_token token" (3.2.2.10)
      return yield* withIdTokenClaims(token, idToken, located, http, {
        clientId: client.clientId,
        nonce,
        accessToken: fields.access_token,
        responseType
      })
    })

    // Not the nonce nor the state: they change on every run.
    const key = cacheKey({
      grant: "implicit",
      tokenUrl: browser.keyParams().authorizationUrl!,
      clientId: client.clientId,
      scope: client.scope,
      params: { ...browser.keyParams(), responseType, tokenField }
    })
    return yield* engine.make(scheme, {
      ...(yield* revokeOnClose(scheme, options, client, located, key)),
      cacheKey: key,
      grant
    })
  })
