/**
 * Microsoft Entra ID (Azure Active Directory) presets: the implicit grant on
 * the v1 endpoint, as httpx-auth's `AzureActiveDirectoryImplicit` and
 * `AzureActiveDirectoryImplicitIdToken`, and the authorization code with PKCE
 * on the v2.0 endpoints, which Microsoft recommends now.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AuthError } from "../AuthError.js"
import type * as HttpAuth from "../HttpAuth.js"
import * as browserGrants from "../internal/oauth2Browser.js"
import { invalid, resolveText, type TextInput } from "../internal/options.js"
import type * as OAuth2 from "../OAuth2.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ImplicitOptions
  extends Omit<
    OAuth2.ImplicitOptions,
    "authorizationUrl" | "responseType" | "tokenField" | "clientId" | "issuer" | "revokeOnClose" | "revocationUrl"
  > {
  /** The directory: a tenant id (GUID), a domain, or `common`, `organizations`, `consumers`. */
  readonly tenantId: TextInput
  /** The application (client) id. */
  readonly clientId: TextInput
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodePkceOptions
  extends Omit<OAuth2.AuthorizationCodePkceOptions, "authorizationUrl" | "tokenUrl" | "clientId" | "scope" | "issuer"> {
  /** The directory: a tenant id (GUID), a domain, or `common`, `organizations`, `consumers`. */
  readonly tenantId: TextInput
  /** The application (client) id. */
  readonly clientId: TextInput
  /** Default `openid profile offline_access`; add the API's scopes, such as `https://graph.microsoft.com/User.Read`. */
  readonly scope?: string | ReadonlyArray<string> | undefined
}

const TENANT = /^[A-Za-z0-9.-]+$/

const resolveTenant = (scheme: string, tenantId: TextInput) =>
  Effect.flatMap(resolveText(tenantId, scheme, "tenantId"), (tenant) =>
    TENANT.test(tenant)
      ? Effect.succeed(tenant)
      : Effect.fail(
          invalid(scheme, "tenantId", `must be a tenant id, a domain or "common", not ${JSON.stringify(tenant)}`)
        )
  )

/**
 * The v1 authorization endpoint of a tenant (httpx-auth's).
 *
 * @example
 * ```ts
 * import { AzureAD } from "effect-http-auth"
 *
 * AzureAD.authorizationUrl("contoso.onmicrosoft.com") // "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const authorizationUrl = (tenantId: string): string =>
  `https://login.microsoftonline.com/${tenantId}/oauth2/authorize`

/**
 * The v2.0 endpoints of a tenant.
 *
 * @since 0.1.0
 * @category utils
 */
export const v2Endpoints = (tenantId: string): { readonly authorizationUrl: string; readonly tokenUrl: string } => ({
  authorizationUrl: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/authorize`,
  tokenUrl: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`
})

const implicitWith = (scheme: string, options: ImplicitOptions, responseType: string) =>
  Effect.gen(function* () {
    const tenant = yield* resolveTenant(scheme, options.tenantId)
    const { tenantId: _, ...rest } = options
    return yield* browserGrants.implicitGrant(scheme, {
      ...rest,
      authorizationUrl: authorizationUrl(tenant),
      responseType,
      tokenField: responseType === "id_token" ? "id_token" : "access_token"
    })
  })

/**
 * An access token by the implicit grant (httpx-auth's
 * `AzureActiveDirectoryImplicit`).
 *
 * @example
 * ```ts
 * import { AzureAD } from "effect-http-auth"
 *
 * const auth = AzureAD.implicit({ tenantId: "contoso.onmicrosoft.com", clientId: "54d8e0a0-0000-0000-0000-000000000000" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const implicit = (
  options: ImplicitOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  implicitWith("AzureAD.implicit", options, "token")

/**
 * An id_token by the implicit grant, its nonce checked (httpx-auth's
 * `AzureActiveDirectoryImplicitIdToken`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const implicitIdToken = (
  options: ImplicitOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  implicitWith("AzureAD.implicitIdToken", options, "id_token")

/**
 * The authorization code with PKCE on the v2.0 endpoints: the flow Microsoft
 * recommends for desktop and command-line applications (public clients:
 * register `http://localhost` as a redirect URI, any port is accepted).
 *
 * @example
 * ```ts
 * import { AzureAD } from "effect-http-auth"
 *
 * const auth = AzureAD.authorizationCodePkce({
 *   tenantId: "common",
 *   clientId: "54d8e0a0-0000-0000-0000-000000000000",
 *   scope: ["openid", "offline_access", "https://graph.microsoft.com/User.Read"],
 *   redirectUriPort: 0
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const authorizationCodePkce = (
  options: AuthorizationCodePkceOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "AzureAD.authorizationCodePkce"
    const tenant = yield* resolveTenant(scheme, options.tenantId)
    const { tenantId: _, ...rest } = options
    return yield* browserGrants.authorizationCodeGrant(
      scheme,
      { ...rest, ...v2Endpoints(tenant), scope: options.scope ?? ["openid", "profile", "offline_access"] },
      options.codeVerifierLength ?? 43
    )
  })
