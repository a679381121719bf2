/**
 * An authentication scheme is an `HttpClient` middleware: a function from a
 * client to a client whose requests carry credentials. This module holds the
 * type, the ways to provide it (`layer`, `client`, `authenticate`), multi-auth
 * (`all`), origin scoping (`forOrigins`) and safe redirects
 * (`followRedirects`).
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as AuthError from "./AuthError.js"
import * as internal from "./internal/httpAuth.js"
import { headerScheme } from "./internal/tokenScheme.js"
import { fromExecute, rebuild, withSend } from "./internal/client.js"
import { isSafelyFollowed, requestUrl, safeRedirects } from "./internal/redirects.js"
import { invalid, type Secret, type SecretInput } from "./internal/options.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What a scheme adds to a request, by name: the safe redirect follower drops
 * these on a cross-origin hop, and `layer` redacts these headers in logs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  /** Lower-case header names. */
  readonly headers: ReadonlyArray<string>
  /** URL parameter names. */
  readonly params: ReadonlyArray<string>
}

/**
 * An authentication scheme.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpAuth extends Pipeable {
  readonly [TypeId]: TypeId
  /** Wraps `client` so that the requests it sends carry credentials. */
  readonly wrap: <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ) => HttpClient.HttpClient.With<E | AuthError.AuthError, R>
  /** The headers and URL parameters the scheme adds. */
  readonly credentials: Credentials
  /** The schemes this one applies in order (itself for a single scheme). */
  readonly parts: ReadonlyArray<HttpAuth>
}

/**
 * A scheme, or an `Effect` that builds one (reading `Config`, validating
 * options, acquiring services such as a token cache).
 *
 * @since 0.1.0
 * @category models
 */
export type Input<E = never, R = never> = HttpAuth | Effect.Effect<HttpAuth, E, R>

/**
 * Makes a scheme from its `wrap` function. Name the headers and URL
 * parameters it adds, so that redirects and logs can protect them.
 *
 * @example
 * ```ts
 * import { HttpAuth } from "effect-http-auth"
 * import { HttpClient, HttpClientRequest } from "@effect/platform"
 *
 * const tenant = HttpAuth.make(
 *   (client) => HttpClient.mapRequest(client, HttpClientRequest.setHeader("x-tenant", "acme")),
 *   { headers: ["x-tenant"], params: [] }
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (wrap: HttpAuth["wrap"], credentials?: Credentials) => HttpAuth = internal.make

/**
 * Makes a scheme that only edits each request, with an `Effect` that may fail
 * with an `AuthError`.
 *
 * @example
 * ```ts
 * import { HttpAuth } from "effect-http-auth"
 * import { HttpClientRequest } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const tenant = HttpAuth.fromRequest(
 *   (request) => Effect.succeed(HttpClientRequest.setHeader(request, "x-tenant", "acme")),
 *   { headers: ["x-tenant"], params: [] }
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRequest: (
  f: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientRequest.HttpClientRequest, AuthError.AuthError>,
  credentials?: Credentials
) => HttpAuth = internal.fromRequest

/**
 * Sends a request through the rest of the client (below the auth): its
 * preprocess has already run on the request, so a resend does not apply a
 * `prependUrl` or another request edit twice.
 *
 * @since 0.1.0
 * @category models
 */
export type Send<E, R> = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>

/**
 * Makes a challenge-response scheme (httpx's custom `auth_flow` with
 * `requires_response_body`): `exchange` gets each request and a `send`; it
 * may send, read the response and its body, and send again, as often as it
 * needs, and returns the response the caller gets. Read or drop the body of
 * a response you do not return, so that its connection can serve again.
 * Digest and the OAuth 2 engine's retry on 401 are built on it; see
 * examples/challenge-response.ts.
 *
 * @example
 * ```ts
 * import { AuthError, HttpAuth } from "effect-http-auth"
 * import { HttpClientRequest } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // on a 401, ask the server for a ticket and send again with it
 * const ticket = HttpAuth.fromExchange(
 *   (request, send) =>
 *     Effect.flatMap(send(request), (response) =>
 *       response.status !== 401
 *         ? Effect.succeed(response)
 *         : Effect.flatMap(
 *             Effect.mapError(
 *               response.text,
 *               (cause) => new AuthError.AuthenticationFailed({ scheme: "ticket", reason: "no challenge", cause })
 *             ),
 *             (challenge) => send(HttpClientRequest.setHeader(request, "x-ticket", challenge.trim()))
 *           )
 *     ),
 *   { headers: ["x-ticket"], params: [] }
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromExchange = (
  exchange: <E, R>(
    request: HttpClientRequest.HttpClientRequest,
    send: Send<E, R>
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | AuthError.AuthError, R>,
  credentials?: Credentials
): HttpAuth => make((client) => withSend(client, exchange), credentials)

/**
 * @since 0.1.0
 * @category refinements
 */
export const isHttpAuth = (u: unknown): u is HttpAuth => Predicate.hasProperty(u, TypeId)

const resolve = <E, R>(input: Input<E, R>): Effect.Effect<HttpAuth, E, R> =>
  isHttpAuth(input) ? Effect.succeed(input) : input

/**
 * Multi-auth: applies each scheme in turn, left to right, so that a later
 * scheme wins on the same header. Nested `all`s flatten, and
 * challenge-response schemes (Digest, OAuth 2 on 401) compose too.
 *
 * @example
 * ```ts
 * import { ApiKey, Basic, HttpAuth } from "effect-http-auth"
 *
 * const auth = HttpAuth.all(Basic.make("user", "pass"), ApiKey.header("key", { headerName: "x-api-key" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const all = <const Inputs extends ReadonlyArray<Input<any, any>>>(
  ...inputs: Inputs
): Effect.Effect<
  HttpAuth,
  Inputs[number] extends infer I ? (I extends Effect.Effect<any, infer E, any> ? E : never) : never,
  Inputs[number] extends infer I ? (I extends Effect.Effect<any, any, infer R> ? R : never) : never
> =>
  Effect.map(Effect.all(inputs.map(resolve)), (auths) => {
    const parts = auths.flatMap((auth) => auth.parts)
    const combined = make((client) => parts.reduce<typeof client>((acc, auth) => auth.wrap(acc) as never, client), {
      headers: [...new Set(parts.flatMap((auth) => auth.credentials.headers))],
      params: [...new Set(parts.flatMap((auth) => auth.credentials.params))]
    })
    return Object.assign(combined, { parts })
  }) as never

// --- providing an auth ------------------------------------------------------

const toClientError =
  (request: HttpClientRequest.HttpClientRequest) =>
  (error: AuthError.AuthError): HttpClientError.RequestError =>
    new HttpClientError.RequestError({ request, reason: "Encode", cause: error, description: error.message })

/**
 * Wraps `client` with `auth`, with the `AuthError`s turned into
 * `HttpClientError`s (a `RequestError` with reason `"Encode"`, the
 * `AuthError` as its cause): the shape of the `HttpClient` service.
 *
 * @since 0.1.0
 * @category combinators
 */
export const wrapAsHttpClient = (auth: HttpAuth, client: HttpClient.HttpClient): HttpClient.HttpClient =>
  // one wrapper maps the AuthErrors and redacts the errors' requests: a request pays one
  // mapError, not two nested clients (bench/static.bench.ts); `layer` sets the redacted
  // names for the whole program already
  protect(auth, auth.wrap(client), false, true) as HttpClient.HttpClient

const withCredentialHeaders = (auth: HttpAuth) => (names: ReadonlyArray<string | RegExp>) => [
  ...names,
  ...auth.credentials.headers.filter((name) => !names.includes(name))
]

const redactCredentialHeaders = (auth: HttpAuth) =>
  Layer.fiberRefLocallyScopedWith(Headers.currentRedactedNames, withCredentialHeaders(auth))

/**
 * What `layer` and `client` both do around an authenticated client: the
 * auth's headers are redacted in the spans and logs of its requests, and
 * the value of each of its URL parameters (`ApiKey.query`) is replaced by
 * `<redacted>` in the requests that the client's errors carry (their
 * `message`, `Cause.pretty`, `JSON.stringify`).
 */
const protect = <E, R>(
  auth: HttpAuth,
  authenticated: HttpClient.HttpClient.With<E, R>,
  redactHeaders = true,
  asClientErrors = false
): HttpClient.HttpClient.With<E, R> => {
  const { headers, params } = auth.credentials
  const carries = headers.length > 0 || params.length > 0
  if (!carries && !asClientErrors) return authenticated
  const redactNames = withCredentialHeaders(auth)
  const watch = carries ? redirectWatch() : undefined
  const mapError = (request: HttpClientRequest.HttpClientRequest, error: E): E =>
    asClientErrors && AuthError.isAuthError(error)
      ? (toClientError(request)(error) as E)
      : carries && HttpClientError.isHttpClientError(error)
        ? redactRequest(error, auth.credentials)
        : error
  return fromExecute((request) => {
    const sent = authenticated.execute(request)
    // one step per request for both sides (as Effect.mapError is, with the watch on its success side)
    return Effect.matchCauseEffect(
      redactHeaders && carries ? Effect.locallyWith(sent, Headers.currentRedactedNames, redactNames) : sent,
      {
        onFailure: (cause) => {
          const failure = Cause.failureOrCause(cause)
          return failure._tag === "Left" ? Effect.fail(mapError(request, failure.left)) : Effect.failCause(cause)
        },
        onSuccess: watch?.(request) ?? Effect.succeed
      }
    )
  })
}

/**
 * Warns (once per auth) when Effect's own `HttpClient.followRedirects` is
 * composed with the auth, which carries every credential to the redirect's
 * origin. Under the auth, the response comes back for another origin than
 * the request's. Over it, the follower re-sends the request it was given
 * with a new URL: the same headers object, for another origin than the
 * redirect's. `HttpAuth.followRedirects` is the safe composition.
 */
const redirectWatch = () => {
  let warned = false
  // the headers of each request answered with a redirect, and the origin it was sent to
  const redirected = new WeakMap<Headers.Headers, string>()
  const warn = (how: string, from: string, to: string) => {
    if (warned) return Effect.void
    warned = true
    return Effect.logWarning(
      `HttpAuth: a redirect from ${from} to ${to} was followed by a client ${how} the auth (such as HttpClient.followRedirects): the credentials went to ${to} too. Use HttpAuth.followRedirects(auth) instead, which drops them on a cross-origin hop.`
    )
  }
  /** What to do with the response to `request`; undefined once the warning was given. */
  return (
    request: HttpClientRequest.HttpClientRequest
  ): (<A extends HttpClientResponse.HttpClientResponse>(response: A) => Effect.Effect<A>) | undefined => {
    if (warned) return undefined
    const before = redirected.get(request.headers)
    const over = before !== undefined ? originOf(request) : undefined
    return (response) => {
      if (over !== undefined && over !== before) return Effect.as(warn("over", before!, over), response)
      if (response.status >= 300 && response.status < 400 && response.headers.location !== undefined) {
        const origin = originOf(request)
        if (origin !== undefined) redirected.set(request.headers, origin)
      }
      if (response.request.url !== request.url && !isSafelyFollowed(response)) {
        const sent = originOf(request)
        const answered = originOf(response.request)
        if (sent !== undefined && answered !== undefined && sent !== answered) {
          return Effect.as(warn("under", sent, answered), response)
        }
      }
      return Effect.succeed(response)
    }
  }
}

const originOf = (request: HttpClientRequest.HttpClientRequest) => requestUrl(request)?.origin

/**
 * The error with the credentials taken out of the request it carries: the
 * auth's headers hold `<redacted>`, its URL parameters' values too. A
 * transport error holds the request as sent, credentials included.
 */
const redactRequest = <E extends HttpClientError.HttpClientError>(error: E, credentials: Credentials): E => {
  const names = new Set(credentials.params.flatMap((name) => [name, encodeURIComponent(name)]))
  const url =
    names.size === 0
      ? error.request.url
      : error.request.url.replace(/([?&])([^=&#]*)=([^&#]*)/g, (pair, separator: string, name: string) =>
          names.has(name) ? `${separator}${name}=<redacted>` : pair
        )
  const urlParams = error.request.urlParams.map(
    ([name, value]) => [name, names.has(name) ? "<redacted>" : value] as const
  )
  const carried = credentials.headers.filter((name) => name in error.request.headers)
  if (
    carried.length === 0 &&
    url === error.request.url &&
    urlParams.every(([, value], i) => value === error.request.urlParams[i]![1])
  ) {
    return error
  }
  const headers = Headers.fromInput({
    ...error.request.headers,
    ...Object.fromEntries(carried.map((name) => [name, "<redacted>"]))
  })
  const request = rebuild(error.request, { headers, url, urlParams })
  // built afresh (never spread): the old error's stack holds the old message, key included
  const { reason, cause, description } = error
  const rest = { cause, ...(description === undefined ? {} : { description }) }
  return (
    error._tag === "RequestError"
      ? new HttpClientError.RequestError({ request, reason: error.reason, ...rest })
      : new HttpClientError.ResponseError({
          request,
          response: (error as HttpClientError.ResponseError).response,
          reason: reason as HttpClientError.ResponseError["reason"],
          ...rest
        })
  ) as E
}

/**
 * Decorates the `HttpClient` in context: every request that the program's
 * client sends carries the credentials. The auth is built with the client
 * that this layer depends on, so its own calls (token requests) never carry
 * the auth they fetch. The headers the auth adds are redacted in logs.
 *
 * Provide the base client to this layer (`Layer.provide`), never beside it
 * (`Layer.merge`): a merged base client wins and the auth is silently lost.
 *
 * `AuthError`s reach the program as `HttpClientError.RequestError`s (reason
 * `"Encode"`, not retried by `retryTransient`) whose cause is the
 * `AuthError`; `AuthError.fromHttpClientError` gets it back, and `client`
 * gives a client with the typed errors instead.
 *
 * Never compose Effect's own `HttpClient.followRedirects` over or under this
 * layer: it re-sends every credential to the redirect's origin (a warning
 * is logged once when it happens). Use `followRedirects(auth)`.
 *
 * @example
 * ```ts
 * import { Bearer, HttpAuth } from "effect-http-auth"
 * import { HttpClient } from "@effect/platform"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * // a base client that never follows redirects itself (Fetch does, and keeps custom key headers
 * // cross-origin); HttpAuth.followRedirects(auth) follows them safely
 * const AuthLive = HttpAuth.layer(Bearer.make("token")).pipe(Layer.provide(NodeHttpClient.layerUndici))
 *
 * const program = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("https://example.com/me"))
 * program.pipe(Effect.provide(AuthLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <E = never, R = never>(
  auth: Input<E, R>
): Layer.Layer<HttpClient.HttpClient, E, HttpClient.HttpClient | Exclude<R, Scope.Scope>> =>
  // scoped: an auth's token requests live in the layer's scope (TokenCache)
  Layer.unwrapScoped(
    Effect.map(resolve(auth), (auth) =>
      Layer.merge(
        Layer.effect(
          HttpClient.HttpClient,
          Effect.map(HttpClient.HttpClient, (client) => wrapAsHttpClient(auth, client))
        ),
        redactCredentialHeaders(auth)
      )
    )
  )

/**
 * The `HttpClient` in context, authenticated, with typed `AuthError`s.
 *
 * @example
 * ```ts
 * import { Basic, HttpAuth } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const client = yield* HttpAuth.client(Basic.make("user", "pass"))
 *   return yield* client.get("https://example.com/me")
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const client = <E = never, R = never>(
  auth: Input<E, R>
): Effect.Effect<
  HttpClient.HttpClient.With<HttpClientError.HttpClientError | AuthError.AuthError>,
  E,
  HttpClient.HttpClient | R
> => Effect.zipWith(resolve(auth), HttpClient.HttpClient, (auth, client) => protect(auth, auth.wrap(client)))

/**
 * Sends one request with `auth`, through the `HttpClient` in context: the
 * counterpart of httpx's per-request `auth=`.
 *
 * @example
 * ```ts
 * import { Basic, HttpAuth } from "effect-http-auth"
 * import { HttpClientRequest } from "@effect/platform"
 *
 * const response = HttpClientRequest.get("https://example.com/me").pipe(HttpAuth.authenticate(Basic.make("user", "pass")))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const authenticate: {
  <E, R>(
    auth: Input<E, R>
  ): (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<
    HttpClientResponse.HttpClientResponse,
    HttpClientError.HttpClientError | AuthError.AuthError | E,
    HttpClient.HttpClient | R
  >
  <E, R>(
    request: HttpClientRequest.HttpClientRequest,
    auth: Input<E, R>
  ): Effect.Effect<
    HttpClientResponse.HttpClientResponse,
    HttpClientError.HttpClientError | AuthError.AuthError | E,
    HttpClient.HttpClient | R
  >
} = dual(2, <E, R>(request: HttpClientRequest.HttpClientRequest, auth: Input<E, R>) =>
  Effect.flatMap(client(auth), (client) => client.execute(request))
)

// --- header schemes ---------------------------------------------------------

/**
 * A token for a header scheme: a value, a `Redacted`, a `Config` (read once
 * when the auth is built) or an `Effect` (run for every request, for tokens
 * that change).
 *
 * @since 0.1.0
 * @category models
 */
export type TokenInput<E = never, R = never> = SecretInput | Effect.Effect<Secret, E, R>

/**
 * @since 0.1.0
 * @category models
 */
export interface HeaderOptions {
  /** The header's value, where `{token}` stands for the token. Default `"{token}"`. */
  readonly headerValue?: string | undefined
}

/**
 * A scheme for APIs with a header of their own: `headerName: headerValue`
 * with the token in place of `{token}` (httpx-auth's `header_name` and
 * `header_value`).
 *
 * @example
 * ```ts
 * import { HttpAuth } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * // PRIVATE-TOKEN: <value of GITLAB_TOKEN>
 * const gitlab = HttpAuth.header("PRIVATE-TOKEN", Config.redacted("GITLAB_TOKEN"))
 * // Authorization: token <value>
 * const github = HttpAuth.header("Authorization", Config.redacted("GITHUB_TOKEN"), { headerValue: "token {token}" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const header = <E = never, R = never>(
  headerName: string,
  token: TokenInput<E, R>,
  options?: HeaderOptions
): Effect.Effect<HttpAuth, AuthError.InvalidOptions, R> =>
  headerScheme(
    "HttpAuth.header",
    { headerName, headerValue: options?.headerValue ?? "{token}" },
    { value: token, option: "token" }
  )

// --- origin scoping ---------------------------------------------------------

/**
 * Which requests an auth applies to: origins such as
 * `"https://api.example.com"` (scheme, host and port compared exactly), or a
 * predicate of the request's URL.
 *
 * @since 0.1.0
 * @category models
 */
export type OriginFilter = ReadonlyArray<string> | ((url: URL) => boolean)

/**
 * Limits `auth` to requests for the given origins; other requests go out
 * without its credentials. A request whose URL cannot be read (a relative
 * URL) gets none either.
 *
 * @example
 * ```ts
 * import { Bearer, HttpAuth } from "effect-http-auth"
 *
 * const auth = Bearer.make("token").pipe(HttpAuth.forOrigins(["https://api.example.com"]))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const forOrigins: {
  (origins: OriginFilter): <E, R>(auth: Input<E, R>) => Effect.Effect<HttpAuth, E | AuthError.InvalidOptions, R>
  <E, R>(auth: Input<E, R>, origins: OriginFilter): Effect.Effect<HttpAuth, E | AuthError.InvalidOptions, R>
} = dual(2, <E, R>(input: Input<E, R>, origins: OriginFilter) =>
  Effect.gen(function* () {
    const matches = yield* originMatcher(origins)
    const auth = yield* resolve(input)
    return make(<E2, R2>(client: HttpClient.HttpClient.With<E2, R2>) => {
      const authenticated = auth.wrap(client)
      return fromExecute((request) => {
        const url = requestUrl(request)
        return url !== undefined && matches(url) ? authenticated.execute(request) : client.execute(request)
      })
    }, auth.credentials)
  })
)

const originMatcher = (origins: OriginFilter) => {
  if (typeof origins === "function") return Effect.succeed(origins)
  const allowed = new Set<string>()
  for (const origin of origins) {
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      return Effect.fail(
        invalid("HttpAuth.forOrigins", "origins", `holds ${JSON.stringify(origin)}, which is not a URL`)
      )
    }
    allowed.add(parsed.origin)
  }
  return Effect.succeed((url: URL) => allowed.has(url.origin))
}

// --- safe redirects ---------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface RedirectOptions {
  /** How many redirects to follow before failing with `TooManyRedirects`. Default 20, as httpx. */
  readonly maxRedirects?: number | undefined
}

/**
 * Follows redirects with the credentials kept in their place: on a
 * same-origin hop the auth applies again; once a hop leaves the first
 * request's origin, the request goes on without anything the auth added
 * (headers and URL parameters of any name) and without `Authorization`,
 * `Proxy-Authorization` and `Cookie`, for the rest of the chain.
 *
 * 303, and 301/302 after a POST, become a GET without a body (RFC 9110
 * section 15.4); 307 and 308 keep the method and body (a Stream body cannot
 * be sent twice: such a response is returned as it is). Apply it last,
 * around the combined auth, so that it sees every scheme.
 *
 * With `FetchHttpClient` it sets `redirect: "manual"`, since Fetch's own
 * following keeps an API key header cross-origin.
 *
 * @example
 * ```ts
 * import { ApiKey, HttpAuth } from "effect-http-auth"
 *
 * const auth = ApiKey.header("key").pipe(HttpAuth.followRedirects({ maxRedirects: 5 }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const followRedirects: {
  (options?: RedirectOptions): <E, R>(auth: Input<E, R>) => Effect.Effect<HttpAuth, E | AuthError.InvalidOptions, R>
  <E, R>(auth: Input<E, R>, options?: RedirectOptions): Effect.Effect<HttpAuth, E | AuthError.InvalidOptions, R>
} = dual(
  (args) => isHttpAuth(args[0]) || Effect.isEffect(args[0]),
  <E, R>(input: Input<E, R>, options?: RedirectOptions) =>
    Effect.gen(function* () {
      const maxRedirects = options?.maxRedirects ?? 20
      if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
        return yield* Effect.fail(
          invalid("HttpAuth.followRedirects", "maxRedirects", `must be a whole number from 0 up, not ${maxRedirects}`)
        )
      }
      const auth = yield* resolve(input)
      return make(safeRedirects(auth, maxRedirects), auth.credentials)
    })
)
