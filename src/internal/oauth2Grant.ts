/**
 * What the grants share, for every grant built on the engine (here and in
 * the browser grants): the common options checked, the token request, the
 * engine options, the refresh grant, the client authentication method.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AuthError, InvalidOptions } from "../AuthError.js"
import type * as ClientAuth from "../ClientAuth.js"
import type { TokenOptions } from "../OAuth2.js"
import type * as Token from "../Token.js"
import * as TokenEndpoint from "../TokenEndpoint.js"
import { validateDuration, validateNonEmpty, validateUrl } from "./oauth2Options.js"
import { invalid, resolveText, type TextInput } from "./options.js"

/** Form fields that have options of their own. */
const reserved = new Set(["grant_type", "client_id", "client_secret", "username", "password", "refresh_token"])

/** The options common to the grants, checked. */
export const common = (scheme: string, options: TokenOptions & { readonly tokenUrl: TextInput }) =>
  Effect.gen(function* () {
    const tokenUrl = yield* Effect.flatMap(resolveText(options.tokenUrl, scheme, "tokenUrl"), (url) =>
      validateUrl(url, scheme, "tokenUrl")
    )
    const tokenField = yield* validateNonEmpty(options.tokenField ?? "access_token", scheme, "tokenField")
    const timeout = yield* validateDuration(options.timeout, "60 seconds", scheme, "timeout", { positive: true })
    const defaultLifetime = yield* validateDuration(options.defaultLifetime, "1 hour", scheme, "defaultLifetime")
    const extraParams = options.extraParams ?? {}
    for (const name of Object.keys(extraParams)) {
      if (reserved.has(name)) {
        return yield* Effect.fail(invalid(scheme, "extraParams", `must not set ${name}: it has an option of its own`))
      }
    }
    const client = yield* HttpClient.HttpClient
    const request = (params: Readonly<Record<string, string>>, clientAuth: ClientAuth.ClientAuth | undefined) =>
      TokenEndpoint.request(client, {
        tokenUrl,
        params,
        clientAuth,
        tokenField,
        timeout,
        defaultLifetime,
        retry: options.retry
      })
    return { tokenUrl, extraParams, request }
  })

export const engineOptions = (options: TokenOptions) => ({
  headerName: options.headerName,
  headerValue: options.headerValue,
  earlyExpiry: options.earlyExpiry,
  retryUnauthorized: options.retryUnauthorized,
  onToken: options.onToken,
  cache: options.cache
})

export const refreshWith =
  (
    request: (
      params: Readonly<Record<string, string>>,
      clientAuth: ClientAuth.ClientAuth | undefined
    ) => Effect.Effect<Token.Token, AuthError>,
    clientAuth: ClientAuth.ClientAuth | undefined
  ) =>
  (expired: Token.Token) =>
    expired.refreshToken === undefined
      ? Effect.die("refresh without a refresh token")
      : request({ grant_type: "refresh_token", refresh_token: Redacted.value(expired.refreshToken) }, clientAuth)

const methods: ReadonlyArray<ClientAuth.Method> = ["client_secret_basic", "client_secret_post", "none"]

export const validateMethod = (
  method: ClientAuth.Method,
  scheme: string
): Effect.Effect<ClientAuth.Method, InvalidOptions> =>
  methods.includes(method)
    ? Effect.succeed(method)
    : Effect.fail(invalid(scheme, "clientAuth", `must be one of ${methods.join(", ")}, not ${JSON.stringify(method)}`))
