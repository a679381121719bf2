/**
 * WakaTime preset: the authorization code grant of
 * https://wakatime.com/developers#authentication (httpx-auth's
 * `WakaTimeAuthorizationCode`). The scope is a list joined with commas, the
 * client secret goes in the token request's form and never into the
 * browser's URL, and the token response is form-encoded.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AuthError } from "../AuthError.js"
import type * as HttpAuth from "../HttpAuth.js"
import * as browserGrants from "../internal/oauth2Browser.js"
import { invalid, type SecretInput, type TextInput } from "../internal/options.js"
import type * as OAuth2 from "../OAuth2.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodeOptions
  extends Omit<
    OAuth2.AuthorizationCodeOptions,
    "authorizationUrl" | "tokenUrl" | "clientId" | "clientSecret" | "scope" | "clientAuth" | "issuer"
  > {
  readonly clientId: TextInput
  readonly clientSecret: SecretInput
  /** Mandatory: WakaTime scopes such as `read_stats`, `email` (joined with commas). */
  readonly scope: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category constants
 */
export const authorizationUrl = "https://wakatime.com/oauth/authorize"

/**
 * @since 0.1.0
 * @category constants
 */
export const tokenUrl = "https://wakatime.com/oauth/token"

const SCOPE = /^[a-z_.:]+$/

/**
 * The authorization code grant against WakaTime.
 *
 * @example
 * ```ts
 * import { WakaTime } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = WakaTime.authorizationCode({
 *   clientId: "my-app-id",
 *   clientSecret: Config.redacted("WAKATIME_SECRET"),
 *   scope: ["read_stats", "email"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const authorizationCode = (
  options: AuthorizationCodeOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "WakaTime.authorizationCode"
    if (!Array.isArray(options.scope) || options.scope.length === 0) {
      return yield* Effect.fail(invalid(scheme, "scope", "is mandatory: a list of WakaTime scopes such as read_stats"))
    }
    for (const scope of options.scope) {
      if (!SCOPE.test(scope)) {
        return yield* Effect.fail(
          invalid(scheme, "scope", `holds ${JSON.stringify(scope)}, which is not a WakaTime scope`)
        )
      }
    }
    return yield* browserGrants.authorizationCodeGrant(
      scheme,
      {
        ...options,
        authorizationUrl,
        tokenUrl,
        // WakaTime joins scopes with commas, where RFC 6749 uses spaces
        scope: options.scope.join(","),
        // WakaTime reads client_id and client_secret from the form
        clientAuth: "client_secret_post"
      },
      undefined
    )
  })
