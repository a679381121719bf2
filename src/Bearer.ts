/**
 * Bearer tokens (RFC 6750 section 2.1).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { InvalidOptions } from "./AuthError.js"
import type * as HttpAuth from "./HttpAuth.js"
import { headerScheme } from "./internal/tokenScheme.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The header to set. Default `"Authorization"`. */
  readonly headerName?: string | undefined
  /** The header's value, `{token}` standing for the token. Default `"Bearer {token}"`. */
  readonly headerValue?: string | undefined
}

/**
 * Sends `Authorization: Bearer <token>`. The token is a value, a `Redacted`,
 * a `Config` (read once when the auth is built) or an `Effect` run for every
 * request (for a token that another part of the program renews).
 *
 * @example
 * ```ts
 * import { Bearer, HttpAuth } from "effect-http-auth"
 * import { Config, Effect, Ref } from "effect"
 *
 * const fromEnv = Bearer.make(Config.redacted("API_TOKEN"))
 *
 * const fromRef = Effect.flatMap(Ref.make("first"), (ref) => Bearer.make(Ref.get(ref)))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <E = never, R = never>(
  token: HttpAuth.TokenInput<E, R>,
  options?: Options
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, R> =>
  headerScheme(
    "Bearer.make",
    { headerName: options?.headerName ?? "Authorization", headerValue: options?.headerValue ?? "Bearer {token}" },
    { value: token, option: "token" }
  )
