/**
 * Where OAuth 2 tokens are kept between requests: in memory, in one JSON
 * file (tokens survive a restart), or in any `KeyValueStore` (a fleet shares
 * them). Each layer gives a single-flight `getOrFetch`: however many
 * requests find the token missing or expired at once, one token request is
 * made.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Option from "effect/Option"
import type { InvalidOptions } from "./AuthError.js"
import { validateDuration } from "./internal/oauth2Options.js"
import * as Backend from "./internal/tokenCacheBackend.js"
import * as internal from "./internal/tokenCache.js"
import type * as Token from "./Token.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The token under `key`, expired or not. */
  readonly get: (key: string) => Effect.Effect<Option.Option<Token.Token>>
  readonly set: (key: string, token: Token.Token) => Effect.Effect<void>
  /**
   * Forgets the token under `key`; with `token`, only while that token is
   * still the one cached (so that many requests refused with the same old
   * token drop it once, not the fresh one fetched meanwhile), and in a
   * shared store only while the store still holds it (a fresh token another
   * process wrote meanwhile stays).
   */
  readonly invalidate: (key: string, token?: Token.Token) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
  /**
   * The token under `key` while it is fresh (the hot path: one read, no
   * lock); else runs `fetch` once for all the fibers that ask meanwhile, with
   * the expired token if there is one (to refresh it), and caches its result.
   * A failed fetch is not cached: every waiting fiber gets the failure and
   * the next call fetches again.
   */
  readonly getOrFetch: <E>(
    key: string,
    fetch: (expired: Option.Option<Token.Token>) => Effect.Effect<Token.Token, E>,
    options?: GetOrFetchOptions
  ) => Effect.Effect<Token.Token, E>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GetOrFetchOptions {
  /**
   * How long before its expiry a token is renewed. Default 30 seconds; 0
   * means 0. At most half the token's lifetime: a token that lives shorter
   * is used, not fetched again on every call.
   */
  readonly earlyExpiry?: Duration.DurationInput | undefined
  /**
   * `false`: the token is kept in this cache's memory only, never written to
   * (nor read from) its file or store, for a token that no other process
   * and no later run can use (bound to a DPoP key that lives in this
   * process's memory). Default `true`.
   */
  readonly persist?: boolean | undefined
}

/**
 * The token cache an OAuth 2 auth uses when none is given in its options
 * (without one in context either, each auth makes a memory cache of its own).
 *
 * @example
 * ```ts
 * import { TokenCache } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const forgetAll = Effect.flatMap(TokenCache.TokenCache, (cache) => cache.clear)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenCache extends Context.Tag("effect-http-auth/TokenCache")<TokenCache, Service>() {}

/**
 * Where a cache keeps its tokens behind the in-memory copy that serves the
 * hot path. `load` is asked on a miss or an expiry only, so a backend that
 * answers one fixed token for every key seeds a cache (the test kit's
 * seeded cache). `remove(key, token)` (a 401 for `token`) removes the
 * stored token only while it has the same access token; a store shared by
 * many processes compares and removes in one step where it can.
 *
 * @since 0.1.0
 * @category models
 */
export type Store = Backend.Store

/**
 * A cache over a `Store` (in memory when none is given). Its token requests
 * run in the scope it is made in: closing the scope interrupts a pending one
 * (a browser wait, a retry), and nothing reaches the token endpoint after.
 *
 * @example
 * ```ts
 * import { TokenCache } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * // a cache of its own for one auth
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const cache = yield* TokenCache.make()
 *     yield* cache.clear
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (store?: Store): Effect.Effect<Service, never, Scope.Scope> => internal.make(store ?? Backend.none)

/**
 * Tokens in memory, for the life of the layer. The default.
 *
 * @example
 * ```ts
 * import { TokenCache } from "effect-http-auth"
 *
 * const Cache = TokenCache.layerMemory
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenCache> = Layer.scoped(TokenCache, make())

/**
 * @since 0.1.0
 * @category models
 */
export interface FileOptions {
  /** The JSON file; created with mode 0600 on the first write. */
  readonly path: string
  /**
   * How long past its expiry a token that holds a refresh token stays in the
   * file, so that a later run can still renew it without a new login.
   * Default 30 days; `Duration.infinity`: until it is replaced. A token
   * without a refresh token goes at its expiry.
   */
  readonly keepRefreshable?: Duration.DurationInput | undefined
}

/**
 * What building `layerFile(options)` can fail with: `InvalidOptions` for a
 * bad `keepRefreshable`; nothing when it is not given (the layer's type then
 * has no error, as before the option).
 *
 * @example
 * ```ts
 * import type { TokenCache } from "effect-http-auth"
 *
 * type None = TokenCache.FileError<{ path: string }> // never
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type FileError<O extends FileOptions> = "keepRefreshable" extends keyof O ? InvalidOptions : never

/**
 * Tokens in one JSON file (httpx-auth's `JsonTokenFileCache`), so that they
 * survive a restart. Each write goes to a temporary file (mode 0600) renamed
 * over the file, so a reader sees the old file or the new one, never half; a
 * write first merges what another process wrote meanwhile, and drops the
 * tokens that can no longer serve (past their expiry, or `keepRefreshable`
 * past it with a refresh token), so that a file shared by many programs, or
 * whose keys change with a scope or a rotated secret, does not grow forever.
 * The file is read again on a miss when it changed. A corrupt or unreadable
 * file logs a warning and counts as empty. A bad `keepRefreshable` fails with
 * `InvalidOptions` when the layer is built.
 *
 * @example
 * ```ts
 * import { TokenCache } from "effect-http-auth"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const Cache = TokenCache.layerFile({ path: ".tokens.json" }).pipe(Layer.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFile = <const O extends FileOptions>(
  options: O
): Layer.Layer<TokenCache, FileError<O>, FileSystem.FileSystem> =>
  Layer.scoped(
    TokenCache,
    Effect.gen(function* () {
      const keepRefreshable = yield* validateDuration(
        options.keepRefreshable,
        "30 days",
        "TokenCache.layerFile",
        "keepRefreshable"
      )
      const store = yield* Backend.file({
        path: options.path,
        keepRefreshableMillis: Duration.toMillis(keepRefreshable)
      })
      return yield* make(store)
    }) as Effect.Effect<Service, FileError<O>, FileSystem.FileSystem | Scope.Scope>
  )

/**
 * @since 0.1.0
 * @category models
 */
export interface KeyValueStoreOptions {
  /** Prepended to every key, so that the store can hold other things too. Default `"effect-http-auth/token/"`. */
  readonly prefix?: string | undefined
}

/**
 * Tokens in any `@effect/platform` `KeyValueStore` (one JSON value per key):
 * a shared store lets instances share the tokens written, but it has no
 * fleet lock, so each instance requests its own on a miss or an expiry (for
 * one token request per fleet, `RedisTokenCache` or `layerFile`). A value
 * that cannot be decoded logs a warning and counts as missing.
 *
 * @example
 * ```ts
 * import { TokenCache } from "effect-http-auth"
 * import { KeyValueStore } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * const Cache = TokenCache.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerKeyValueStore = (
  options?: KeyValueStoreOptions
): Layer.Layer<TokenCache, never, KeyValueStore.KeyValueStore> =>
  Layer.scoped(TokenCache, Effect.flatMap(Backend.keyValueStore(options?.prefix ?? "effect-http-auth/token/"), make))
