/**
 * The one-shot loopback listener of the browser grants (RFC 8252 section
 * 7.3): an HTTP server on 127.0.0.1 only, started for one authorization and
 * closed as soon as the grant arrives, on timeout or on interruption.
 *
 * It takes the grant from the query (authorization code), from the URL
 * fragment (implicit grant: a small page posts the fragment back) or from a
 * `form_post` body, and checks the `state` it generated. Only a callback
 * with that state (a grant or an error) ends the wait: one without it or
 * with another (which any web page can send to a loopback port), an empty
 * or an oversized request gets a 4xx page and the listener waits on for the
 * real callback until `timeout` (httpx-auth accepts a grant with another
 * state, and ends on the first request: we do neither).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as AuthError from "./AuthError.js"
import * as internal from "./internal/redirectListener.js"

/**
 * The pages shown in the browser once the listener has the redirect
 * (httpx-auth's `DisplaySettings`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DisplayOptions {
  /** How long the success page stays before it tries to close itself. Default 1 millisecond. */
  readonly successDisplayTime?: Duration.DurationInput | undefined
  /** The success page; `{display_time}` becomes the display time in milliseconds. */
  readonly successHtml?: string | undefined
  /** How long the failure page stays before it tries to close itself. Default 10 seconds. */
  readonly failureDisplayTime?: Duration.DurationInput | undefined
  /** The failure page; `{information}` becomes what went wrong (HTML-escaped), `{display_time}` as above. */
  readonly failureHtml?: string | undefined
}

/**
 * Where the listener listens and how long it waits.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The host name in the redirect URI; it must resolve to 127.0.0.1. Default `"localhost"`. */
  readonly redirectUriDomain?: string | undefined
  /** The path of the redirect URI (other paths get 404). Default `""`, the root. */
  readonly redirectUriEndpoint?: string | undefined
  /** The port; 0 takes a free port and the redirect URI follows it. Default 5000. */
  readonly redirectUriPort?: number | undefined
  /** How long to wait for the redirect, from the browser opening to the grant. Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The success and failure pages. */
  readonly display?: DisplayOptions | undefined
  /** The largest request body read (a `form_post` or fragment callback); a larger one gets 413. Default 64 KiB. */
  readonly maxRequestBytes?: number | undefined
}

/**
 * What an authorization needs from its grant: the parameter that carries the
 * grant, and the authorization URL built from the redirect URI and state.
 *
 * @since 0.1.0
 * @category models
 */
export interface Authorization<E extends AuthError.AuthError = never> {
  /** The redirect parameter that carries the grant: `"code"`, `"access_token"`, `"id_token"`. */
  readonly grantField: string
  /**
   * The authorization URL to open, which must carry `redirect_uri` and `state` as given; an
   * `Effect` of it when building it takes a request (RFC 9126's pushed authorization request).
   */
  readonly url: (redirect: {
    readonly redirectUri: string
    readonly state: string
  }) => string | Effect.Effect<string, E>
}

/**
 * How the grant came back.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseMode = "query" | "fragment" | "form_post"

/**
 * A grant the listener received with the right state.
 *
 * @since 0.1.0
 * @category models
 */
export interface Grant {
  /** The value of the grant field (an authorization code or a token). */
  readonly grant: Redacted.Redacted<string>
  /**
   * The other parameters of the redirect (`token_type`, `expires_in`,
   * `id_token`, `scope`...), the grant and `state` removed. They may hold
   * tokens: never log them.
   */
  readonly fields: Readonly<Record<string, string>>
  /** The redirect URI this authorization used, to send again with the code (RFC 6749 section 4.1.3). */
  readonly redirectUri: string
  readonly responseMode: ResponseMode
}

/**
 * The errors of one authorization.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizeError =
  | AuthError.OAuth2Error
  | AuthError.GrantNotProvided
  | AuthError.StateNotProvided
  | AuthError.StateMismatch
  | AuthError.AuthorizationTimeout
  | AuthError.AuthenticationFailed

/**
 * A listener configuration, checked; each `authorize` starts a listener of
 * its own.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedirectListener {
  readonly redirectUriDomain: string
  /** The path, with its leading `/`. */
  readonly redirectUriEndpoint: string
  readonly redirectUriPort: number
  readonly timeout: Duration.Duration
  /** The redirect URI for a port. */
  readonly redirectUri: (port: number) => string
  /**
   * Listens, opens the authorization URL with the `Browser` in context, and
   * waits for the redirect; the listener is closed when this ends, however
   * it ends.
   */
  readonly authorize: <E extends AuthError.AuthError = never>(
    authorization: Authorization<E>
  ) => Effect.Effect<Grant, AuthorizeError | E>
}

// A host name, or an IPv4 address: the listener only answers on 127.0.0.1.
/**
 * A listener for one authorization at a time; the options are checked here,
 * and a bad one fails with `InvalidOptions` naming it.
 *
 * @example
 * ```ts
 * import { RedirectListener } from "effect-http-auth"
 *
 * const listener = RedirectListener.make({ redirectUriPort: 0, redirectUriEndpoint: "callback", timeout: "2 minutes" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<RedirectListener, AuthError.InvalidOptions> =>
  internal.makeFor(options, "RedirectListener.make")
