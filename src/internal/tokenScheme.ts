/**
 * What the token schemes (Bearer, Basic, ApiKey, HttpAuth.header) share:
 * where a token comes from (a value fixed when the auth is built, or an
 * `Effect` run for every request) and a header scheme built on it.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AuthError from "../AuthError.js"
import type { Credentials, HttpAuth, TokenInput } from "../HttpAuth.js"
import { withBuildContext } from "./client.js"
import { fromRequest, make } from "./httpAuth.js"
import {
  fillTemplate,
  hasLineBreak,
  headerValueReason,
  isHeaderValue,
  resolveSecret,
  type Secret,
  type SecretInput,
  validateCredentialHeader,
  validateHeaderValue,
  validateTemplate
} from "./options.js"

/**
 * Where a scheme's token comes from: a value fixed when the auth is built,
 * or an `Effect` run for every request.
 */
export type TokenSource =
  | { readonly _tag: "Static"; readonly value: string }
  | { readonly _tag: "PerRequest"; readonly value: Effect.Effect<string, AuthError.AuthError> }

export const tokenSource = <E, R>(
  token: TokenInput<E, R>,
  scheme: string,
  option: string,
  /** A header carries a narrower set of characters than a (percent-encoded) URL parameter. */
  carrier: "header" | "query" = "header"
): Effect.Effect<TokenSource, AuthError.InvalidOptions, R> => {
  const checked = carrier === "header" ? isHeaderValue : () => true
  if (Effect.isEffect(token) && !Config.isConfig(token)) {
    const perRequest = token as Effect.Effect<Secret, E, R>
    return Effect.map(Effect.context<R>(), (context) => ({
      _tag: "PerRequest" as const,
      value: perRequest.pipe(
        (effect) => withBuildContext(effect, context),
        Effect.mapError(
          (cause) => new AuthError.AuthenticationFailed({ scheme, reason: `the ${option} Effect failed`, cause })
        ),
        Effect.flatMap((secret) => {
          const value = secretValue(secret)
          if (value === "") {
            return Effect.fail(
              new AuthError.AuthenticationFailed({ scheme, reason: `the ${option} Effect gave an empty token` })
            )
          }
          if (hasLineBreak(value) || !checked(value)) {
            return Effect.fail(
              new AuthError.AuthenticationFailed({
                scheme,
                reason: hasLineBreak(value)
                  ? `the ${option} Effect gave a token with CR, LF or NUL characters`
                  : `the ${option} Effect gave a token that no header can carry: it ${headerValueReason}`
              })
            )
          }
          return Effect.succeed(value)
        })
      )
    }))
  }
  return resolveSecret(token as SecretInput, scheme, option).pipe(
    Effect.flatMap((secret) =>
      carrier === "header"
        ? validateHeaderValue(secretValue(secret), scheme, option)
        : Effect.succeed(secretValue(secret))
    ),
    Effect.map((value) => ({ _tag: "Static" as const, value }))
  )
}

/**
 * A scheme that puts the token into each request with `f`. A static token
 * takes the synchronous `mapRequest` path: no Effect runs per request, which
 * keeps a static scheme within a few percent of a bare client (bench/).
 */
export const fromTokenSource = (
  source: TokenSource,
  f: (request: HttpClientRequest.HttpClientRequest, token: string) => HttpClientRequest.HttpClientRequest,
  credentials: Credentials
): HttpAuth => {
  if (source._tag === "Static") {
    const token = source.value
    return make((client) => HttpClient.mapRequest(client, (request) => f(request, token)), credentials)
  }
  const perRequest = source.value
  return fromRequest((request) => Effect.map(perRequest, (token) => f(request, token)), credentials)
}

const secretValue = (secret: Secret) => (typeof secret === "string" ? secret : Redacted.value(secret))

export const headerScheme = <E, R>(
  scheme: string,
  header: { readonly headerName: string; readonly headerValue: string },
  token: { readonly value: TokenInput<E, R>; readonly option: string }
): Effect.Effect<HttpAuth, AuthError.InvalidOptions, R> =>
  Effect.gen(function* () {
    const name = yield* validateCredentialHeader(header.headerName, scheme, "headerName")
    const template = header.headerValue
    yield* validateTemplate(template, scheme, "headerValue")
    const source = yield* tokenSource(token.value, scheme, token.option)
    const credentials = { headers: [name], params: [] }
    if (source._tag === "Static") {
      // filled once: a static token gives the same header value on every request
      const value = fillTemplate(template, source.value)
      return fromTokenSource(source, (request) => HttpClientRequest.setHeader(request, name, value), credentials)
    }
    return fromTokenSource(
      source,
      (request, token) => HttpClientRequest.setHeader(request, name, fillTemplate(template, token)),
      credentials
    )
  })
