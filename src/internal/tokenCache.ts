/**
 * The token cache's front: an in-memory copy read without a lock on the hot
 * path, and one in-flight fetch per key on a miss or an expiry.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Token from "../Token.js"
import type { GetOrFetchOptions, Service } from "../TokenCache.js"
import * as SingleFlight from "./singleFlight.js"
import { type FleetLock, sameToken, type Store } from "./tokenCacheBackend.js"

const defaultEarlyMillis = Duration.toMillis(Token.defaultEarlyExpiry)

/** A token, when this cache got it, and whether the store has it too. */
interface Entry {
  readonly token: Token.Token
  readonly since: number
  readonly persisted: boolean
}

/**
 * Whether to renew at `now`: `earlyExpiry` before the expiry, but at most
 * half the token's lifetime (as this cache saw it), so that a token that
 * lives shorter than `earlyExpiry` is used, not fetched again on every
 * request (authlib#716).
 */
const due = (entry: Entry, now: number, earlyMillis: number) =>
  now >= entry.token.expiresAt - Math.min(earlyMillis, (entry.token.expiresAt - entry.since) / 2)

/**
 * When a token from the store was issued: from its `expires_in` when the
 * response had one, else now (its lifetime is then what is left of it).
 */
const issuedAt = (token: Token.Token, now: number) => {
  const expiresIn = Number(token.fields.expires_in)
  return Number.isFinite(expiresIn) && expiresIn > 0 ? Math.min(now, token.expiresAt - expiresIn * 1000) : now
}

export const make = (store: Store): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const memory = yield* Ref.make(new Map<string, Entry>())
    const flights = yield* SingleFlight.make<string>()

    const remember = (key: string, token: Token.Token, since: number, persisted = true) =>
      Ref.update(memory, (map) => new Map(map).set(key, { token, since, persisted }))

    const fetchOnce = <E>(
      key: string,
      fetch: (expired: Option.Option<Token.Token>) => Effect.Effect<Token.Token, E>,
      earlyMillis: number,
      persist: boolean
    ): Effect.Effect<Token.Token, E> =>
      flights.run(
        key,
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const current = (yield* Ref.get(memory)).get(key)
          if (current !== undefined && !due(current, now, earlyMillis)) return current.token
          /** The stored token when it is another than the one in memory and fresh. */
          const usable = (stored: Option.Option<Token.Token>) =>
            Effect.gen(function* () {
              if (Option.isNone(stored) || (current !== undefined && sameToken(stored.value, current.token))) {
                return Option.none<Token.Token>()
              }
              const at = yield* Clock.currentTimeMillis
              const loaded = { token: stored.value, since: issuedAt(stored.value, at), persisted: true }
              if (due(loaded, at, earlyMillis)) return Option.none<Token.Token>()
              yield* remember(key, stored.value, loaded.since)
              return stored
            })
          const fetchAndSave = (expired: Option.Option<Token.Token>) =>
            Effect.gen(function* () {
              const token = yield* fetch(expired)
              yield* remember(key, token, yield* Clock.currentTimeMillis, persist)
              if (persist) yield* store.save(key, token)
              return token
            })
          // a token no other process can use: the store is neither asked nor locked
          if (!persist) return yield* fetchAndSave(Option.fromNullable(current?.token))
          // another process (file) or instance (KeyValueStore) may hold a fresher one
          const stored = yield* store.load(key)
          const found = yield* usable(stored)
          if (Option.isSome(found)) return found.value
          const fleet = store.fleet
          if (fleet === undefined)
            return yield* fetchAndSave(Option.orElse(Option.fromNullable(current?.token), () => stored))
          return yield* fleetFetch(fleet, key, current?.token, stored, usable, fetchAndSave)
        })
      )

    /**
     * The distributed single-flight: the process that takes the store's lock
     * fetches (and refreshes: with the token the store holds, whose refresh
     * token is the newest), the others wait until its token is written and
     * read it. A failed fetch releases the lock and caches nothing; a waiter
     * then tries to take it (jittered, so one of them fetches). A waiter that
     * waited `waitMillis`, or a store that is down, fetches on its own.
     */
    const fleetFetch = <E>(
      fleet: FleetLock,
      key: string,
      current: Token.Token | undefined,
      first: Option.Option<Token.Token>,
      usable: (stored: Option.Option<Token.Token>) => Effect.Effect<Option.Option<Token.Token>>,
      fetchAndSave: (expired: Option.Option<Token.Token>) => Effect.Effect<Token.Token, E>
    ): Effect.Effect<Token.Token, E> =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const expiredOf = (stored: Option.Option<Token.Token>) =>
          Option.orElse(stored, () => Option.fromNullable(current))
        let stored = first
        while (true) {
          const outcome = yield* Effect.scoped(
            Effect.flatMap(fleet.acquire(key), (lock) => {
              if (lock === "busy") return Effect.succeedNone
              if (lock === "down") return Effect.asSome(fetchAndSave(expiredOf(stored)))
              // another process may have written its token between the read and the lock
              return Effect.flatMap(store.load(key), (again) =>
                Effect.flatMap(usable(again), (found) =>
                  Option.isSome(found) ? Effect.succeed(found) : Effect.asSome(fetchAndSave(expiredOf(again)))
                )
              )
            })
          )
          if (Option.isSome(outcome)) return outcome.value
          if ((yield* Clock.currentTimeMillis) - started >= fleet.waitMillis) {
            yield* Effect.logWarning(
              `${fleet.name}: waited ${fleet.waitMillis / 1000} s for another process's token request; requesting one here`
            )
            return yield* fetchAndSave(expiredOf(stored))
          }
          yield* fleet.changed(key)
          stored = yield* store.load(key)
          const found = yield* usable(stored)
          if (Option.isSome(found)) return found.value
        }
      })

    const service: Service = {
      get: (key) =>
        Effect.flatMap(Ref.get(memory), (map) => {
          const held = map.get(key)
          return held !== undefined ? Effect.succeed(Option.some(held.token)) : store.load(key)
        }),
      set: (key, token) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.zipRight(remember(key, token, now), store.save(key, token))
        ),
      invalidate: (key, token) =>
        // one step reads and removes: a token another fiber stores meanwhile is never dropped for the refused one
        Effect.flatMap(
          Ref.modify(memory, (map): [Entry | "kept" | undefined, Map<string, Entry>] => {
            const current = map.get(key)
            if (token !== undefined && (current === undefined || !sameToken(current.token, token))) {
              return ["kept", map]
            }
            if (current === undefined) return [undefined, map]
            const next = new Map(map)
            next.delete(key)
            return [current, next]
          }),
          (removed) =>
            removed === "kept" || removed?.persisted === false
              ? Effect.void
              : // the store keeps a token that another process wrote meanwhile: only `token` was refused
                store.remove(key, token)
        ),
      clear: Effect.zipRight(Ref.set(memory, new Map()), store.clear),
      getOrFetch: <E>(
        key: string,
        fetch: (expired: Option.Option<Token.Token>) => Effect.Effect<Token.Token, E>,
        options?: GetOrFetchOptions
      ) => {
        const earlyMillis =
          options?.earlyExpiry === undefined
            ? defaultEarlyMillis
            : Duration.toMillis(Duration.decode(options.earlyExpiry))
        const persist = options?.persist !== false
        // the hot path: one read of the Ref and the clock, no lock
        return Effect.flatMap(Ref.get(memory), (map) => {
          const cached = map.get(key)
          if (cached === undefined) return fetchOnce(key, fetch, earlyMillis, persist)
          return Effect.flatMap(Clock.currentTimeMillis, (now) =>
            due(cached, now, earlyMillis) ? fetchOnce(key, fetch, earlyMillis, persist) : Effect.succeed(cached.token)
          )
        })
      }
    }
    return service
  })
