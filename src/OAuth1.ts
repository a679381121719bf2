/**
 * OAuth 1.0a (RFC 5849): request signing with HMAC-SHA1, HMAC-SHA256,
 * HMAC-SHA512, RSA-SHA1, RSA-SHA256 or PLAINTEXT, in the `Authorization`
 * header, the query or a form body; and the three-legged flow (temporary
 * credentials, the person's authorization in the browser, token
 * credentials), as building blocks and as one auth that runs it once.
 *
 * The signature covers the request as it goes on the wire
 * (`HttpClientRequest.toUrl`): its query, a form body
 * (`application/x-www-form-urlencoded` only) and the oauth parameters. A
 * body of another type (JSON, bytes, a Stream) is sent untouched and left
 * out, unless `bodyHash` adds its hash (the OAuth Request Body Hash
 * extension).
 *
 * @since 0.1.0
 */
import type { KeyObject } from "node:crypto"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Redacted from "effect/Redacted"
import type { AuthError, InvalidOptions } from "./AuthError.js"
import type * as HttpAuth from "./HttpAuth.js"
import * as internal from "./internal/oauth1.js"
import * as flow from "./internal/oauth1Flow.js"
import type { SecretInput, TextInput } from "./internal/options.js"
import type * as RedirectListener from "./RedirectListener.js"
import type * as TokenCache from "./TokenCache.js"

/**
 * @since 0.1.0
 * @category models
 */
export type SignatureMethod = internal.SignatureMethod

/**
 * Where the oauth parameters go (RFC 5849 section 3.5).
 *
 * @since 0.1.0
 * @category models
 */
export type SignatureType = internal.SignatureType

/**
 * The signature methods, in the order of the option table.
 *
 * @since 0.1.0
 * @category constants
 */
export const signatureMethods: ReadonlyArray<SignatureMethod> = internal.signatureMethods

/**
 * The placements.
 *
 * @since 0.1.0
 * @category constants
 */
export const signatureTypes: ReadonlyArray<SignatureType> = internal.signatureTypes

/**
 * How requests are signed, shared by `make`, the token steps and `authorize`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SigningOptions {
  /** The consumer key (`oauth_consumer_key`). */
  readonly clientId: TextInput
  /** The consumer secret; required unless the method is RSA. May be empty. */
  readonly clientSecret?: SecretInput | undefined
  /** Default `"HMAC-SHA1"`. */
  readonly signatureMethod?: SignatureMethod | undefined
  /** Default `"header"`. */
  readonly signatureType?: SignatureType | undefined
  /** The PEM private key (or a private `KeyObject`) of `RSA-SHA1` and `RSA-SHA256`. */
  readonly rsaKey?: SecretInput | KeyObject | undefined
  /** `realm` in the `Authorization` header (never signed, never in the query or body). */
  readonly realm?: string | undefined
  /** Sends `oauth_body_hash` for a body that is not a form (OAuth Request Body Hash). Default `false`. */
  readonly bodyHash?: boolean | undefined
  /**
   * PLAINTEXT sends the secrets themselves, so it is refused over `http:`
   * (RFC 5849 section 3.4.4) unless the host is loopback or this is `true`.
   */
  readonly allowInsecurePlaintext?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends SigningOptions {
  /** The token (`oauth_token`): an access token, or a request token for a token step. None for two-legged OAuth. */
  readonly token?: SecretInput | undefined
  /** The token's secret. */
  readonly tokenSecret?: SecretInput | undefined
  /** `oauth_callback`, for a temporary credentials request. */
  readonly callback?: string | undefined
  /** `oauth_verifier`, for a token credentials request. */
  readonly verifier?: SecretInput | undefined
}

/**
 * Credentials a provider issued (RFC 5849 sections 2.1 and 2.3).
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly token: Redacted.Redacted<string>
  readonly tokenSecret: Redacted.Redacted<string>
  /** The answer's other fields: `oauth_callback_confirmed`, or provider extras such as `user_id`, `screen_name`. */
  readonly fields: Readonly<Record<string, string>>
}

/**
 * Signs every request: `oauth_nonce` from `SecureRandom`, `oauth_timestamp`
 * from the `Clock`, `oauth_version="1.0"`. A 400 or 401 that reports an
 * `oauth_problem` fails with `OAuth1Error`; a request that cannot be signed
 * (no form body for `signatureType: "body"`, PLAINTEXT over `http:`) fails
 * with `SigningError`. Bad options fail here with `InvalidOptions`.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth1 } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = OAuth1.make({
 *   clientId: "consumer-key",
 *   clientSecret: Config.redacted("CONSUMER_SECRET"),
 *   token: "access-token",
 *   tokenSecret: Config.redacted("TOKEN_SECRET")
 * })
 * const AuthLive = HttpAuth.layer(auth)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions> =>
  Effect.gen(function* () {
    const signer = yield* internal.makeSigner(options, "OAuth1.make")
    const token = yield* flow.tokenParams(options, "OAuth1.make")
    return flow.signingAuth(signer, token)
  })

/**
 * How long a token step may take and how much of its answer is read, as the
 * OAuth 2 grants bound their token requests (same names, same defaults). A
 * step past either fails with `AuthenticationFailed`, naming the option.
 *
 * @example
 * ```ts
 * import { OAuth1 } from "effect-http-auth"
 *
 * const requestToken = OAuth1.fetchRequestToken({
 *   url: "https://api.x.com/oauth/request_token",
 *   clientId: "consumer-key",
 *   clientSecret: "consumer-secret",
 *   tokenTimeout: "10 seconds",
 *   maxResponseBytes: 64 * 1024
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenStepOptions {
  /** Time allowed to each token step, its answer included. Default 60 seconds. */
  readonly tokenTimeout?: Duration.DurationInput | undefined
  /** The largest answer of a token step read, in bytes; a larger one is refused unread. Default 1 MiB. */
  readonly maxResponseBytes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FetchRequestTokenOptions extends SigningOptions, TokenStepOptions {
  /** The temporary credentials endpoint. */
  readonly url: string
  /** `oauth_callback`: where the person returns. Default `"oob"` (out of band: the provider shows the verifier). */
  readonly callback?: string | undefined
}

/**
 * RFC 5849 section 2.1: temporary credentials (a request token). An answer
 * without `oauth_callback_confirmed=true` is refused (`OAuth1Error`
 * `callback_not_confirmed`).
 *
 * @example
 * ```ts
 * import { OAuth1 } from "effect-http-auth"
 *
 * const requestToken = OAuth1.fetchRequestToken({
 *   url: "https://api.x.com/oauth/request_token",
 *   clientId: "consumer-key",
 *   clientSecret: "consumer-secret",
 *   callback: "http://127.0.0.1:5000/callback"
 * })
 * ```
 *
 * @since 0.1.0
 * @category token steps
 */
export const fetchRequestToken: (
  options: FetchRequestTokenOptions
) => Effect.Effect<Credentials, AuthError, HttpClient.HttpClient> = flow.fetchRequestToken

/**
 * RFC 5849 section 2.2: the URL where the person authorizes the request
 * token (`oauth_token` added to the URL's query, with `params`).
 *
 * @example
 * ```ts
 * import { OAuth1 } from "effect-http-auth"
 *
 * OAuth1.authorizationUrl("https://api.x.com/oauth/authorize", "request-token")
 * // "https://api.x.com/oauth/authorize?oauth_token=request-token"
 * ```
 *
 * @since 0.1.0
 * @category token steps
 */
export const authorizationUrl: (
  url: string,
  requestToken: Credentials | string | Redacted.Redacted<string>,
  params?: Readonly<Record<string, string>>
) => string = flow.authorizationUrl

/**
 * @since 0.1.0
 * @category models
 */
export interface FetchAccessTokenOptions extends SigningOptions, TokenStepOptions {
  /** The token credentials endpoint. */
  readonly url: string
  /** The request token and its secret. */
  readonly token: SecretInput
  readonly tokenSecret: SecretInput
  /** The `oauth_verifier` the person brought back. */
  readonly verifier: SecretInput
}

/**
 * RFC 5849 section 2.3: token credentials (an access token) for an
 * authorized request token; provider extras (`user_id`, `screen_name`) are
 * in `fields`.
 *
 * @example
 * ```ts
 * import { OAuth1 } from "effect-http-auth"
 *
 * const access = OAuth1.fetchAccessToken({
 *   url: "https://api.x.com/oauth/access_token",
 *   clientId: "consumer-key",
 *   clientSecret: "consumer-secret",
 *   token: "request-token",
 *   tokenSecret: "request-token-secret",
 *   verifier: "verifier"
 * })
 * ```
 *
 * @since 0.1.0
 * @category token steps
 */
export const fetchAccessToken: (
  options: FetchAccessTokenOptions
) => Effect.Effect<Credentials, AuthError, HttpClient.HttpClient> = flow.fetchAccessToken

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizeOptions extends SigningOptions, TokenStepOptions, RedirectListener.Options {
  readonly requestTokenUrl: string
  readonly authorizationUrl: string
  readonly accessTokenUrl: string
  /** Other parameters of the authorization URL (X's `force_login`, Trello's `scope` and `expiration`). */
  readonly authorizationParams?: Readonly<Record<string, string>> | undefined
  /** Where the access credentials are kept. Default the `TokenCache` in context, else one of the auth's own. */
  readonly cache?: TokenCache.Service | undefined
  /** Called with the access credentials once the person has authorized. */
  readonly onToken?: ((credentials: Credentials) => Effect.Effect<void>) | undefined
  /** The name in errors. Default `"OAuth1.authorize"`. */
  readonly scheme?: string | undefined
}

/**
 * The three-legged flow as an auth: on the first request it gets a request
 * token with `oauth_callback` the redirect listener's URL, opens the
 * authorization URL with the `Browser`, waits for the callback (whose
 * `oauth_token` must be the request token, else `OAuth1Error`
 * `token_mismatch`; without a verifier, `user_refused`), fetches the access
 * credentials, keeps them in the `TokenCache` and calls `onToken`. Every
 * request is then signed with them. They do not expire; a 401 drops them
 * and runs the flow once more, never in a loop.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth1 } from "effect-http-auth"
 *
 * const trello = OAuth1.authorize({
 *   requestTokenUrl: "https://trello.com/1/OAuthGetRequestToken",
 *   authorizationUrl: "https://trello.com/1/OAuthAuthorizeToken",
 *   accessTokenUrl: "https://trello.com/1/OAuthGetAccessToken",
 *   clientId: "api-key",
 *   clientSecret: "oauth-secret",
 *   authorizationParams: { name: "My app", scope: "read", expiration: "30days" },
 *   redirectUriPort: 0
 * })
 * const AuthLive = HttpAuth.layer(trello)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const authorize: (
  options: AuthorizeOptions
) => Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> = flow.authorize

/**
 * The signature base string of RFC 5849 section 3.4.1.1: the method, the
 * base string URI and the normalized parameters (the query's, a form
 * body's and the oauth parameters, `oauth_signature` and `realm` left out).
 *
 * @example
 * ```ts
 * import { OAuth1 } from "effect-http-auth"
 *
 * OAuth1.signatureBaseString("GET", new URL("http://example.com/a?b=c"), [["oauth_nonce", "n"]])
 * // "GET&http%3A%2F%2Fexample.com%2Fa&b%3Dc%26oauth_nonce%3Dn"
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const signatureBaseString = (
  method: string,
  url: URL,
  oauthParams: ReadonlyArray<readonly [string, string]>,
  formBody?: string
): string =>
  internal.signatureBaseString(method, url, [
    ...internal.parseForm(url.search.slice(1)),
    ...(formBody === undefined ? [] : internal.parseForm(formBody)),
    ...oauthParams
  ])

/**
 * RFC 5849 section 3.6 percent-encoding: every octet of the UTF-8 text but
 * ALPHA, DIGIT, "-", ".", "_" and "~".
 *
 * @example
 * ```ts
 * import { OAuth1 } from "effect-http-auth"
 *
 * OAuth1.percentEncode("a b!") // "a%20b%21"
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const percentEncode: (text: string) => string = internal.percentEncode
