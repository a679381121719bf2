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
import * as HttpAuth from "../HttpAuth.js"
import type { MakeOptions } from "../OAuth2.js"
import * as Token from "../Token.js"
import * as TokenCache from "../TokenCache.js"
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

export const make = (
  scheme: string,
  options: MakeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, Scope.Scope> =>
  Effect.gen(function* () {
    const name = yield* validateCredentialHeader(options.headerName ?? "Authorization", scheme, "headerName")
    const template = options.headerValue ?? "Bearer {token}"
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

    const fetch = (expired: Option.Option<Token.Token>): Effect.Effect<Token.Token, AuthError> => {
      const renewed =
        Option.isSome(expired) && expired.value.refreshToken !== undefined && refresh !== undefined
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
      return Effect.tap(renewed, onToken)
    }
    const getOptions = { earlyExpiry }
    // a token no header can carry (from any grant, or a tampered cache) is a typed error, never a defect in the client
    const token = Effect.filterOrFail(
      cache.getOrFetch(key, fetch, getOptions),
      (token) => isHeaderValue(Redacted.value(token.accessToken)),
      () => new InvalidToken({ reason: `the access token cannot be sent in a header: it ${headerValueReason}` })
    )

    const retryUnauthorized = options.retryUnauthorized ?? Schedule.once
    return HttpAuth.fromExchange(
      <E, R>(request: HttpClientRequest.HttpClientRequest, send: HttpAuth.Send<E, R>) => {
        const attempt: Effect.Effect<HttpClientResponse.HttpClientResponse | Unauthorized, E | AuthError, R> =
          Effect.flatMap(token, (current) =>
            Effect.flatMap<
              HttpClientResponse.HttpClientResponse,
              E,
              R,
              HttpClientResponse.HttpClientResponse | Unauthorized,
              never,
              never
            >(
              send(
                HttpClientRequest.setHeader(request, name, fillTemplate(template, Redacted.value(current.accessToken)))
              ),
              (response) =>
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
            // the refused response's body is read and dropped, so its connection can serve again
            onSuccess: () =>
              Effect.flatMap(Effect.zipRight(Effect.ignore(refused.arrayBuffer), attempt), (answer) =>
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
      { headers: [name], params: [] }
    )
  })
