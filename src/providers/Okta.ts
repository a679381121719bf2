/**
 * Okta presets (httpx-auth's `OktaClientCredentials` and
 * `OktaResourceOwnerPasswordCredentials`): the token URL is
 * `https://{instance}/oauth2/{authorizationServer}/v1/token`.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AuthError, InvalidOptions } from "../AuthError.js"
import type * as HttpAuth from "../HttpAuth.js"
import * as browserGrants from "../internal/oauth2Browser.js"
import { validateScope } from "../internal/oauth2Options.js"
import { invalid, resolveText, type TextInput } from "../internal/options.js"
import * as OAuth2 from "../OAuth2.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsOptions
  extends Omit<OAuth2.ClientCredentialsOptions, "tokenUrl" | "scope" | "issuer"> {
  /** The Okta domain, such as `"dev-123.okta.com"`. */
  readonly instance: TextInput
  /** Mandatory: Okta's client credentials need a custom scope. */
  readonly scope: string | ReadonlyArray<string>
  /** Default `"default"`. */
  readonly authorizationServer?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PasswordOptions extends Omit<OAuth2.PasswordOptions, "tokenUrl" | "issuer"> {
  readonly instance: TextInput
  /** Default `"openid"`. */
  readonly scope?: string | ReadonlyArray<string> | undefined
  /** Default `"default"`. */
  readonly authorizationServer?: string | undefined
}

/** A host (and port) as `OAuth2.*`'s URLs take it, `test_okta` included: the URL parser decides. */
const isHost = (host: string) => {
  try {
    const url = new URL(`https://${host}`)
    return url.host === host.toLowerCase() && url.pathname === "/" && url.username === "" && url.password === ""
  } catch {
    return false
  }
}
const SERVER = /^[A-Za-z0-9_-]+$/

/**
 * The token URL of an Okta authorization server.
 *
 * @example
 * ```ts
 * import { Okta } from "effect-http-auth"
 *
 * Okta.tokenUrl("dev-123.okta.com") // "https://dev-123.okta.com/oauth2/default/v1/token"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const tokenUrl = (instance: string, authorizationServer = "default"): string =>
  `https://${instance}/oauth2/${authorizationServer}/v1/token`

const resolveTokenUrl = (scheme: string, instance: TextInput, authorizationServer: string | undefined) =>
  Effect.gen(function* () {
    const host = yield* resolveText(instance, scheme, "instance")
    if (!isHost(host)) {
      return yield* Effect.fail(
        invalid(scheme, "instance", `must be a host name such as "dev-123.okta.com", not ${JSON.stringify(host)}`)
      )
    }
    const server = authorizationServer ?? "default"
    if (!SERVER.test(server)) {
      return yield* Effect.fail(invalid(scheme, "authorizationServer", `is not an authorization server id`))
    }
    return tokenUrl(host, server)
  })

/**
 * Client credentials against Okta. The scope is mandatory, as in httpx-auth.
 *
 * @example
 * ```ts
 * import { Okta } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = Okta.clientCredentials({
 *   instance: "dev-123.okta.com",
 *   clientId: "0oa1",
 *   clientSecret: Config.redacted("OKTA_SECRET"),
 *   scope: "api.read"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientCredentials = (
  options: ClientCredentialsOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "Okta.clientCredentials"
    const scope = yield* validateScope(options.scope, scheme)
    if (scope === undefined) {
      return yield* Effect.fail(invalid(scheme, "scope", "is mandatory for Okta client credentials"))
    }
    const { instance: _, authorizationServer, ...rest } = options
    return yield* OAuth2.clientCredentials({
      ...rest,
      scope,
      tokenUrl: yield* resolveTokenUrl(scheme, options.instance, authorizationServer)
    })
  })

/**
 * The password grant against Okta (scope `openid` unless given).
 *
 * @example
 * ```ts
 * import { Okta } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = Okta.password({
 *   instance: "dev-123.okta.com",
 *   username: "alice@example.com",
 *   password: Config.redacted("OKTA_PASSWORD"),
 *   clientId: "0oa1",
 *   clientSecret: Config.redacted("OKTA_SECRET")
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const password = (
  options: PasswordOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "Okta.password"
    const { instance: _, authorizationServer, ...rest } = options
    return yield* OAuth2.password({
      ...rest,
      scope: options.scope ?? "openid",
      tokenUrl: yield* resolveTokenUrl(scheme, options.instance, authorizationServer)
    })
  })

// --- Browser grants (issue 4) ----------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodeOptions
  extends Omit<OAuth2.AuthorizationCodeOptions, "authorizationUrl" | "tokenUrl" | "clientId" | "issuer"> {
  /** The Okta domain, such as `"dev-123.okta.com"`. */
  readonly instance: TextInput
  readonly clientId: TextInput
  /** Default `"default"`. */
  readonly authorizationServer?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodePkceOptions
  extends Omit<OAuth2.AuthorizationCodePkceOptions, "authorizationUrl" | "tokenUrl" | "clientId" | "issuer"> {
  readonly instance: TextInput
  readonly clientId: TextInput
  /** Default `"default"`. */
  readonly authorizationServer?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ImplicitOptions
  extends Omit<
    OAuth2.ImplicitOptions,
    "authorizationUrl" | "clientId" | "responseType" | "tokenField" | "issuer" | "revokeOnClose" | "revocationUrl"
  > {
  readonly instance: TextInput
  readonly clientId: TextInput
  /** Default `"default"`. */
  readonly authorizationServer?: string | undefined
}

/** `https://{instance}/oauth2/{authorizationServer}/v1/authorize` and the token URL, checked. */
const endpoints = (scheme: string, instance: TextInput, authorizationServer: string | undefined) =>
  Effect.map(resolveTokenUrl(scheme, instance, authorizationServer), (tokenUrl) => ({
    tokenUrl,
    authorizationUrl: tokenUrl.replace(/\/token$/, "/authorize")
  }))

const codeGrant = (scheme: string, options: AuthorizationCodeOptions, verifierLength: number | undefined) =>
  Effect.gen(function* () {
    const { instance: _, authorizationServer, ...rest } = options
    return yield* browserGrants.authorizationCodeGrant(
      scheme,
      {
        ...rest,
        ...(yield* endpoints(scheme, options.instance, authorizationServer)),
        scope: options.scope ?? "openid"
      },
      verifierLength
    )
  })

/**
 * The authorization code grant against Okta (httpx-auth's
 * `OktaAuthorizationCode`), scope `openid` unless given.
 *
 * @example
 * ```ts
 * import { Okta } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = Okta.authorizationCode({
 *   instance: "dev-123.okta.com",
 *   clientId: "0oa1",
 *   clientSecret: Config.redacted("OKTA_SECRET"),
 *   redirectUriEndpoint: "authorization-code/callback"
 * })
 * ```
 *
 * @since 0.1.0
 * @category browser grants
 */
export const authorizationCode = (
  options: AuthorizationCodeOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  codeGrant("Okta.authorizationCode", options, undefined)

/**
 * The authorization code grant with PKCE against Okta (httpx-auth's
 * `OktaAuthorizationCodePKCE`), scope `openid` unless given.
 *
 * @since 0.1.0
 * @category browser grants
 */
export const authorizationCodePkce = (
  options: AuthorizationCodePkceOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  codeGrant("Okta.authorizationCodePkce", options, options.codeVerifierLength ?? 43)

const implicitWith = (scheme: string, options: ImplicitOptions, responseType: string) =>
  Effect.gen(function* () {
    const { instance: _, authorizationServer, ...rest } = options
    const { authorizationUrl } = yield* endpoints(scheme, options.instance, authorizationServer)
    return yield* browserGrants.implicitGrant(scheme, {
      ...rest,
      authorizationUrl,
      responseType,
      tokenField: responseType === "id_token" ? "id_token" : "access_token",
      scope: options.scope ?? "openid profile email"
    })
  })

/**
 * An access token by the implicit grant against Okta (httpx-auth's
 * `OktaImplicit`), scope `openid profile email` unless given.
 *
 * @since 0.1.0
 * @category browser grants
 */
export const implicit = (
  options: ImplicitOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  implicitWith("Okta.implicit", options, "token")

/**
 * An id_token by the implicit grant against Okta, its nonce checked
 * (httpx-auth's `OktaImplicitIdToken`), scope `openid profile email` unless given.
 *
 * @since 0.1.0
 * @category browser grants
 */
export const implicitIdToken = (
  options: ImplicitOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  implicitWith("Okta.implicitIdToken", options, "id_token")
