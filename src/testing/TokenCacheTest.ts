/**
 * Token caches for users' tests: a seeded cache that gives every OAuth 2
 * auth a fixed token without a token request or a browser (httpx-auth's
 * `token_cache_mock` / `token_mock`), and an empty cache whose content a
 * test can read (their `token_cache`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Token from "../Token.js"
import * as TokenCache from "../TokenCache.js"

/**
 * The token of RFC 6749's examples, which httpx-auth's `token_mock` uses too.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultToken = "2YotnFZFEjr1zCsicMWpAA"

/**
 * @since 0.1.0
 * @category models
 */
export interface SeededOptions {
  /** The access token every auth gets. Default `"2YotnFZFEjr1zCsicMWpAA"`. */
  readonly token?: string | undefined
  /** How long the token lives from the moment an auth first asks (on the `Clock`). Default 1 hour. */
  readonly expiresIn?: Duration.DurationInput | undefined
  /** Its `token_type`. Default `"Bearer"`. */
  readonly tokenType?: string | undefined
}

/**
 * A `TokenCache` in which every key holds `token`: every OAuth 2 auth that
 * uses the `TokenCache` in context (all grants and presets do, unless given a
 * `cache` option) sends it without a token request and without opening a
 * browser. Once it expires on the `Clock`, the same token is given again.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth2 } from "effect-http-auth"
 * import { TokenCacheTest } from "effect-http-auth/testing"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const AuthTest = HttpAuth.layer(
 *   OAuth2.clientCredentials({ tokenUrl: "https://issuer.test/token", clientId: "app", clientSecret: "s" })
 * ).pipe(Layer.provide(TokenCacheTest.layerSeeded()), Layer.provide(NodeHttpClient.layerUndici))
 * // requests carry "Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA"
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSeeded = (options?: SeededOptions): Layer.Layer<TokenCache.TokenCache> => {
  const accessToken = Redacted.make(options?.token ?? defaultToken)
  const lifetime = Duration.toMillis(Duration.decode(options?.expiresIn ?? Duration.hours(1)))
  const tokenType = options?.tokenType ?? "Bearer"
  const store: TokenCache.Store = {
    load: () =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        Option.some(new Token.Token({ accessToken, tokenType, expiresAt: now + lifetime, fields: {} }))
      ),
    save: () => Effect.void,
    remove: () => Effect.void,
    clear: Effect.void
  }
  return Layer.scoped(TokenCache.TokenCache, TokenCache.make(store))
}

/**
 * What `layer` lets a test read: the tokens the cache holds, by key.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenCacheInspector extends Context.Tag("effect-http-auth/testing/TokenCacheInspector")<
  TokenCacheInspector,
  { readonly entries: Effect.Effect<ReadonlyMap<string, Token.Token>> }
>() {}

/**
 * A memory `TokenCache` that starts empty, and a `TokenCacheInspector` that
 * reads what it holds: after a program ran, a test checks which tokens were
 * cached, under which keys, and that an invalidated one is gone.
 *
 * @example
 * ```ts
 * import { TokenCacheTest } from "effect-http-auth/testing"
 * import { Effect } from "effect"
 *
 * const cached = TokenCacheTest.entries.pipe(Effect.provide(TokenCacheTest.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<TokenCache.TokenCache | TokenCacheInspector> = Layer.unwrapEffect(
  Effect.gen(function* () {
    // the store mirrors the cache: every set, fetch, invalidate and clear passes through it
    const held = yield* Ref.make<ReadonlyMap<string, Token.Token>>(new Map())
    const store: TokenCache.Store = {
      load: () => Effect.succeedNone,
      save: (key, token) => Ref.update(held, (map) => new Map(map).set(key, token)),
      remove: (key) =>
        Ref.update(held, (map) => {
          const next = new Map(map)
          next.delete(key)
          return next
        }),
      clear: Ref.set(held, new Map())
    }
    const cache = Effect.map(
      TokenCache.make(store),
      (service): TokenCache.Service => ({
        ...service,
        // the store is the inspector's view of a memory cache: a token kept out of persistent stores
        // (`persist: false`, a `dpop: true` key's) is listed too
        getOrFetch: (key, fetch, options) => service.getOrFetch(key, fetch, { ...options, persist: true })
      })
    )
    return Layer.merge(
      Layer.scoped(TokenCache.TokenCache, cache),
      Layer.succeed(TokenCacheInspector, { entries: Ref.get(held) })
    )
  })
)

/**
 * The tokens the cache of `layer` holds, by key.
 *
 * @since 0.1.0
 * @category accessors
 */
export const entries: Effect.Effect<ReadonlyMap<string, Token.Token>, never, TokenCacheInspector> = Effect.flatMap(
  TokenCacheInspector,
  (inspector) => inspector.entries
)
