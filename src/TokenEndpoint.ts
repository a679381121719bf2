/**
 * Token requests (RFC 6749 sections 4.4.2, 4.3.2, 6): a form POST with
 * `Accept: application/json`, client authentication, a per-attempt timeout,
 * retries of transient failures on a `Schedule` (honouring `Retry-After`),
 * and the answer decoded into a `Token` or a tagged error.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import { AuthenticationFailed, GrantNotProvided, InvalidToken, type OAuth2Error } from "./AuthError.js"
import { send, transportCause, transportCode } from "./internal/http.js"
import { headerValueReason, isHeaderValue } from "./internal/options.js"
import type * as ClientAuth from "./ClientAuth.js"
import type * as DPoP from "./DPoP.js"
import { errorOf, errorOfBody, parseBody } from "./internal/tokenResponse.js"
import * as Token from "./Token.js"

/**
 * A failure worth another attempt: a 5xx, a 429, a connection error or a
 * timeout. The retry `Schedule` gets these as its input.
 *
 * @example
 * ```ts
 * import { TokenEndpoint } from "effect-http-auth"
 * import { Schedule } from "effect"
 *
 * // retry 503s only, three times
 * const retry = Schedule.recurs(3).pipe(
 *   Schedule.whileInput((failure: TokenEndpoint.TransientFailure) => failure.status === 503)
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class TransientFailure extends Data.TaggedClass("TransientFailure")<{
  readonly reason: string
  readonly status?: number | undefined
  readonly body?: string | undefined
  /** From `Retry-After`: the next attempt waits at least this long. */
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** The token endpoint. */
  readonly tokenUrl: string
  /** The form fields: `grant_type` and the grant's own. */
  readonly params: Readonly<Record<string, string>>
  /** Client authentication. Default: none (the params carry whatever the grant needs). */
  readonly clientAuth?: ClientAuth.ClientAuth | undefined
  /** The response field that holds the token. Default `"access_token"`. */
  readonly tokenField?: string | undefined
  /** Lifetime of a token that says nothing of its expiry. Default 1 hour. */
  readonly defaultLifetime?: Duration.DurationInput | undefined
  /** Time allowed to each attempt, answer included. Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** When to try again after a transient failure. Default `defaultRetry`. */
  readonly retry?: Schedule.Schedule<unknown, TransientFailure> | undefined
  /**
   * The longest `Retry-After` honoured; a server that asks for more fails
   * the request with `AuthenticationFailed` saying what it asked. Default 60 seconds.
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** The largest answer read; a larger one is `AuthenticationFailed`, unread. Default 1 MiB. */
  readonly maxResponseBytes?: number | undefined
  /** Adjusts each token request after client authentication (a compliance hook). */
  readonly tokenRequest?: RequestHook | undefined
  /** Repairs each decoded answer before it is read (a compliance hook). */
  readonly tokenResponse?: ResponseHook | undefined
  /**
   * RFC 9449: a DPoP proof on each attempt, the server's nonce remembered
   * (and one resend on `use_dpop_nonce`), and a `token_type` other than
   * `DPoP` refused with `InvalidToken`.
   */
  readonly dpop?: DPoP.Prover | undefined
}

/**
 * A compliance hook on token requests (Authlib's
 * `access_token_request`): gets the form and headers after client
 * authentication, gives those to send.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestHook = (request: ClientAuth.TokenRequest) => ClientAuth.TokenRequest

/**
 * A compliance hook on token responses (Authlib's
 * `access_token_response`): gets the decoded fields of each answer
 * (success or error) and the response (status, headers; its body already
 * read), gives the fields to read, so that a provider's non-standard answer
 * (a nested token, `expires` for `expires_in`) becomes RFC 6749's.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseHook = (
  fields: Record<string, unknown>,
  response: HttpClientResponse.HttpClientResponse
) => Record<string, unknown>

/** A hook that throws is the user's bug; its error may quote a token, so only its name is kept. */
const runHook = <A>(hook: string, run: () => A): Either.Either<A, AuthenticationFailed> => {
  try {
    return Either.right(run())
  } catch (error) {
    return Either.left(
      new AuthenticationFailed({
        scheme: "TokenEndpoint",
        reason: `the ${hook} hook threw ${error instanceof Error ? error.name : typeof error}`
      })
    )
  }
}

/**
 * Up to 4 more attempts, 0.5 s apart doubling to at most 10 s, with jitter.
 *
 * @example
 * ```ts
 * import { OAuth2, TokenEndpoint } from "effect-http-auth"
 * import { Schedule } from "effect"
 *
 * // at most one more attempt, on top of the default's delays
 * const retry = Schedule.intersect(TokenEndpoint.defaultRetry, Schedule.recurs(1))
 * const auth = OAuth2.clientCredentials({ tokenUrl: "https://issuer.example/token", clientId: "a", clientSecret: "s", retry })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRetry: Schedule.Schedule<unknown, TransientFailure> = Schedule.exponential("500 millis").pipe(
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(4))
)

type Final = Either.Either<Token.Token, OAuth2Error | GrantNotProvided | InvalidToken | AuthenticationFailed>

const final = (error: AuthenticationFailed): Final => Either.left(error)

const transientStatus = (status: number) => status === 429 || status === 408 || (status >= 500 && status <= 599)

/** RFC 9110 section 10.2.3: seconds, or an HTTP date. */
const retryAfterOf = (header: string | undefined, now: number): Duration.Duration | undefined => {
  if (header === undefined) return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Duration.seconds(Number(value))
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

/** The schedule, waiting at least as long as the server's `Retry-After`. */
const honourRetryAfter = (schedule: Schedule.Schedule<unknown, TransientFailure>) =>
  Schedule.intersect(schedule, Schedule.identity<TransientFailure>()).pipe(
    Schedule.modifyDelay(([, failure], delay) =>
      failure.retryAfter !== undefined && Duration.greaterThan(failure.retryAfter, delay) ? failure.retryAfter : delay
    )
  )

/**
 * Sends a token request through `client` and decodes the answer: a `Token`,
 * or `OAuth2Error` (RFC 6749 section 5.2, or a body that is no token
 * response), `GrantNotProvided` (a success without the token field), or
 * `AuthenticationFailed` (the endpoint could not be reached).
 *
 * @example
 * ```ts
 * import { ClientAuth, TokenEndpoint } from "effect-http-auth"
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const token = Effect.flatMap(HttpClient.HttpClient, (client) =>
 *   TokenEndpoint.request(client, {
 *     tokenUrl: "https://issuer.example/token",
 *     params: { grant_type: "client_credentials", scope: "read" },
 *     clientAuth: ClientAuth.clientSecretBasic("app", Redacted.make("s3cret"))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  client: HttpClient.HttpClient,
  options: RequestOptions
): Effect.Effect<Token.Token, OAuth2Error | GrantNotProvided | InvalidToken | AuthenticationFailed> =>
  requestExpecting(client, options, "token")

/**
 * What an endpoint answers: `"token"`, a token response (RFC 6749 section
 * 5.1), whose `token_type` must be `DPoP` when a proof was sent (RFC 9449
 * section 5); `"other"`, the answer of another endpoint of the server that
 * takes the same form and client authentication (the device authorization
 * endpoint, RFC 8628 section 3.2; the PAR endpoint, RFC 9126 section 2.2,
 * proved with the key per RFC 9449 section 10.1): no token response, so no
 * `token_type` is checked, and `tokenField` names the field read.
 *
 * @internal
 */
export type Expect = "token" | "other"

/**
 * `request`, told what the endpoint answers (`Expect`).
 *
 * @internal
 */
export const requestExpecting = (
  client: HttpClient.HttpClient,
  options: RequestOptions,
  expect: Expect
): Effect.Effect<Token.Token, OAuth2Error | GrantNotProvided | InvalidToken | AuthenticationFailed> =>
  Effect.gen(function* () {
    const tokenField = options.tokenField ?? "access_token"
    const timeout = Duration.decode(options.timeout ?? "60 seconds")
    const maxRetryAfter = Duration.decode(options.maxRetryAfter ?? "60 seconds")
    const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024
    const base: ClientAuth.TokenRequest = { tokenUrl: options.tokenUrl, params: options.params, headers: {} }
    const authenticated = options.clientAuth === undefined ? base : yield* options.clientAuth.apply(base)
    const tokenRequest = options.tokenRequest
    const prepared =
      tokenRequest === undefined ? authenticated : yield* runHook("tokenRequest", () => tokenRequest(authenticated))
    const httpRequest = HttpClientRequest.post(prepared.tokenUrl).pipe(
      HttpClientRequest.setHeaders({ ...prepared.headers, accept: "application/json" }),
      HttpClientRequest.bodyUrlParams(prepared.params)
    )

    const dpop = options.dpop
    // RFC 9449 section 8: one resend with the server's nonce, never a loop
    let nonceResent = false
    const attempt: Effect.Effect<Final, TransientFailure> = Effect.gen(function* () {
      let sent = httpRequest
      if (dpop !== undefined) {
        const proof = yield* Effect.either(dpop.proof({ method: "POST", url: prepared.tokenUrl }))
        if (Either.isLeft(proof)) return final(proof.left)
        sent = HttpClientRequest.setHeader(httpRequest, "DPoP", proof.right)
      }
      const answered = yield* send(client, sent, {
        timeout,
        maxBytes: maxResponseBytes,
        words: { timeout: "no answer", unreachable: "could not connect", unreadable: "could not read the answer" },
        // the client's errors hold the token request, client credentials included: never kept (transportCause)
        error: (reason, failure) =>
          // a closed connection pool never opens again: no retry, and the usual cause named
          failure?._tag === "RequestError" && transportCode(failure) === "UND_ERR_DESTROYED"
            ? new AuthenticationFailed({
                scheme: "TokenEndpoint",
                reason: `the token endpoint ${prepared.tokenUrl} was not asked: the HttpClient's connection pool is closed (UND_ERR_DESTROYED). A Layer given with Effect.provide around the auth closes once the auth is built: give it as the grant's tokenClient option instead`,
                cause: transportCause(failure)
              })
            : new TransientFailure({ reason, ...(failure === undefined ? {} : { cause: transportCause(failure) }) })
      }).pipe(Effect.catchTag("AuthenticationFailed", (error) => Effect.succeed(final(error))))
      if (Either.isEither(answered)) return answered
      const { response, text } = answered
      const now = yield* Clock.currentTimeMillis
      const status = response.status
      const nonce = response.headers["dpop-nonce"]
      if (dpop !== undefined && nonce !== undefined) {
        dpop.rememberNonce(prepared.tokenUrl, nonce)
        if (status === 400 && !nonceResent && text !== undefined && asksNonce(text, response)) {
          nonceResent = true
          return yield* attempt
        }
      }
      if (text === undefined) {
        return final(
          new AuthenticationFailed({
            scheme: "TokenEndpoint",
            reason: `the token endpoint ${prepared.tokenUrl} answered HTTP ${status} with a body larger than ${maxResponseBytes} bytes (maxResponseBytes): not read`
          })
        )
      }
      if (transientStatus(status)) {
        const retryAfter = retryAfterOf(response.headers["retry-after"], now)
        // RFC 9110 section 10.2.3: the server's wait is honoured up to a bound, never for a day
        if (retryAfter !== undefined && Duration.greaterThan(retryAfter, maxRetryAfter)) {
          return final(
            new AuthenticationFailed({
              scheme: "TokenEndpoint",
              reason: `the token endpoint ${prepared.tokenUrl} answered HTTP ${status} and asked to wait ${Duration.format(retryAfter)} (Retry-After) before trying again, more than maxRetryAfter (${Duration.format(maxRetryAfter)}): try later, or raise maxRetryAfter`
            })
          )
        }
        return yield* Effect.fail(new TransientFailure({ reason: `HTTP ${status}`, status, body: text, retryAfter }))
      }
      return decode(response, text, now) as Final
    })

    // final answers (a token, an RFC 6749 error) come back as an Either: only transient failures are retried
    const decode = (
      response: HttpClientResponse.HttpClientResponse,
      text: string,
      now: number
    ): Either.Either<Token.Token, OAuth2Error | GrantNotProvided | InvalidToken | AuthenticationFailed> => {
      const status = response.status
      const parsed = parseBody(text, response.headers["content-type"] ?? "")
      if (Either.isLeft(parsed)) return Either.left(errorOfBody(status, text))
      const hook = options.tokenResponse
      const repaired =
        hook === undefined ? Either.right(parsed.right) : runHook("tokenResponse", () => hook(parsed.right, response))
      if (Either.isLeft(repaired)) return Either.left(repaired.left)
      const fields = repaired.right
      if (!Predicate.isRecord(fields)) {
        return Either.left(
          new AuthenticationFailed({ scheme: "TokenEndpoint", reason: "the tokenResponse hook gave no object" })
        )
      }
      if (status < 200 || status > 299 || "error" in fields) return Either.left(errorOf(fields, status, tokenField))
      const value = fields[tokenField]
      if (typeof value !== "string" || value === "") {
        return Either.left(new GrantNotProvided({ field: tokenField, received: Object.keys(fields) }))
      }
      if (!isHeaderValue(value)) {
        return Either.left(
          new InvalidToken({
            reason: `the token endpoint sent a token that no header can carry: it ${headerValueReason}`
          })
        )
      }
      const token = Token.fromResponse(fields, now, { tokenField, defaultLifetime: options.defaultLifetime })
      // RFC 9449 section 5: a server that ignored the proof answers Bearer; such a token is not sender-constrained
      if (expect === "token" && dpop !== undefined && token.tokenType.toLowerCase() !== "dpop") {
        return Either.left(
          new InvalidToken({
            reason: `the token endpoint answered token_type ${JSON.stringify(token.tokenType)} to a DPoP proof, not "DPoP": the token is not bound to the key (RFC 9449 section 5); does the server support DPoP?`
          })
        )
      }
      return Either.right(token)
    }

    return yield* attempt.pipe(
      Effect.retry(honourRetryAfter(options.retry ?? defaultRetry)),
      Effect.flatten,
      Effect.catchTag("TransientFailure", (failure) =>
        Effect.fail(
          failure.status === undefined
            ? new AuthenticationFailed({
                scheme: "TokenEndpoint",
                reason: `the token endpoint ${prepared.tokenUrl} failed: ${failure.reason}`,
                cause: failure.cause
              })
            : finalError(failure.status, failure.body ?? "", tokenField)
        )
      )
    )
  })

/** RFC 9449 section 8: the authorization server's 400 `use_dpop_nonce`. */
const asksNonce = (text: string, response: HttpClientResponse.HttpClientResponse) => {
  const parsed = parseBody(text, response.headers["content-type"] ?? "")
  return Either.isRight(parsed) && parsed.right.error === "use_dpop_nonce"
}

/** The last transient answer as an error: its RFC 6749 error if it has one. */
const finalError = (status: number, body: string, tokenField: string) => {
  const parsed = parseBody(body, "")
  if (Either.isRight(parsed) && typeof parsed.right.error === "string") return errorOf(parsed.right, status, tokenField)
  return errorOfBody(status, body, status === 503 || status === 429 ? "temporarily_unavailable" : "server_error")
}
