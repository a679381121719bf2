/**
 * How a client authenticates to the token endpoint (RFC 6749 section 2.3):
 * `client_secret_basic`, `client_secret_post` or `none`. A `ClientAuth` is
 * an `Effect` over the form and headers of a token request, so methods that
 * sign (`client_secret_jwt`, `private_key_jwt`, RFC 7523) fit the same shape.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AuthenticationFailed } from "./AuthError.js"

/**
 * A token request before client authentication.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRequest {
  readonly tokenUrl: string
  /** The form fields (`grant_type`, ...). */
  readonly params: Readonly<Record<string, string>>
  /** Extra headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * A client authentication method.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientAuth {
  /** The method's registered name (RFC 7591 section 2), such as `client_secret_basic`. */
  readonly method: string
  readonly clientId: string
  readonly apply: (request: TokenRequest) => Effect.Effect<TokenRequest, AuthenticationFailed>
}

/**
 * @since 0.1.0
 * @category models
 */
export type Method = "client_secret_basic" | "client_secret_post" | "none"

// RFC 6749 appendix B: application/x-www-form-urlencoded, space as "+"
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

/**
 * `client_secret_basic` (RFC 6749 section 2.3.1): `Authorization: Basic`
 * with the id and secret each form-urlencoded before base64, so a `:` or a
 * non-ASCII character in either survives.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretBasic("app", Redacted.make("s3cret"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientSecretBasic = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth => ({
  method: "client_secret_basic",
  clientId,
  apply: (request) =>
    Effect.sync(() => ({
      ...request,
      headers: {
        ...request.headers,
        authorization: `Basic ${Buffer.from(
          `${formEncode(clientId)}:${formEncode(Redacted.value(clientSecret))}`,
          "utf8"
        ).toString("base64")}`
      }
    }))
})

/**
 * `client_secret_post` (RFC 6749 section 2.3.1): `client_id` and
 * `client_secret` in the form.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretPost("app", Redacted.make("s3cret"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientSecretPost = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth => ({
  method: "client_secret_post",
  clientId,
  apply: (request) =>
    Effect.succeed({
      ...request,
      params: { ...request.params, client_id: clientId, client_secret: Redacted.value(clientSecret) }
    })
})

/**
 * `none`: a public client sends only its `client_id` (RFC 6749 section 3.2.1).
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 *
 * const auth = ClientAuth.none("cli")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const none = (clientId: string): ClientAuth => ({
  method: "none",
  clientId,
  apply: (request) => Effect.succeed({ ...request, params: { ...request.params, client_id: clientId } })
})

/**
 * The `ClientAuth` for a method name; without a secret, `none`.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * ClientAuth.fromMethod("client_secret_post", "app", Redacted.make("s3cret")).method // "client_secret_post"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromMethod = (
  method: Method,
  clientId: string,
  clientSecret: Redacted.Redacted<string> | undefined
): ClientAuth =>
  method === "none" || clientSecret === undefined
    ? none(clientId)
    : method === "client_secret_post"
      ? clientSecretPost(clientId, clientSecret)
      : clientSecretBasic(clientId, clientSecret)
