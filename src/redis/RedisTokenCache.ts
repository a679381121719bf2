/**
 * The token cache of a fleet: many processes (or machines) share their
 * tokens in Redis, and on a miss or an expiry one of them requests a token
 * while the others wait for it. Needs the optional peer `ioredis`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import type { InvalidOptions } from "../AuthError.js"
import type { SecretInput } from "../internal/options.js"
import * as TokenCache from "../TokenCache.js"
import * as internal from "./internal/redisStore.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions {
  /** `redis://[[user]:password@]host[:port][/db]` (or `rediss://`); a `Redacted` or a `Config` when it holds a password. Either `url` or `client`. */
  readonly url?: SecretInput | undefined
  /** An ioredis client of your own (its connection options are yours; this cache never closes it). Either `url` or `client`. */
  readonly client?: Redis | undefined
  /** Prepended to every Redis key and channel. Default `"effect-http-auth:"`. */
  readonly prefix?: string | undefined
  /**
   * 32 bytes in base64 or hex: tokens are stored sealed with AES-256-GCM,
   * unreadable to whoever can read Redis. All the fleet needs the same key.
   */
  readonly encryptionKey?: SecretInput | undefined
  /**
   * How long the fetch lock lives unless its holder extends it (it does,
   * every third of it, while its token request runs): a process killed
   * mid-fetch delays the fleet by at most this. Default 10 seconds.
   */
  readonly lockTtl?: Duration.DurationInput | undefined
  /** How long a process waits for another's token request before it requests one itself. Default 30 seconds. */
  readonly lockWait?: Duration.DurationInput | undefined
  /** How long one Redis command may take before Redis counts as down. Default 2 seconds. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /**
   * How long past its expiry a token that holds a refresh token stays (its
   * TTL), so that a process can still renew it without a new login: the
   * same option as `TokenCache.layerFile`'s. Default 30 days;
   * `Duration.infinity`: no TTL (until it is replaced). A token without a
   * refresh token goes at its expiry.
   */
  readonly keepRefreshable?: Duration.DurationInput | undefined
}

/**
 * A token cache over Redis, with the memory front of every cache: a process
 * reads Redis on a miss or an expiry only. Its token requests run in the
 * scope it is made in.
 *
 * @example
 * ```ts
 * import { RedisTokenCache } from "effect-http-auth/redis"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const cache = yield* RedisTokenCache.make({ url: "redis://127.0.0.1:6379" })
 *     yield* cache.clear
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: LayerOptions): Effect.Effect<TokenCache.Service, InvalidOptions, Scope.Scope> =>
  Effect.flatMap(internal.make(options), TokenCache.make)

/**
 * A `TokenCache` on Redis for a fleet. Tokens are stored as the same JSON as
 * the file cache, each with a TTL that ends when it expires (a day later when
 * it has a refresh token). On a miss or an expiry the process that takes the
 * key's lock (`SET NX PX` with a random owner, released by a
 * compare-and-delete script) requests the token, refreshing with the newest
 * refresh token; the others are woken by pub/sub when it is written (polling
 * as the fallback) and read it. A failed request releases the lock and caches
 * nothing. While Redis is down, each process requests its own tokens and one
 * warning is logged; the fleet shares again once Redis is back.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth2 } from "effect-http-auth"
 * import { RedisTokenCache } from "effect-http-auth/redis"
 * import { Config, Layer } from "effect"
 *
 * const Cache = RedisTokenCache.layer({
 *   url: Config.redacted("REDIS_URL"),
 *   encryptionKey: Config.redacted("TOKEN_CACHE_KEY")
 * })
 * const AuthLive = HttpAuth.layer(
 *   OAuth2.clientCredentials({ tokenUrl: "https://issuer.example/token", clientId: "app", clientSecret: "s3cret" })
 * ).pipe(Layer.provide(Cache))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LayerOptions): Layer.Layer<TokenCache.TokenCache, InvalidOptions> =>
  Layer.scoped(TokenCache.TokenCache, make(options))
