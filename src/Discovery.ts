/**
 * Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0):
 * the endpoints and capabilities of an issuer, read from its well-known
 * document, checked, and kept per issuer by the `Discovery` service so that
 * every grant of a program that names the same `issuer` fetches it once.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { JSONWebKeySet } from "jose"
import { DiscoveryError, type InvalidOptions } from "./AuthError.js"
import * as internal from "./internal/discovery.js"
import { validateByteCount, validateDuration } from "./internal/oauth2Options.js"

/** An endpoint: an absolute http or https URL. */
const Endpoint = Schema.String.pipe(
  Schema.filter((value) => internal.isHttpUrl(value) || "must be an absolute http or https URL")
)

/**
 * The metadata fields this library reads (RFC 8414 section 2, OpenID
 * Connect Discovery 1.0 section 3); the document's other fields are kept
 * as they came.
 *
 * @example
 * ```ts
 * import { Discovery } from "effect-http-auth"
 * import { Schema } from "effect"
 *
 * const metadata = Schema.decodeUnknownSync(Discovery.ServerMetadata)({
 *   issuer: "https://issuer.example",
 *   token_endpoint: "https://issuer.example/token"
 * })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServerMetadata = Schema.Struct(
  {
    issuer: Schema.String,
    authorization_endpoint: Schema.optional(Endpoint),
    token_endpoint: Schema.optional(Endpoint),
    jwks_uri: Schema.optional(Endpoint),
    userinfo_endpoint: Schema.optional(Endpoint),
    registration_endpoint: Schema.optional(Endpoint),
    revocation_endpoint: Schema.optional(Endpoint),
    introspection_endpoint: Schema.optional(Endpoint),
    device_authorization_endpoint: Schema.optional(Endpoint),
    end_session_endpoint: Schema.optional(Endpoint),
    scopes_supported: Schema.optional(Schema.Array(Schema.String)),
    response_types_supported: Schema.optional(Schema.Array(Schema.String)),
    grant_types_supported: Schema.optional(Schema.Array(Schema.String)),
    token_endpoint_auth_methods_supported: Schema.optional(Schema.Array(Schema.String)),
    code_challenge_methods_supported: Schema.optional(Schema.Array(Schema.String)),
    id_token_signing_alg_values_supported: Schema.optional(Schema.Array(Schema.String)),
    // RFC 9126 section 5, RFC 9207 section 3, RFC 9449 section 5.1
    pushed_authorization_request_endpoint: Schema.optional(Endpoint),
    require_pushed_authorization_requests: Schema.optional(Schema.Boolean),
    authorization_response_iss_parameter_supported: Schema.optional(Schema.Boolean),
    dpop_signing_alg_values_supported: Schema.optional(Schema.Array(Schema.String)),
    // RFC 8705 section 5: the endpoints a client authenticating with its certificate uses instead
    mtls_endpoint_aliases: Schema.optional(Schema.Record({ key: Schema.String, value: Endpoint }))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ServerMetadata = Schema.Schema.Type<typeof ServerMetadata>

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * The issuer's metadata: from the cache while it is younger than
   * `refreshAfter`, else fetched once for all the fibers that ask meanwhile.
   * A failure is not kept: the next call fetches again.
   */
  readonly get: (issuer: string) => Effect.Effect<ServerMetadata, DiscoveryError>
  /** Forgets the issuer's metadata (after its endpoints failed, say): the next `get` fetches it. */
  readonly invalidate: (issuer: string) => Effect.Effect<void>
  /**
   * The JWKS at `url` (the issuer's `jwks_uri`), kept like the metadata.
   * Given `stale`, the set in which a token's `kid` was not found, it is
   * fetched again (a rotated key, OpenID Connect Core section 10.1.1), at
   * most once every 30 seconds: made-up kids cost no request each.
   */
  readonly jwks: (url: string, issuer: string, stale?: JSONWebKeySet) => Effect.Effect<JSONWebKeySet, DiscoveryError>
}

/**
 * The metadata service. Every grant given an `issuer` uses the one in
 * context, else one of its own.
 *
 * @example
 * ```ts
 * import { Discovery } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const tokenUrl = Effect.flatMap(Discovery.Discovery, (discovery) =>
 *   Effect.map(discovery.get("https://issuer.example"), (metadata) => metadata.token_endpoint)
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Discovery extends Context.Tag("effect-http-auth/Discovery")<Discovery, Service>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface FetchOptions {
  /** Time allowed to each document request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The largest document read. Default 1 MiB. */
  readonly maxResponseBytes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends FetchOptions {
  /** How long fetched metadata is used before it is fetched again. Default 1 hour. */
  readonly refreshAfter?: Duration.DurationInput | undefined
}

/**
 * Fetches and checks an issuer's metadata, without a cache: tries
 * `/.well-known/openid-configuration` (appended to the issuer), then
 * `/.well-known/oauth-authorization-server` (inserted before the issuer's
 * path, RFC 8414 section 3.1); a document whose `issuer` differs from the
 * one asked is refused (section 3.3).
 *
 * @example
 * ```ts
 * import { Discovery } from "effect-http-auth"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const metadata = Effect.flatMap(HttpClient.HttpClient, (client) =>
 *   Discovery.fetch(client, "https://issuer.example")
 * )
 * ```
 *
 * @since 0.1.0
 * @category requests
 */
export const fetch = (
  client: HttpClient.HttpClient,
  issuer: string,
  options?: FetchOptions
): Effect.Effect<ServerMetadata, DiscoveryError> =>
  Effect.gen(function* () {
    const checked = internal.checkIssuer(issuer)
    if (checked !== undefined) return yield* Effect.fail(new DiscoveryError({ issuer, reason: checked }))
    // a bad option is this call's failure, with the option named (its type has no InvalidOptions)
    const [timeout, limit] = yield* Effect.mapError(
      Effect.all([
        validateDuration(options?.timeout, "30 seconds", "Discovery.fetch", "timeout", { positive: true }),
        validateByteCount(options?.maxResponseBytes, 1024 * 1024, "Discovery.fetch", "maxResponseBytes")
      ]),
      (invalid) => new DiscoveryError({ issuer, reason: invalid.message })
    )
    const misses: Array<string> = []
    for (const url of internal.wellKnownUrls(issuer)) {
      const answer = yield* internal.getDocument(client, url, timeout, limit, issuer)
      if (answer._tag === "Missing") {
        misses.push(`${url} answered ${answer.reason}`)
        continue
      }
      const decoded = Schema.decodeUnknownEither(ServerMetadata)(answer.json)
      if (decoded._tag === "Left") {
        return yield* Effect.fail(
          new DiscoveryError({
            issuer,
            reason: `${url} is not authorization server metadata: ${internal.schemaReason(decoded.left)}`
          })
        )
      }
      // RFC 8414 section 3.3, OpenID Connect Discovery section 4.3: the document speaks for the issuer asked, or for nobody
      if (decoded.right.issuer !== issuer) {
        return yield* Effect.fail(
          new DiscoveryError({
            issuer,
            reason: `${url} is the metadata of issuer ${JSON.stringify(decoded.right.issuer).slice(0, 200)}, not of the issuer asked (RFC 8414 section 3.3): check the issuer option, trailing slash included`
          })
        )
      }
      return decoded.right
    }
    return yield* Effect.fail(new DiscoveryError({ issuer, reason: `no metadata document: ${misses.join("; ")}` }))
  })

/**
 * A `Discovery` service over `HttpClient`: per issuer, one fetch for all
 * the fibers that ask at once, the metadata (and the JWKS id_tokens are
 * checked with) kept for `refreshAfter`, a failure never kept. Its fetches
 * are forked into the scope.
 *
 * @example
 * ```ts
 * import { Discovery } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const service = Discovery.make({ refreshAfter: "15 minutes" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Service, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "Discovery.make"
    const refreshAfter = yield* validateDuration(options?.refreshAfter, "1 hour", scheme, "refreshAfter")
    const timeout = yield* validateDuration(options?.timeout, "30 seconds", scheme, "timeout", { positive: true })
    const maxResponseBytes = yield* validateByteCount(
      options?.maxResponseBytes,
      1024 * 1024,
      scheme,
      "maxResponseBytes"
    )
    const client = yield* HttpClient.HttpClient
    return yield* internal.makeService(
      (issuer) => fetch(client, issuer, { timeout, maxResponseBytes }),
      refreshAfter,
      (url, issuer) => internal.fetchJwks(client, url, issuer, timeout, maxResponseBytes)
    )
  })

/**
 * The `Discovery` service as a layer: provide it once, and every grant that
 * names the same issuer shares one metadata fetch.
 *
 * @example
 * ```ts
 * import { Discovery, HttpAuth, OAuth2 } from "effect-http-auth"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const AuthLive = HttpAuth.layer(
 *   OAuth2.clientCredentials({ issuer: "https://issuer.example", clientId: "app", clientSecret: "s" })
 * ).pipe(Layer.provide(Discovery.layer()), Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Discovery, InvalidOptions, HttpClient.HttpClient> =>
  Layer.scoped(Discovery, make(options))
