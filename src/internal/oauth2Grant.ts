/**
 * The one options core of every OAuth 2 grant, machine and browser alike:
 * the client (`clientId`, `clientSecret`, `clientAuth`, `scope`), the token
 * endpoint (`tokenUrl`, `tokenField`, `tokenTimeout`, `defaultLifetime`,
 * `retry`, `tokenParams`) and the engine (`headerName`, `headerValue`,
 * `earlyExpiry`, `retryUnauthorized`, `onToken`, `cache`). An option goes
 * from the grant (OAuth2.ts, a provider) through here to TokenEndpoint, and
 * the wire.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { type AuthError, DiscoveryError, type InvalidOptions } from "../AuthError.js"
import type * as ClientAuth from "../ClientAuth.js"
import { fromMethod } from "../ClientAuth.js"
import * as Discovery from "../Discovery.js"
import * as DPoP from "../DPoP.js"
import type { ClientOptions, EngineOptions, IssuerOptions, TokenEndpointOptions } from "../OAuth2.js"
import type * as Token from "../Token.js"
import * as TokenEndpoint from "../TokenEndpoint.js"
import {
  cacheKey,
  validateByteCount,
  validateDuration,
  validateNonEmpty,
  validateScope,
  validateUrl
} from "./oauth2Options.js"
import { checkIssuer } from "./discovery.js"
import { invalid, resolveSecret, resolveText, type TextInput } from "./options.js"

export const checkParams = (
  params: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
  scheme: string,
  option: string
): Effect.Effect<Readonly<Record<string, string>>, InvalidOptions> => {
  for (const name of Object.keys(params ?? {})) {
    if (reserved.has(name)) return Effect.fail(invalid(scheme, option, `must not set ${name}: the grant sets it`))
  }
  return Effect.succeed(params ?? {})
}

/** Token request fields that the grants or the client authentication set. */
const reservedToken = new Set([
  "grant_type",
  "client_id",
  "client_secret",
  "client_assertion",
  "client_assertion_type",
  "username",
  "password",
  "refresh_token",
  "code",
  "redirect_uri",
  "code_verifier",
  "scope",
  // RFC 7523 section 2.1, RFC 8693 section 2.1
  "assertion",
  "subject_token",
  "subject_token_type",
  "actor_token",
  "actor_token_type",
  "requested_token_type"
])

const methods: ReadonlyArray<ClientAuth.Method> = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "none"
]

const isClientAuth = (u: unknown): u is ClientAuth.ClientAuth =>
  Predicate.isRecord(u) &&
  typeof u.method === "string" &&
  typeof u.clientId === "string" &&
  u.clientId !== "" &&
  typeof u.apply === "function"

/** The client: its id, its secret (for the cache key only) and how it authenticates. */
export interface Client {
  readonly clientId: string | undefined
  readonly clientSecret: Redacted.Redacted<string> | undefined
  readonly clientAuth: ClientAuth.ClientAuth | undefined
  readonly scope: string | undefined
}

/**
 * The client options checked. `clientAuth` is a method name or a
 * `ClientAuth` value; a value carries the client id (a `clientId` given too
 * must be the same) and needs no `clientSecret`. Without a value the default
 * method is `client_secret_basic` with a secret, else `none` with a client id.
 */
export const client = (
  scheme: string,
  options: ClientOptions,
  require: { readonly clientId: boolean; readonly clientSecret: boolean }
): Effect.Effect<Client, InvalidOptions> =>
  Effect.gen(function* () {
    // a ClientAuth that checks its key when built (ClientAuth.privateKeyJwt) comes as an Effect
    const given = Effect.isEffect(options.clientAuth) ? yield* options.clientAuth : options.clientAuth
    const clientId =
      options.clientId === undefined
        ? undefined
        : yield* Effect.flatMap(resolveText(options.clientId, scheme, "clientId"), (id) =>
            validateNonEmpty(id, scheme, "clientId")
          )
    const clientSecret =
      options.clientSecret === undefined
        ? undefined
        : yield* resolveSecret(options.clientSecret, scheme, "clientSecret")
    const scope = yield* validateScope(options.scope, scheme)
    if (typeof given === "object") {
      if (!isClientAuth(given)) {
        return yield* Effect.fail(
          invalid(scheme, "clientAuth", "must be a method name or a ClientAuth ({ method, clientId, apply })")
        )
      }
      if (clientId !== undefined && clientId !== given.clientId) {
        return yield* Effect.fail(
          invalid(scheme, "clientId", `is ${JSON.stringify(clientId)}, while clientAuth is for ${given.clientId}`)
        )
      }
      return { clientId: given.clientId, clientSecret, clientAuth: given, scope }
    }
    if (given !== undefined && !methods.includes(given)) {
      return yield* Effect.fail(
        invalid(
          scheme,
          "clientAuth",
          `must be one of ${methods.join(", ")} or a ClientAuth, not ${JSON.stringify(given)}`
        )
      )
    }
    if (clientId === undefined && (require.clientId || clientSecret !== undefined)) {
      return yield* Effect.fail(
        invalid(scheme, "clientId", clientSecret === undefined ? "is mandatory" : "is needed with a clientSecret")
      )
    }
    // client credentials always authenticate the client (RFC 6749 section 4.4.2): Basic unless told
    const method = given ?? (clientSecret === undefined && !require.clientSecret ? "none" : "client_secret_basic")
    if (method !== "none" && clientSecret === undefined && (require.clientSecret || given !== undefined)) {
      return yield* Effect.fail(invalid(scheme, "clientSecret", `is needed with clientAuth ${method}`))
    }
    return {
      clientId,
      clientSecret,
      clientAuth: clientId === undefined ? undefined : fromMethod(method, clientId, clientSecret),
      scope
    }
  })

/** A grant's token endpoint, with its client. */
export interface Endpoint extends Client {
  readonly tokenUrl: string
  readonly tokenField: string
  readonly tokenParams: Readonly<Record<string, string>>
  /** RFC 9449: the auth's DPoP key, one for its token and resource requests; `undefined` without `dpop`. */
  readonly dpop: DPoP.Prover | undefined
  /** A token request: the grant's own fields, then `tokenParams`, then client authentication. */
  readonly request: (params: Readonly<Record<string, string>>) => Effect.Effect<Token.Token, AuthError>
  /**
   * A request to another endpoint of the same server with the same client
   * authentication (the device authorization endpoint), `field` of its
   * answer read as the token; with `proved`, the DPoP proof of the auth's
   * key (RFC 9449 section 10.1: the PAR endpoint), nonce handling included.
   */
  readonly requestAt: (
    url: Effect.Effect<string, DiscoveryError>,
    params: Readonly<Record<string, string>>,
    field: string,
    proved?: boolean
  ) => Effect.Effect<Token.Token, AuthError>
  /**
   * RFC 6749 section 6: the refresh request, with the grant's `scope` when
   * it had one (as httpx-auth and Okta send it).
   */
  readonly refresh: (expired: Token.Token) => Effect.Effect<Token.Token, AuthError>
  /** The cache key: the grant, the endpoint and the client, then what the grant adds. */
  readonly cacheKey: (
    grant: string,
    params?: Readonly<Record<string, string>>,
    secrets?: Readonly<Record<string, Redacted.Redacted<string>>>
  ) => string
}

/** A grant's issuer and the metadata service that reads it (one per auth unless one is in context). */
export interface Issuer {
  readonly issuer: string
  readonly discovery: Discovery.Service
  /**
   * An endpoint of the metadata, or `DiscoveryError` naming the field it
   * lacks; its mTLS alias where the server has one, for a client that
   * authenticates with its certificate (`mtls`).
   */
  readonly endpoint: (field: EndpointField, mtls?: boolean) => Effect.Effect<string, DiscoveryError>
}

/** RFC 8705 section 2: the client authentications by TLS certificate. */
export const isMutualTls = (auth: ClientAuth.ClientAuth | undefined): boolean =>
  auth?.method === "tls_client_auth" || auth?.method === "self_signed_tls_client_auth"

/**
 * RFC 8705 section 5: a client that authenticates with its certificate
 * sends to the server's `mtls_endpoint_aliases` where the metadata has one.
 */
export const endpointOf = (
  metadata: Discovery.ServerMetadata,
  field: EndpointField,
  mtls: boolean
): string | undefined => (mtls ? metadata.mtls_endpoint_aliases?.[field] : undefined) ?? metadata[field]

/** The metadata fields that name an endpoint. */
export type EndpointField =
  | "authorization_endpoint"
  | "token_endpoint"
  | "device_authorization_endpoint"
  | "revocation_endpoint"
  | "introspection_endpoint"
  | "userinfo_endpoint"
  | "jwks_uri"
  | "pushed_authorization_request_endpoint"

/** The `issuer` option checked, with its metadata service; `undefined` when not given. */
export const issuer = (
  scheme: string,
  options: IssuerOptions
): Effect.Effect<Issuer | undefined, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    if (options.issuer === undefined) return undefined
    const value = yield* resolveText(options.issuer, scheme, "issuer")
    const reason = checkIssuer(value)
    if (reason !== undefined) return yield* Effect.fail(invalid(scheme, "issuer", reason))
    const found = yield* Effect.serviceOption(Discovery.Discovery)
    const discovery = Option.isSome(found) ? found.value : yield* Discovery.make()
    return {
      issuer: value,
      discovery,
      endpoint: (field, mtls = false) =>
        Effect.flatMap(discovery.get(value), (metadata) => {
          const url = endpointOf(metadata, field, mtls)
          return url === undefined
            ? Effect.fail(
                new DiscoveryError({
                  issuer: value,
                  reason: `its metadata has no ${field}: give the endpoint's URL as an option`
                })
              )
            : Effect.succeed(url)
        })
    }
  })

/**
 * An endpoint given as an option, else read from the issuer's metadata
 * (its `mtls_endpoint_aliases` entry for a client that authenticates with
 * its certificate); `InvalidOptions` when there is neither.
 */
export const endpointUrl = (
  scheme: string,
  given: TextInput | undefined,
  option: string,
  located: Issuer | undefined,
  field: EndpointField,
  mtls = false
): Effect.Effect<Effect.Effect<string, DiscoveryError>, InvalidOptions> =>
  given !== undefined
    ? Effect.map(
        Effect.flatMap(resolveText(given, scheme, option), (url) => validateUrl(url, scheme, option)),
        Effect.succeed
      )
    : located !== undefined
      ? Effect.succeed(located.endpoint(field, mtls))
      : Effect.fail(invalid(scheme, option, "is mandatory, unless issuer is given"))

/** The token endpoint options and the client options checked. */
export const endpoint = (
  scheme: string,
  options: TokenEndpointOptions & ClientOptions,
  require: { readonly clientId: boolean; readonly clientSecret: boolean },
  given?: Issuer
): Effect.Effect<Endpoint, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const located = given ?? (options.tokenUrl === undefined ? yield* issuer(scheme, options) : undefined)
    const tokenUrlOf = yield* endpointUrl(scheme, options.tokenUrl, "tokenUrl", located, "token_endpoint")
    // the cache key names the token URL when given, else the issuer (its token URL is not known yet)
    const tokenUrl = options.tokenUrl === undefined ? located!.issuer : yield* tokenUrlOf as Effect.Effect<string>
    const owner = yield* client(scheme, options, require)
    // RFC 8414 section 2: token_endpoint_auth_methods_supported; absent, client_secret_basic is the default
    const clientAuthOf = (metadata: Discovery.ServerMetadata | undefined) => {
      const supported = metadata?.token_endpoint_auth_methods_supported
      if (
        supported === undefined ||
        options.clientAuth !== undefined ||
        owner.clientId === undefined ||
        owner.clientSecret === undefined ||
        supported.includes("client_secret_basic") ||
        !supported.includes("client_secret_post")
      ) {
        return owner.clientAuth
      }
      return fromMethod("client_secret_post", owner.clientId, owner.clientSecret)
    }
    const target: Effect.Effect<
      { readonly tokenUrl: string; readonly clientAuth: ClientAuth.ClientAuth | undefined },
      DiscoveryError
    > =
      options.tokenUrl !== undefined || located === undefined
        ? Effect.map(tokenUrlOf, (url) => ({ tokenUrl: url, clientAuth: owner.clientAuth }))
        : Effect.flatMap(located.discovery.get(located.issuer), (metadata) => {
            const clientAuth = clientAuthOf(metadata)
            const alias = isMutualTls(clientAuth) ? metadata.mtls_endpoint_aliases?.token_endpoint : undefined
            return alias !== undefined
              ? Effect.succeed({ tokenUrl: alias, clientAuth })
              : Effect.map(tokenUrlOf, (url) => ({ tokenUrl: url, clientAuth }))
          })
    const tokenField = yield* validateNonEmpty(options.tokenField ?? "access_token", scheme, "tokenField")
    const timeout = yield* validateDuration(options.tokenTimeout, "60 seconds", scheme, "tokenTimeout", {
      positive: true
    })
    const defaultLifetime = yield* validateDuration(options.defaultLifetime, "1 hour", scheme, "defaultLifetime")
    const tokenParams = yield* checkParams(options.tokenParams, reservedToken, scheme, "tokenParams")
    const maxRetryAfter = yield* validateDuration(options.maxRetryAfter, "60 seconds", scheme, "maxRetryAfter")
    const maxResponseBytes = yield* validateByteCount(options.maxResponseBytes, 1024 * 1024, scheme, "maxResponseBytes")
    const dpop = yield* dpopOf(scheme, options.dpop)
    const http = yield* HttpClient.HttpClient
    // the "refreshed after a failure": a discovered endpoint that cannot be reached, is gone (404) or
    // fails (5xx) may have moved, so the metadata is dropped and the next attempt reads it once more
    const send = (
      request: TokenEndpoint.RequestOptions,
      expect: TokenEndpoint.Expect = "token"
    ): Effect.Effect<Token.Token, AuthError> =>
      located === undefined
        ? TokenEndpoint.requestExpecting(http, request, expect)
        : Effect.tapError(TokenEndpoint.requestExpecting(http, request, expect), (error) =>
            isEndpointFailure(error) ? located.discovery.invalidate(located.issuer) : Effect.void
          )
    const request = (params: Readonly<Record<string, string>>): Effect.Effect<Token.Token, AuthError> =>
      Effect.flatMap(target, (resolved) =>
        send({
          tokenUrl: resolved.tokenUrl,
          params: { ...params, ...tokenParams },
          clientAuth: resolved.clientAuth,
          tokenField,
          timeout,
          defaultLifetime,
          retry: options.retry,
          maxRetryAfter,
          maxResponseBytes,
          tokenRequest: options.tokenRequest,
          tokenResponse: options.tokenResponse,
          dpop
        })
      )
    // another endpoint of the same server (the device authorization or PAR endpoint): the same bounds, no token
    // hooks, and its answer is no token response (no token_type to check against a proof)
    const requestAt = (
      url: Effect.Effect<string, DiscoveryError>,
      params: Readonly<Record<string, string>>,
      field: string,
      proved = false
    ): Effect.Effect<Token.Token, AuthError> =>
      Effect.flatMap(Effect.zip(target, url), ([resolved, endpointUrl]) =>
        send(
          {
            tokenUrl: endpointUrl,
            params,
            clientAuth: resolved.clientAuth,
            tokenField: field,
            timeout,
            defaultLifetime,
            retry: options.retry,
            maxRetryAfter,
            maxResponseBytes,
            ...(proved && dpop !== undefined ? { dpop } : {})
          },
          "other"
        )
      )
    const scope = owner.scope === undefined ? {} : { scope: owner.scope }
    const refresh = (expired: Token.Token) =>
      expired.refreshToken === undefined
        ? Effect.die("refresh without a refresh token")
        : request({ grant_type: "refresh_token", refresh_token: Redacted.value(expired.refreshToken), ...scope })
    return {
      ...owner,
      tokenUrl,
      tokenField,
      tokenParams,
      dpop,
      request,
      requestAt,
      refresh,
      cacheKey: (grant, params, secrets) =>
        cacheKey({
          grant,
          tokenUrl,
          clientId: owner.clientId,
          clientSecret: owner.clientSecret,
          scope: owner.scope,
          params: {
            // a ClientAuth value of the user's own: its method name tells it apart
            ...(owner.clientAuth !== undefined && typeof options.clientAuth === "object"
              ? { clientAuth: owner.clientAuth.method }
              : {}),
            ...params,
            // RFC 9449: a token is bound to one key, so each key has its own entry (processes that share a
            // cache with keys of their own would otherwise drop each other's token on every read)
            ...(dpop === undefined ? {} : { dpop: dpop.jkt }),
            ...Object.fromEntries(Object.entries(tokenParams).map(([k, v]) => [`token:${k}`, v]))
          },
          secrets
        })
    }
  })

/** A failure that says the endpoint may have moved: no connection or answer, 404, or 5xx. */
const isEndpointFailure = (error: AuthError) =>
  (error._tag === "AuthenticationFailed" && error.scheme === "TokenEndpoint") ||
  (error._tag === "OAuth2Error" && error.status !== undefined && (error.status === 404 || error.status >= 500))

/** The `dpop` option checked once per auth: its key imported, its thumbprint computed (RFC 9449). */
export const dpopOf = (
  scheme: string,
  option: DPoP.Option | undefined
): Effect.Effect<DPoP.Prover | undefined, InvalidOptions> =>
  option === undefined || option === false ? Effect.succeed(undefined) : DPoP.make(option, scheme)

/**
 * A grant built with its identity provider's own client: `tokenClient`
 * stands for the `HttpClient` in context while the grant is built, and
 * every request the grant makes to the provider (token, discovery, JWKS,
 * device authorization, revocation) goes through the client it took then.
 * The API requests go through the client the auth wraps, taken when it is
 * used. A `Layer` is built in the auth's scope: its dispatcher lives as
 * long as the auth, not as long as an `Effect.provide` around the build
 * (which closes it before the first token request: undici's
 * ClientDestroyedError).
 */
export const withTokenClient =
  (scheme: string, options: TokenEndpointOptions) =>
  <A, E, R>(build: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidOptions, R | Scope.Scope> => {
    const given = options.tokenClient
    if (given === undefined) return build
    if (Layer.isLayer(given)) {
      const layer = given as Layer.Layer<HttpClient.HttpClient, InvalidOptions>
      return Effect.flatMap(Effect.scope, (scope) =>
        Effect.flatMap(Layer.buildWithScope(layer, scope), (context) =>
          Effect.provideService(build, HttpClient.HttpClient, Context.get(context, HttpClient.HttpClient))
        )
      )
    }
    return Predicate.hasProperty(given, HttpClient.TypeId)
      ? Effect.provideService(build, HttpClient.HttpClient, given)
      : Effect.fail(invalid(scheme, "tokenClient", "must be an HttpClient or a Layer that provides one"))
  }

/** The engine options, as every grant passes them on (with the token endpoint's DPoP key). */
export const engineOptions = (options: EngineOptions, dpop?: DPoP.Prover) => ({
  dpop,
  headerName: options.headerName,
  headerValue: options.headerValue,
  earlyExpiry: options.earlyExpiry,
  retryUnauthorized: options.retryUnauthorized,
  onToken: options.onToken,
  cache: options.cache
})
