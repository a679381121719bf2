/**
 * Token revocation (RFC 7009) and introspection (RFC 7662): form POSTs to
 * another endpoint of the authorization server, with the client's own
 * authentication, their endpoints given or discovered.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { type AuthError, AuthenticationFailed, DiscoveryError, type InvalidOptions, OAuth2Error } from "../AuthError.js"
import * as Discovery from "../Discovery.js"
import type * as ClientAuth from "../ClientAuth.js"
import type * as DPoP from "../DPoP.js"
import type {
  EngineOptions,
  IntrospectOptions,
  IntrospectionResponse,
  IssuerOptions,
  RevokeOnCloseOptions,
  RevokeOptions,
  UserinfoOptions
} from "../OAuth2.js"
import * as TokenCache from "../TokenCache.js"
import { checkIssuer } from "./discovery.js"
import { send } from "./http.js"
import { client, endpointOf, engineOptions, type Issuer, isMutualTls } from "./oauth2Grant.js"
import { validateDuration, validateUrl } from "./oauth2Options.js"
import { invalid, resolveSecret, resolveText, type TextInput } from "./options.js"
import { errorOf, errorOfBody, parseBody } from "./tokenResponse.js"

type EndpointField = "revocation_endpoint" | "introspection_endpoint" | "userinfo_endpoint"

/** The endpoint given, else the issuer's (through the `Discovery` in context, else fetched once now). */
const locate = (
  scheme: string,
  given: TextInput | undefined,
  option: string,
  issuerInput: TextInput | undefined,
  field: EndpointField,
  mtls = false
): Effect.Effect<string, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    if (given !== undefined) {
      return yield* Effect.flatMap(resolveText(given, scheme, option), (url) => validateUrl(url, scheme, option))
    }
    if (issuerInput === undefined)
      return yield* Effect.fail(invalid(scheme, option, "is mandatory, unless issuer is given"))
    const issuer = yield* resolveText(issuerInput, scheme, "issuer")
    const reason = checkIssuer(issuer)
    if (reason !== undefined) return yield* Effect.fail(invalid(scheme, "issuer", reason))
    const service = yield* Effect.serviceOption(Discovery.Discovery)
    const metadata = Option.isSome(service)
      ? yield* service.value.get(issuer)
      : yield* Effect.flatMap(HttpClient.HttpClient, (http) => Discovery.fetch(http, issuer))
    const url = endpointOf(metadata, field, mtls)
    if (url === undefined) {
      return yield* Effect.fail(
        new DiscoveryError({ issuer, reason: `its metadata has no ${field}: give the endpoint's URL as an option` })
      )
    }
    return url
  })

/** A `ClientAuth` value given as is (an mTLS one is never an Effect). */
const clientAuthOf = (options: RevokeOptions | IntrospectOptions) =>
  typeof options.clientAuth === "object" && !Effect.isEffect(options.clientAuth) ? options.clientAuth : undefined

/** One form POST with client authentication; the answer's status and text. */
const post = (
  scheme: string,
  options: RevokeOptions | IntrospectOptions,
  url: string,
  params: Readonly<Record<string, string>>
) =>
  Effect.gen(function* () {
    const owner = yield* client(scheme, options, { clientId: true, clientSecret: false })
    const timeout = yield* validateDuration(options.timeout, "30 seconds", scheme, "timeout", { positive: true })
    const base = { tokenUrl: url, params, headers: {} }
    const prepared = owner.clientAuth === undefined ? base : yield* owner.clientAuth.apply(base)
    const http = yield* HttpClient.HttpClient
    const request = HttpClientRequest.post(prepared.tokenUrl).pipe(
      HttpClientRequest.setHeaders({ ...prepared.headers, accept: "application/json" }),
      HttpClientRequest.bodyUrlParams(prepared.params)
    )
    return yield* sendTo(http, request, { scheme, url, timeout })
  })

/**
 * Sends one request to an endpoint of the server and reads its answer (at most 1 MiB) within `timeout`.
 * The client's errors hold the request, with the client's credentials or a bearer token: none is kept.
 */
const sendTo = (
  http: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  { scheme, timeout, url }: { readonly scheme: string; readonly url: string; readonly timeout: Duration.Duration }
) =>
  Effect.map(
    send(http, request, {
      timeout,
      maxBytes: 1024 * 1024,
      words: {
        timeout: `${url} gave no answer`,
        unreachable: `could not reach ${url}`,
        unreadable: `could not read the answer of ${url}`
      },
      error: (reason) => new AuthenticationFailed({ scheme, reason })
    }),
    ({ response, text }) => ({ status: response.status, text, contentType: response.headers["content-type"] ?? "" })
  )

/** The token and its hint as form fields. */
const tokenParams = (scheme: string, options: RevokeOptions | IntrospectOptions) =>
  Effect.map(resolveSecret(options.token, scheme, "token"), (token) => ({
    token: Redacted.value(token),
    ...(options.tokenTypeHint === undefined ? {} : { token_type_hint: options.tokenTypeHint })
  }))

/** An error answer as `OAuth2Error` (RFC 7009 section 2.2.1, RFC 7662 section 2.3 refer to RFC 6749 section 5.2). */
const failure = (status: number, text: string | undefined, contentType: string): OAuth2Error => {
  if (text === undefined) return new OAuth2Error({ error: "invalid_response", status, body: "(larger than 1 MiB)" })
  const parsed = parseBody(text, contentType)
  return Either.isRight(parsed) && typeof parsed.right.error === "string"
    ? errorOf(parsed.right, status, "access_token")
    : errorOfBody(status, text)
}

export const revoke = (options: RevokeOptions): Effect.Effect<void, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const scheme = "OAuth2.revoke"
    const params = yield* tokenParams(scheme, options)
    const url = yield* locate(
      scheme,
      options.revocationUrl,
      "revocationUrl",
      options.issuer,
      "revocation_endpoint",
      isMutualTls(clientAuthOf(options))
    )
    const answer = yield* post(scheme, options, url, params)
    // RFC 7009 section 2.2: 200 whether or not the token was valid; the body is ignored
    if (answer.status !== 200) return yield* Effect.fail(failure(answer.status, answer.text, answer.contentType))
  })

const decodeIntrospection = (schema: Schema.Schema<IntrospectionResponse, any>) => Schema.decodeUnknownEither(schema)

export const introspect = (
  options: IntrospectOptions,
  schema: Schema.Schema<IntrospectionResponse, any>
): Effect.Effect<IntrospectionResponse, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const scheme = "OAuth2.introspect"
    const params = yield* tokenParams(scheme, options)
    const url = yield* locate(
      scheme,
      options.introspectionUrl,
      "introspectionUrl",
      options.issuer,
      "introspection_endpoint",
      isMutualTls(clientAuthOf(options))
    )
    const answer = yield* post(scheme, options, url, params)
    if (answer.status !== 200 || answer.text === undefined) {
      return yield* Effect.fail(failure(answer.status, answer.text, answer.contentType))
    }
    const parsed = parseBody(answer.text, answer.contentType)
    const decoded = Either.isRight(parsed) ? decodeIntrospection(schema)(parsed.right) : undefined
    if (decoded === undefined || Either.isLeft(decoded)) {
      // RFC 7662 section 2.2: "active" is required
      return yield* Effect.fail(errorOfBody(answer.status, answer.text))
    }
    return decoded.right
  })

/**
 * `revokeOnClose`: the engine options with the cache made explicit (the
 * finalizer must read the same one), and a finalizer on the grant's scope
 * that revokes the cached refresh token, then the access token (RFC 7009
 * section 2.1: revoking the refresh token may revoke its access tokens too),
 * and drops them. A failure is logged, never raised: the program is ending.
 */
export const revokeOnClose = (
  scheme: string,
  options: EngineOptions & RevokeOnCloseOptions & IssuerOptions,
  owner: { readonly clientAuth: ClientAuth.ClientAuth | undefined; readonly dpop?: DPoP.Prover | undefined },
  located: Issuer | undefined,
  key: string
): Effect.Effect<ReturnType<typeof engineOptions>, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const engine = engineOptions(options, owner.dpop)
    if (options.revokeOnClose !== true) return engine
    const url =
      options.revocationUrl !== undefined
        ? Effect.succeed(
            yield* Effect.flatMap(resolveText(options.revocationUrl, scheme, "revocationUrl"), (url) =>
              validateUrl(url, scheme, "revocationUrl")
            )
          )
        : located !== undefined
          ? located.endpoint("revocation_endpoint", isMutualTls(owner.clientAuth))
          : yield* Effect.fail(invalid(scheme, "revocationUrl", "is needed with revokeOnClose, unless issuer is given"))
    const cache =
      options.cache ??
      Option.getOrUndefined(yield* Effect.serviceOption(TokenCache.TokenCache)) ??
      (yield* TokenCache.make())
    const http = yield* HttpClient.HttpClient
    const revokeOne = (endpoint: string, token: string, hint: string) =>
      Effect.gen(function* () {
        const base = { tokenUrl: endpoint, params: { token, token_type_hint: hint }, headers: {} }
        const prepared = owner.clientAuth === undefined ? base : yield* owner.clientAuth.apply(base)
        // bounded like every request of the flow: at most 1 MiB of the answer, read within 10 s
        const answer = yield* sendTo(
          http,
          HttpClientRequest.post(prepared.tokenUrl).pipe(
            HttpClientRequest.setHeaders({ ...prepared.headers, accept: "application/json" }),
            HttpClientRequest.bodyUrlParams(prepared.params)
          ),
          { scheme, url: prepared.tokenUrl, timeout: Duration.seconds(10) }
        )
        if (answer.status !== 200) {
          return yield* Effect.fail(`the revocation endpoint answered HTTP ${answer.status}`)
        }
      }).pipe(
        // sendTo's errors name the endpoint and the failure's kind, never the request (the token)
        Effect.catchAll((error) =>
          Effect.logWarning(
            `${scheme}: revokeOnClose could not revoke the ${hint}: ${typeof error === "string" ? error : error.reason}`
          )
        )
      )
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        const cached = yield* cache.get(key)
        if (Option.isNone(cached)) return
        const endpoint = yield* Effect.either(url)
        if (endpoint._tag === "Left") {
          return yield* Effect.logWarning(`${scheme}: revokeOnClose: ${endpoint.left.message}`)
        }
        if (cached.value.refreshToken !== undefined) {
          yield* revokeOne(endpoint.right, Redacted.value(cached.value.refreshToken), "refresh_token")
        }
        yield* revokeOne(endpoint.right, Redacted.value(cached.value.accessToken), "access_token")
        yield* cache.invalidate(key)
      })
    )
    return { ...engine, cache }
  })

export const userinfo = (
  options: UserinfoOptions
): Effect.Effect<Readonly<Record<string, unknown>>, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const scheme = "OAuth2.userinfo"
    const accessToken = yield* resolveSecret(options.accessToken, scheme, "accessToken")
    const url = yield* locate(scheme, options.userinfoUrl, "userinfoUrl", options.issuer, "userinfo_endpoint")
    const http = yield* HttpClient.HttpClient
    const request = HttpClientRequest.get(url).pipe(
      HttpClientRequest.setHeaders({
        authorization: `Bearer ${Redacted.value(accessToken)}`,
        accept: "application/json"
      })
    )
    const answer = yield* sendTo(http, request, { scheme, url, timeout: Duration.seconds(30) })
    if (answer.status !== 200 || answer.text === undefined) {
      return yield* Effect.fail(failure(answer.status, answer.text, answer.contentType))
    }
    const parsed = parseBody(answer.text, "application/json")
    if (Either.isLeft(parsed)) return yield* Effect.fail(errorOfBody(answer.status, answer.text))
    return parsed.right
  })
