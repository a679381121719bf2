/**
 * The token engine under every OAuth 2 grant: a way to get a token becomes
 * an `HttpAuth` with caching, single-flight, refresh, retry on 401 and
 * `onToken`.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { type AuthError, type InvalidOptions, InvalidToken } from "../AuthError.js"
import type * as DPoP from "../DPoP.js"
import * as HttpAuth from "../HttpAuth.js"
import type { MakeOptions } from "../OAuth2.js"
import * as Token from "../Token.js"
import * as TokenCache from "../TokenCache.js"
import { discard } from "./http.js"
import { validateDuration } from "./oauth2Options.js"
import {
  fillTemplate,
  headerValueReason,
  isHeaderValue,
  validateCredentialHeader,
  validateTemplate
} from "./options.js"

class Unauthorized extends Data.TaggedClass("Unauthorized")<{
  readonly response: HttpClientResponse.HttpClientResponse
  readonly token: Token.Token
}> {}

const isUnauthorized = (u: unknown): u is Unauthorized => u instanceof Unauthorized

/** RFC 9449 section 9: a resource server's 401 asking for a nonce. */
const asksNonce = (response: HttpClientResponse.HttpClientResponse) =>
  response.status === 401 &&
  /(?:^|[\s,])DPoP\s[\s\S]*?error\s*=\s*"?use_dpop_nonce\b/i.test(response.headers["www-authenticate"] ?? "")

/**
 * A resource request with its DPoP proof (RFC 9449 section 7): the server's
 * `DPoP-Nonce` is remembered from any answer, and a 401 `use_dpop_nonce`
 * sends once more with it, never in a loop.
 */
const sendProved = <E, R>(
  dpop: DPoP.Prover,
  request: HttpClientRequest.HttpClientRequest,
  token: Token.Token,
  send: HttpAuth.Send<E, R>
): Effect.Effect<HttpClientResponse.HttpClientResponse, E | AuthError, R> => {
  const once = Effect.flatMap(
    dpop.proof({ method: request.method, url: request.url, accessToken: token.accessToken }),
    (proof) => send(HttpClientRequest.setHeader(request, "DPoP", proof))
  )
  return Effect.flatMap(once, (response) => {
    const nonce = response.headers["dpop-nonce"]
    if (nonce === undefined) return Effect.succeed(response)
    dpop.rememberNonce(request.url, nonce)
    if (!asksNonce(response)) return Effect.succeed(response)
    // the refused answer's body is dropped (a bounded read: its connection serves again when it is short)
    return Effect.zipRight(discard(response), once)
  })
}

export const make = (
  scheme: string,
  options: MakeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, Scope.Scope> =>
  Effect.gen(function* () {
    const name = yield* validateCredentialHeader(options.headerName ?? "Authorization", scheme, "headerName")
    const dpop = options.dpop
    // RFC 9449 section 7.1: a DPoP-bound token goes in `Authorization: DPoP <token>`
    const template = options.headerValue ?? (dpop === undefined ? "Bearer {token}" : "DPoP {token}")
    yield* validateTemplate(template, scheme, "headerValue")
    const earlyExpiry = yield* validateDuration(options.earlyExpiry, Token.defaultEarlyExpiry, scheme, "earlyExpiry")
    // no cache given and none in context: one of its own, never a process-wide one
    const cache =
      options.cache ??
      Option.getOrUndefined(yield* Effect.serviceOption(TokenCache.TokenCache)) ??
      (yield* TokenCache.make())
    const key = options.cacheKey
    const onToken = options.onToken ?? (() => Effect.void)
    const refresh = options.refresh

    // RFC 9449 section 6: a token bound to another key (a file cache written by an earlier run with
    // a fresh key), or a bearer token when DPoP is on, is of no use: it is fetched anew, not refreshed
    const bound = (token: Token.Token) => token.jkt === dpop?.jkt
    const fetch = (expired: Option.Option<Token.Token>): Effect.Effect<Token.Token, AuthError> => {
      const renewed =
        Option.isSome(expired) &&
        expired.value.refreshToken !== undefined &&
        refresh !== undefined &&
        bound(expired.value)
          ? refresh(expired.value).pipe(
              Effect.map((token) => Token.keepRefreshToken(token, expired.value)),
              // RFC 6749 section 5.2: the server refused the refresh (invalid_grant, invalid_request,
              // unauthorized_client...). The token and its refresh token are dropped before the full
              // grant runs once, so that a failing full grant leaves nothing to refresh again (in
              // memory or in a file cache); its error is the caller's.
              Effect.catchIf(
                (error) => error._tag === "OAuth2Error",
                () => Effect.zipRight(cache.invalidate(key), options.grant)
              )
            )
          : options.grant
      const marked =
        dpop === undefined ? renewed : Effect.map(renewed, (token) => new Token.Token({ ...token, jkt: dpop.jkt }))
      return Effect.tap(marked, onToken)
    }
    // RFC 9449: a token bound to a key that dies with the process (`dpop: true`) is of no use to a later run
    // or another process, so it is kept in memory: a file or Redis cache gains no entry per run
    const getOptions = { earlyExpiry, persist: dpop?.ephemeral !== true }
    const cached = cache.getOrFetch(key, fetch, getOptions)
    // a token no header can carry (from any grant, or a tampered cache) is a typed error, never a defect in the client
    const token = Effect.filterOrFail(
      // without DPoP the hot path stays one read
      dpop === undefined
        ? cached
        : Effect.flatMap(cached, (token) =>
            bound(token)
              ? Effect.succeed(token)
              : Effect.zipRight(
                  cache.invalidate(key, token),
                  // read once more, never loop: what another process wrote meanwhile must be bound too
                  Effect.filterOrFail(
                    cached,
                    bound,
                    () => new InvalidToken({ reason: "the cached token is bound to another DPoP key" })
                  )
                )
          ),
      (token) => isHeaderValue(Redacted.value(token.accessToken)),
      () => new InvalidToken({ reason: `the access token cannot be sent in a header: it ${headerValueReason}` })
    )

    const retryUnauthorized = options.retryUnauthorized ?? Schedule.once
    return HttpAuth.fromExchange(
      <E, R>(request: HttpClientRequest.HttpClientRequest, send: HttpAuth.Send<E, R>) => {
        const authorized = (current: Token.Token) =>
          HttpClientRequest.setHeader(request, name, fillTemplate(template, Redacted.value(current.accessToken)))
        const sent = (current: Token.Token): Effect.Effect<HttpClientResponse.HttpClientResponse, E | AuthError, R> =>
          dpop === undefined ? send(authorized(current)) : sendProved(dpop, authorized(current), current, send)
        const attempt: Effect.Effect<HttpClientResponse.HttpClientResponse | Unauthorized, E | AuthError, R> =
          Effect.flatMap(token, (current) =>
            Effect.flatMap<
              HttpClientResponse.HttpClientResponse,
              E | AuthError,
              R,
              HttpClientResponse.HttpClientResponse | Unauthorized,
              never,
              never
            >(sent(current), (response) =>
              response.status === 401
                ? cache.invalidate(key, current).pipe(Effect.as(new Unauthorized({ response, token: current })))
                : Effect.succeed<HttpClientResponse.HttpClientResponse | Unauthorized>(response)
            )
          )
        // RFC 6750 section 3.1: the resource server refused the token; it is dropped, and the
        // schedule (default: once) decides whether to send again with a fresh one
        const again = (
          driver: Schedule.ScheduleDriver<unknown, HttpClientResponse.HttpClientResponse>,
          refused: HttpClientResponse.HttpClientResponse
        ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | AuthError, R> =>
          Effect.matchEffect(driver.next(refused), {
            onFailure: () => Effect.succeed(refused),
            // the refused response's body is dropped (a bounded read: an endless body cannot hold the retry)
            onSuccess: () =>
              Effect.flatMap(Effect.zipRight(discard(refused), attempt), (answer) =>
                isUnauthorized(answer) ? again(driver, answer.response) : Effect.succeed(answer)
              )
          })
        // the driver is made on a 401 only: the hot path allocates nothing for it
        return Effect.flatMap(attempt, (answer) =>
          isUnauthorized(answer)
            ? Effect.flatMap(Schedule.driver(retryUnauthorized), (driver) => again(driver, answer.response))
            : Effect.succeed(answer)
        )
      },
      // on a redirect to another origin, the proof is dropped with the token
      { headers: dpop === undefined ? [name] : [name, "DPoP"], params: [] }
    )
  })
