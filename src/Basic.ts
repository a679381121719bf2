/**
 * HTTP Basic authentication (RFC 7617).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { InvalidOptions } from "./AuthError.js"
import type * as HttpAuth from "./HttpAuth.js"
import { headerScheme } from "./internal/tokenScheme.js"
import { invalid, resolveSecret, resolveText, type SecretInput, type TextInput } from "./internal/options.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The header to set (not `Proxy-Authorization`: a proxy's credentials go to the transport). Default `"Authorization"`. */
  readonly headerName?: string | undefined
}

/**
 * The `Basic` credentials of RFC 7617 section 2: base64 of `user-id:password`
 * in UTF-8 (section 2.1, `charset="UTF-8"`).
 *
 * @example
 * ```ts
 * import { Basic } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * Redacted.value(Basic.encode("test", Redacted.make("123£"))) // "Basic dGVzdDoxMjPCow=="
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (username: string, password: Redacted.Redacted<string>): Redacted.Redacted<string> =>
  Redacted.make(`Basic ${Buffer.from(`${username}:${Redacted.value(password)}`, "utf8").toString("base64")}`)

/**
 * Sends `Authorization: Basic <base64(username:password)>` on every request.
 * Both may be `Config`s, read once when the auth is built.
 *
 * @example
 * ```ts
 * import { Basic, HttpAuth } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = Basic.make("user", Config.redacted("API_PASSWORD"))
 * const AuthLive = HttpAuth.layer(auth)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  username: TextInput,
  password: SecretInput,
  options?: Options
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions> =>
  Effect.gen(function* () {
    const user = yield* resolveText(username, "Basic.make", "username")
    // RFC 7617 section 2: "a user-id containing a colon character is invalid"
    if (user.includes(":")) {
      return yield* Effect.fail(invalid("Basic.make", "username", 'must not contain ":" (RFC 7617 section 2)'))
    }
    if (/[\r\n\0]/.test(user)) {
      return yield* Effect.fail(invalid("Basic.make", "username", "must not contain CR, LF or NUL characters"))
    }
    const secret = yield* resolveSecret(password, "Basic.make", "password", { allowEmpty: true })
    const name = options?.headerName ?? "Authorization"
    const value = encode(user, secret)
    return yield* headerScheme<never, never>(
      "Basic.make",
      { headerName: name, headerValue: "{token}" },
      { value, option: "password" }
    )
  })
