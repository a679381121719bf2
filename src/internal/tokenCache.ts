/**
 * The token cache's front: an in-memory copy read without a lock on the hot
 * path, and one in-flight fetch per key on a miss or an expiry.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Token from "../Token.js"
import type { GetOrFetchOptions, Service } from "../TokenCache.js"
import type { Store } from "./tokenCacheBackend.js"

const sameToken = (a: Token.Token, b: Token.Token) => Redacted.value(a.accessToken) === Redacted.value(b.accessToken)

export const make = (store: Store): Effect.Effect<Service> =>
  Effect.map(Ref.make(new Map<string, Token.Token>()), (memory) => {
    // one fetch per key at a time; JS runs each synchronous step whole, so a plain Map is enough
    const inflight = new Map<string, Deferred.Deferred<Token.Token, unknown>>()

    const remember = (key: string, token: Token.Token) => Ref.update(memory, (map) => new Map(map).set(key, token))
    const forget = (key: string) =>
      Ref.update(memory, (map) => {
        if (!map.has(key)) return map
        const next = new Map(map)
        next.delete(key)
        return next
      })

    const fetchOnce = <E>(
      key: string,
      fetch: (expired: Option.Option<Token.Token>) => Effect.Effect<Token.Token, E>,
      earlyMillis: number
    ): Effect.Effect<Token.Token, E> =>
      Effect.fiberIdWith((fiberId) =>
        Effect.suspend(() => {
          const running = inflight.get(key) as Deferred.Deferred<Token.Token, E> | undefined
          if (running !== undefined) return Deferred.await(running)
          const deferred = Deferred.unsafeMake<Token.Token, E>(fiberId)
          inflight.set(key, deferred as Deferred.Deferred<Token.Token, unknown>)
          const work = Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const current = (yield* Ref.get(memory)).get(key)
            if (current !== undefined && !Token.isExpired(current, now, earlyMillis)) return current
            // another process (file) or instance (KeyValueStore) may hold a fresher one
            const stored = yield* store.load(key)
            if (Option.isSome(stored) && !Token.isExpired(stored.value, now, earlyMillis)) {
              yield* remember(key, stored.value)
              return stored.value
            }
            const token = yield* fetch(Option.orElse(Option.fromNullable(current), () => stored))
            yield* remember(key, token)
            yield* store.save(key, token)
            return token
          })
          // the fetch runs on its own fiber: a caller that is interrupted does not cancel it for the others
          return Effect.zipRight(
            Effect.forkDaemon(
              Effect.flatMap(Effect.exit(work), (exit) =>
                Effect.zipRight(
                  Effect.sync(() => inflight.delete(key)),
                  Deferred.done(deferred, exit)
                )
              )
            ),
            Deferred.await(deferred)
          )
        })
      )

    const service: Service = {
      get: (key) =>
        Effect.flatMap(Ref.get(memory), (map) => {
          const token = map.get(key)
          return token !== undefined ? Effect.succeed(Option.some(token)) : store.load(key)
        }),
      set: (key, token) => Effect.zipRight(remember(key, token), store.save(key, token)),
      invalidate: (key, token) =>
        Effect.flatMap(Ref.get(memory), (map) => {
          const current = map.get(key)
          if (token !== undefined && (current === undefined || !sameToken(current, token))) return Effect.void
          return Effect.zipRight(forget(key), store.remove(key))
        }),
      clear: Effect.zipRight(Ref.set(memory, new Map()), store.clear),
      getOrFetch: <E>(
        key: string,
        fetch: (expired: Option.Option<Token.Token>) => Effect.Effect<Token.Token, E>,
        options?: GetOrFetchOptions
      ) => {
        const earlyMillis =
          options?.earlyExpiry === undefined
            ? Duration.toMillis(Token.defaultEarlyExpiry)
            : Duration.toMillis(Duration.decode(options.earlyExpiry))
        // the hot path: one read of the Ref and the clock, no lock
        return Effect.flatMap(Ref.get(memory), (map) => {
          const cached = map.get(key)
          if (cached === undefined) return fetchOnce(key, fetch, earlyMillis)
          return Effect.flatMap(Clock.currentTimeMillis, (now) =>
            // Token.isExpired, without decoding a Duration on every request
            now >= cached.expiresAt - earlyMillis ? fetchOnce(key, fetch, earlyMillis) : Effect.succeed(cached)
          )
        })
      }
    }
    return service
  })
