/**
 * Tagged errors of effect-http-auth. Every message says what went wrong and
 * what to do about it, and none of them ever contains a secret.
 *
 * The file is split in sections, one per area, each with its own union type;
 * `AuthError` is the union of the sections.
 *
 * @since 0.1.0
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as Duration from "effect/Duration"
import * as Data from "effect/Data"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-http-auth/AuthError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

const base = <Tag extends string>(tag: Tag) => {
  const TaggedError = Data.TaggedError(tag)
  ;(TaggedError.prototype as any)[TypeId] = TypeId
  return TaggedError
}

/**
 * Tells whether a value is one of this library's errors.
 *
 * @example
 * ```ts
 * import { AuthError } from "effect-http-auth"
 *
 * AuthError.isAuthError(new AuthError.InvalidOptions({ scheme: "Basic", option: "username", reason: "must not be empty" })) // true
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isAuthError = (u: unknown): u is AuthError => Predicate.hasProperty(u, TypeId)

// --- Core -------------------------------------------------------------------

/**
 * An option given to a scheme is unusable. Raised when the auth is built,
 * never later on the wire.
 *
 * @example
 * ```ts
 * import { ApiKey } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * // fails with InvalidOptions: ApiKey.header: option "key" must not be empty
 * const auth = ApiKey.header("")
 * Effect.runPromiseExit(auth)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptions extends base("InvalidOptions")<{
  /** The constructor that refused the option, such as `ApiKey.header`. */
  readonly scheme: string
  /** The option's name. */
  readonly option: string
  /** Why it was refused; never the option's value when it is a secret. */
  readonly reason: string
}> {
  override get message(): string {
    return `${this.scheme}: option "${this.option}" ${this.reason}`
  }
}

/**
 * A scheme could not produce credentials for a request: a token `Effect`
 * failed, a header value held a line break, a credentials provider failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationFailed extends base("AuthenticationFailed")<{
  readonly scheme: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.scheme}: ${this.reason}`
  }
}

/**
 * A redirect chain was longer than `maxRedirects`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyRedirects extends base("TooManyRedirects")<{
  readonly maxRedirects: number
  /** The last location, without its query string (which may carry a key). */
  readonly location: string
}> {
  override get message(): string {
    return `More than ${this.maxRedirects} redirects, the last to ${this.location}: raise maxRedirects or check the server for a redirect loop`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type CoreError = InvalidOptions | AuthenticationFailed | TooManyRedirects

// --- OAuth 2 ----------------------------------------------------------------

/**
 * RFC 6749 section 5.2 and 4.1.2.1: what each error code means, used when the
 * server sends no `error_description`.
 *
 * @since 0.1.0
 * @category constants
 */
export const oauth2ErrorTexts: Readonly<Record<string, string>> = {
  invalid_request:
    "The request is missing a required parameter, includes an unsupported parameter value (other than grant type), repeats a parameter, includes multiple credentials, utilizes more than one mechanism for authenticating the client, or is otherwise malformed.",
  invalid_client:
    "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).",
  invalid_grant:
    "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
  unauthorized_client: "The authenticated client is not authorized to use this authorization grant type.",
  unsupported_grant_type: "The authorization grant type is not supported by the authorization server.",
  invalid_scope:
    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.",
  access_denied: "The resource owner or authorization server denied the request.",
  unsupported_response_type:
    "The authorization server does not support obtaining an authorization code using this method.",
  server_error:
    "The authorization server encountered an unexpected condition that prevented it from fulfilling the request.",
  temporarily_unavailable:
    "The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server."
}

/**
 * RFC 6749 section 4.1.2.1 (and 4.2.2.1): what each error code of an
 * authorization redirect means, where its text differs from section 5.2's.
 *
 * @since 0.1.0
 * @category constants
 */
export const authorizationErrorTexts: Readonly<Record<string, string>> = {
  ...oauth2ErrorTexts,
  invalid_request:
    "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
  unauthorized_client: "The client is not authorized to request an authorization code using this method.",
  invalid_scope: "The requested scope is invalid, unknown, or malformed."
}

/**
 * An authorization server answered with an error (RFC 6749 section 5.2 for
 * the token endpoint, 4.1.2.1 for the authorization redirect), or with a body
 * that is not a token response at all (then `error` is `invalid_response`
 * and `body` keeps the text).
 *
 * @since 0.1.0
 * @category errors
 */
export class OAuth2Error extends base("OAuth2Error")<{
  readonly error: string
  readonly errorDescription?: string | undefined
  readonly errorUri?: string | undefined
  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status?: number | undefined
  /** Other fields of the error response, token values removed; of an error redirect, its `iss` (RFC 9207). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  /** The body, when it was not JSON (truncated). */
  readonly body?: string | undefined
  /** The error came in the authorization redirect (section 4.1.2.1), not from the token endpoint. */
  readonly redirect?: boolean | undefined
}> {
  override get message(): string {
    const description =
      this.errorDescription ?? (this.redirect === true ? authorizationErrorTexts : oauth2ErrorTexts)[this.error]
    const parts = [`OAuth 2 error "${this.error}"`]
    if (this.status !== undefined) parts[0] += ` (HTTP ${this.status})`
    if (description !== undefined) parts.push(description)
    if (this.errorUri !== undefined) parts.push(`More information: ${this.errorUri}`)
    if (this.body !== undefined && this.errorDescription === undefined) parts.push(`Body: ${this.body}`)
    return parts.join(": ")
  }
}

/**
 * A token response succeeded but lacks the field that holds the token.
 *
 * @since 0.1.0
 * @category errors
 */
export class GrantNotProvided extends base("GrantNotProvided")<{
  /** The field that was expected, such as `access_token`. */
  readonly field: string
  /** The names of the fields that were there (never their values): at most 20, each cut to 40 characters. */
  readonly received: ReadonlyArray<string>
}> {
  constructor(args: { readonly field: string; readonly received: ReadonlyArray<string> }) {
    // the names come from whoever sent the response: an excerpt, however many and long they are
    const cut = (name: string) => (name.length > 40 ? `${name.slice(0, 40)}…` : name)
    const received = args.received.slice(0, 20).map(cut)
    if (args.received.length > 20) received.push(`… ${args.received.length - 20} more`)
    super({ field: cut(args.field), received })
  }
  override get message(): string {
    return `The response has no "${this.field}" field (it has: ${this.received.join(", ") || "nothing"}): check the tokenField option or the grant's parameters`
  }
}

/**
 * A token could not be used: an id_token whose nonce differs, a JWT that
 * cannot be decoded, a token type the scheme cannot send.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidToken extends base("InvalidToken")<{
  readonly reason: string
}> {
  override get message(): string {
    return `Invalid token: ${this.reason}`
  }
}

/**
 * The authorization redirect carried no `state`, while one was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class StateNotProvided extends base("StateNotProvided")<{}> {
  override get message(): string {
    return "The authorization redirect carried no state parameter: the grant was rejected (RFC 6749 section 10.12)"
  }
}

/**
 * The `state` in the authorization redirect is not the one that was sent:
 * the grant is rejected (RFC 6749 section 10.12, cross-site request forgery).
 *
 * @since 0.1.0
 * @category errors
 */
export class StateMismatch extends base("StateMismatch")<{}> {
  override get message(): string {
    return "The authorization redirect carried another state than the one sent: the grant was rejected as a possible cross-site request forgery (RFC 6749 section 10.12)"
  }
}

/**
 * The authorization redirect's `iss` is not the issuer the grant asked
 * (RFC 9207 section 2.4), or is missing while the server's metadata says it
 * sends one: the grant is rejected as a possible mix-up attack, where
 * another authorization server answers in this one's name.
 *
 * @since 0.1.0
 * @category errors
 */
export class IssuerMismatch extends base("IssuerMismatch")<{
  /** The issuer the grant asked. */
  readonly expected: string
  /** The redirect's `iss`, or `undefined` when it carried none. */
  readonly received: string | undefined
}> {
  override get message(): string {
    return this.received === undefined
      ? `The authorization redirect carried no iss, while ${this.expected} says it sends one (authorization_response_iss_parameter_supported): the grant was rejected as a possible mix-up attack (RFC 9207 section 2.4)`
      : `The authorization redirect came from issuer ${JSON.stringify(this.received)}, not ${this.expected}: the grant was rejected as a possible mix-up attack (RFC 9207 section 2.4)`
  }
}

/**
 * No authorization redirect arrived in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationTimeout extends base("AuthorizationTimeout")<{
  readonly timeout: Duration.Duration
  readonly redirectUri?: string | undefined
  /** What to do, when raising the `timeout` option is not it (the device grant's wait is the server's). */
  readonly remedy?: string | undefined
}> {
  override get message(): string {
    const where = this.redirectUri === undefined ? "" : ` at ${this.redirectUri}`
    const remedy = this.remedy ?? "finish the login in the browser sooner, or raise the timeout option"
    return `No authorization arrived${where} within ${Duration.format(this.timeout)}: ${remedy}`
  }
}

/**
 * An authorization server's metadata (RFC 8414, OpenID Connect Discovery
 * 1.0) could not be had or was refused: no document at either well-known
 * URL, a document that is not metadata, one for another issuer (RFC 8414
 * section 3.3), or one that lacks the endpoint a grant needs.
 *
 * @since 0.1.0
 * @category errors
 */
export class DiscoveryError extends base("DiscoveryError")<{
  /** The issuer that was asked. */
  readonly issuer: string
  readonly reason: string
  /** The transport's failure, without the request. */
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Discovery of ${this.issuer} failed: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type OAuth2Errors =
  | OAuth2Error
  | DiscoveryError
  | GrantNotProvided
  | InvalidToken
  | StateNotProvided
  | StateMismatch
  | IssuerMismatch
  | AuthorizationTimeout

// --- Digest and .netrc ------------------------------------------------------

/**
 * A Digest challenge could not be read or answered.
 *
 * @since 0.1.0
 * @category errors
 */
export class DigestError extends base("DigestError")<{
  readonly reason: string
}> {
  override get message(): string {
    return `Digest: ${this.reason}`
  }
}

/**
 * A .netrc file could not be read or parsed.
 *
 * @since 0.1.0
 * @category errors
 */
export class NetRcError extends base("NetRcError")<{
  readonly path: string
  readonly line?: number | undefined
  readonly reason: string
}> {
  override get message(): string {
    const at = this.line === undefined ? this.path : `${this.path}:${this.line}`
    return `.netrc ${at}: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type DigestErrors = DigestError

/**
 * What reading a .netrc file (`NetRc.make`, `NetRc.read`) can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type NetRcErrors = NetRcError

// --- Signing (AWS SigV4, OAuth 1.0a) ---------------------------------------

/**
 * A request could not be signed (a body that cannot be hashed, credentials
 * that could not be loaded).
 *
 * @since 0.1.0
 * @category errors
 */
export class SigningError extends base("SigningError")<{
  readonly scheme: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.scheme}: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type SigningErrors = SigningError

// --- OAuth 1.0a --------------------------------------------------------------

/**
 * The problems of the OAuth Problem Reporting extension (oauth.net, 2008),
 * with its text for each, used when the provider sends no
 * `oauth_problem_advice`; and this library's own problems of the
 * three-legged flow.
 *
 * @since 0.1.0
 * @category constants
 */
export const oauth1ProblemTexts: Readonly<Record<string, string>> = {
  version_rejected: "The oauth_version is not supported by the Service Provider.",
  parameter_absent: "A required parameter was not received.",
  parameter_rejected: "An unexpected parameter was received.",
  timestamp_refused:
    "The oauth_timestamp value is unacceptable to the Service Provider: check the clock of this machine.",
  nonce_used: "The oauth_nonce value was used in a previous request, and consequently can't be used now.",
  signature_method_rejected: "The oauth_signature_method is unacceptable to the Service Provider.",
  signature_invalid: "The oauth_signature is invalid: check the consumer secret, the token secret and the RSA key.",
  consumer_key_unknown: "The oauth_consumer_key is unknown to the Service Provider.",
  consumer_key_rejected: "The oauth_consumer_key is permanently unacceptable to the Service Provider.",
  consumer_key_refused: "The oauth_consumer_key is temporarily unacceptable to the Service Provider.",
  token_used: "The oauth_token has been consumed: it can't be used any more.",
  token_expired: "The oauth_token has expired.",
  token_revoked: "The oauth_token has been revoked.",
  token_rejected: "The oauth_token is unacceptable to the Service Provider.",
  additional_authorization_required: "The oauth_token has not been authorized to the extent this request needs.",
  permission_unknown: "The User hasn't decided whether to permit this Consumer to access Protected Resources.",
  permission_denied: "The User refused to permit this Consumer to access Protected Resources.",
  user_refused: "The User refused to authorize the Consumer's request token.",
  callback_not_confirmed:
    "The temporary credentials response has no oauth_callback_confirmed=true (RFC 5849 section 2.1): the provider does not speak OAuth 1.0a.",
  token_mismatch:
    "The callback's oauth_token is not the request token this authorization sent: the callback was rejected as a possible forgery.",
  invalid_response: "The provider's answer is not a form-encoded credentials response (RFC 5849 section 2.1)."
}

/**
 * An OAuth 1.0a provider refused a request or answered one it should not
 * have: its `oauth_problem` (OAuth Problem Reporting extension), an OAuth
 * 2-style `error` field, or the HTTP status of a plain refusal (then
 * `problem` is `http_401` and `body` keeps the text); or the three-legged
 * flow failed (`callback_not_confirmed`, `token_mismatch`, `user_refused`).
 *
 * @since 0.1.0
 * @category errors
 */
export class OAuth1Error extends base("OAuth1Error")<{
  /** `oauth_problem`, such as `signature_invalid`, `nonce_used` or `timestamp_refused`. */
  readonly problem: string
  /** `oauth_problem_advice`, or what to do about it. */
  readonly advice?: string | undefined
  /** HTTP status of the provider's answer, when there was one. */
  readonly status?: number | undefined
  /** The URL that answered, without its query (which may carry a token). */
  readonly endpoint?: string | undefined
  /** `oauth_parameters_absent`: the parameters the provider missed. */
  readonly parametersAbsent?: ReadonlyArray<string> | undefined
  /** `oauth_parameters_rejected`: the parameters the provider refused. */
  readonly parametersRejected?: ReadonlyArray<string> | undefined
  /** `oauth_acceptable_timestamps`: the range the provider accepts, `"min-max"`. */
  readonly acceptableTimestamps?: string | undefined
  /** The body, when it was not a problem report (truncated). */
  readonly body?: string | undefined
}> {
  override get message(): string {
    const parts = [`OAuth 1 problem "${this.problem}"`]
    if (this.status !== undefined) parts[0] += ` (HTTP ${this.status})`
    if (this.endpoint !== undefined) parts[0] += ` from ${this.endpoint}`
    const text = this.advice ?? oauth1ProblemTexts[this.problem]
    if (text !== undefined) parts.push(text)
    if (this.parametersAbsent !== undefined) parts.push(`absent: ${this.parametersAbsent.join(", ")}`)
    if (this.parametersRejected !== undefined) parts.push(`rejected: ${this.parametersRejected.join(", ")}`)
    if (this.acceptableTimestamps !== undefined) parts.push(`acceptable timestamps: ${this.acceptableTimestamps}`)
    if (this.body !== undefined) parts.push(`Body: ${this.body}`)
    return parts.join(": ")
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type OAuth1Errors = OAuth1Error

// --- Transport (effect-http-auth/node) ---------------------------------------

/**
 * An HTTPS server's certificate was refused (expired, issued for another
 * host, signed by an unknown CA), or the server refused the client's
 * certificate. `NodeTransport.layer`'s client gives it as the cause of an
 * `HttpClientError.RequestError` with reason `"Transport"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TlsError extends base("TlsError")<{
  /** The origin whose handshake failed, such as `https://api.example.com`. */
  readonly origin: string
  /**
   * The OpenSSL or Node code, such as `CERT_HAS_EXPIRED`, or `CLIENT_CERTIFICATE_REFUSED` when, under
   * TLS 1.3, the server asked for the client certificate and closed the connection without an alert (a
   * guess: docs/transport.md).
   */
  readonly code: string
  /** What the code means and what to do about it. */
  readonly reason: string
}> {
  override get message(): string {
    return `TLS with ${this.origin} failed (${this.code}): ${this.reason}`
  }
}

/**
 * A forward proxy refused to carry a request, such as a 407 when no or wrong
 * credentials were given. The proxy's origin never holds its credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProxyError extends base("ProxyError")<{
  /** The proxy's origin, such as `http://proxy.internal:3128`, without credentials. */
  readonly proxy: string
  /** The status the proxy answered the CONNECT with. */
  readonly status: number
}> {
  override get message(): string {
    const hint =
      this.status === 407
        ? "the proxy requires credentials: give them in the proxy URL or as username and password"
        : "check the proxy's access rules for this target"
    return `The proxy ${this.proxy} answered ${this.status}: ${hint}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type TransportErrors = TlsError | ProxyError

// --- All --------------------------------------------------------------------

/**
 * Every error of this library.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthError =
  | CoreError
  | OAuth2Errors
  | OAuth1Errors
  | DigestErrors
  | NetRcErrors
  | SigningErrors
  | TransportErrors

/**
 * `HttpAuth.layer` puts the authenticated client in context as the plain
 * `HttpClient`, whose errors are `HttpClientError`s: an `AuthError` travels
 * there as a `RequestError` with reason `"Encode"` (not retried by
 * `retryTransient`) and the `AuthError` as its cause. This gets it back.
 *
 * @example
 * ```ts
 * import { AuthError } from "effect-http-auth"
 * import { Effect, Option } from "effect"
 *
 * const onError = (error: unknown) =>
 *   Option.match(AuthError.fromHttpClientError(error), {
 *     onNone: () => Effect.logError("transport"),
 *     onSome: (authError) => Effect.logError(authError._tag)
 *   })
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromHttpClientError = (error: unknown): Option.Option<AuthError> => {
  if (isAuthError(error)) return Option.some(error)
  if (HttpClientError.isHttpClientError(error) && error._tag === "RequestError" && isAuthError(error.cause)) {
    return Option.some(error.cause)
  }
  return Option.none()
}
