/**
 * The token cache's store on Redis: one value per key with a TTL that ends
 * with the token, AES-256-GCM at rest when a key is given, and the fleet's
 * lock (`SET NX PX` with a random owner, released and kept alive by its
 * owner only) with waiters woken by pub/sub.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import type { InvalidOptions } from "../../AuthError.js"
import { invalid, resolveSecret } from "../../internal/options.js"
import { validateDuration } from "../../internal/oauth2Options.js"
import { type FleetLock, jittered, sameToken, type Store } from "../../internal/tokenCacheBackend.js"
import * as SecureRandom from "../../SecureRandom.js"
import { type Token, TokenFromJson } from "../../Token.js"
import type { LayerOptions } from "../RedisTokenCache.js"

const scheme = "RedisTokenCache"

// compare-and-delete and compare-and-extend: only the owner that set the lock touches it, and a
// token is removed only while it is the value this process read (never one written since)
const compareAndDelete = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`
const extendScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`

const decodeToken = Schema.decodeEither(TokenFromJson)
const encodeToken = Schema.encodeEither(TokenFromJson)

/** A 32-byte key from base64 (44 characters) or hex (64). */
const keyBytes = (text: string): Buffer | undefined => {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64")
  return bytes.length === 32 && (bytes.toString("base64") === text || bytes.toString("hex") === text.toLowerCase())
    ? bytes
    : undefined
}

/** `v1.` + base64(iv | tag | ciphertext); the Redis key is the associated data, so a value moved to another key fails. */
const seal = (key: Buffer, name: string, text: string) => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  cipher.setAAD(Buffer.from(name))
  const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()])
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`
}

const open = (key: Buffer, name: string, value: string): string | undefined => {
  if (!value.startsWith("v1.")) return undefined
  const raw = Buffer.from(value.slice(3), "base64")
  if (raw.length < 28) return undefined
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12))
    decipher.setAAD(Buffer.from(name))
    decipher.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")
  } catch {
    return undefined
  }
}

const reasonOf = (error: unknown): string => {
  const text =
    typeof error === "object" && error !== null && "message" in error
      ? String((error as { message: unknown }).message)
      : String(error)
  return text.length > 200 ? `${text.slice(0, 200)}...` : text
}

/** Waits (bounded) until an ioredis client is ready; `false` when it is not. */
const ready = (client: Redis, millis: number) =>
  Effect.async<boolean>((resume) => {
    if (client.status === "ready") return resume(Effect.succeed(true))
    const done = () => {
      clearTimeout(timer)
      client.off("ready", done)
      resume(Effect.succeed(client.status === "ready"))
    }
    const timer = setTimeout(done, millis)
    client.on("ready", done)
    return Effect.sync(() => {
      clearTimeout(timer)
      client.off("ready", done)
    })
  })

export const make = (options: LayerOptions): Effect.Effect<Store, InvalidOptions, Scope.Scope> =>
  Effect.gen(function* () {
    if ((options.url === undefined) === (options.client === undefined)) {
      return yield* Effect.fail(invalid(scheme, "url", "give either url or client, not both nor neither"))
    }
    const prefix = options.prefix ?? "effect-http-auth:"
    const lockTtl = Duration.toMillis(yield* validateDuration(options.lockTtl, "10 seconds", scheme, "lockTtl"))
    const lockWait = Duration.toMillis(yield* validateDuration(options.lockWait, "30 seconds", scheme, "lockWait"))
    const timeout = Duration.toMillis(
      yield* validateDuration(options.commandTimeout, "2 seconds", scheme, "commandTimeout", { positive: true })
    )
    // a token that can be refreshed stays this long past its expiry, so that a process can still refresh it
    const refreshableMillis = Duration.toMillis(
      yield* validateDuration(options.keepRefreshable, "30 days", scheme, "keepRefreshable")
    )
    if (!(lockTtl >= 100 && lockTtl < 2 ** 31)) {
      return yield* Effect.fail(invalid(scheme, "lockTtl", "must be from 100 milliseconds to 24 days"))
    }
    const encryption =
      options.encryptionKey === undefined
        ? undefined
        : keyBytes(Redacted.value(yield* resolveSecret(options.encryptionKey, scheme, "encryptionKey")))
    if (options.encryptionKey !== undefined && encryption === undefined) {
      return yield* Effect.fail(
        invalid(scheme, "encryptionKey", "must be 32 bytes in base64 (44 characters) or hex (64 characters)")
      )
    }

    // our own connections fail a command at once while Redis is down (no offline queue): the
    // process then goes on alone instead of waiting; ioredis keeps reconnecting meanwhile. ioredis's
    // own commandTimeout also bounds the handshake of each (re)connection (its INFO ready check has
    // no timeout of its own): a peer that accepts the connection but never answers is dropped and
    // reconnected, instead of a client left "connecting" for good, never back on Redis
    const own = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: timeout,
      commandTimeout: timeout,
      retryStrategy: (times: number) => Math.min(times * 100, 1000)
    }
    const url = options.url === undefined ? undefined : yield* resolveSecret(options.url, scheme, "url")
    const client: Redis =
      options.client ??
      (yield* Effect.acquireRelease(
        Effect.sync(() => new Redis(Redacted.value(url!), own)),
        (redis) => Effect.sync(() => redis.disconnect())
      ))
    const subscriber = yield* Effect.acquireRelease(
      Effect.sync(() => client.duplicate(own)),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    // ioredis prints an unhandled "error" event with its stack: the warning below says it once instead
    const quiet = () => undefined
    client.on("error", quiet)
    subscriber.on("error", quiet)
    yield* Effect.addFinalizer(() => Effect.sync(() => client.off("error", quiet)))

    let healthy = true
    const warnDown = (error: unknown) =>
      Effect.suspend(() => {
        if (!healthy) return Effect.void
        healthy = false
        return Effect.logWarning(
          `RedisTokenCache: Redis is unavailable (${reasonOf(error)}); each process requests its own tokens until it is back`
        )
      })
    const up = Effect.suspend(() => {
      if (healthy) return Effect.void
      healthy = true
      return Effect.logInfo("RedisTokenCache: Redis is back; the processes share tokens again")
    })
    /** One command, bounded by commandTimeout; a failure is logged once per outage. */
    const command = <A>(run: () => Promise<A>): Effect.Effect<Option.Option<A>> =>
      Effect.tryPromise({ try: run, catch: (error) => error }).pipe(
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`no answer in ${timeout} ms`) }),
        Effect.tap(() => up),
        Effect.asSome,
        Effect.catchAll((error) => Effect.as(warnDown(error), Option.none<A>()))
      )

    const tokenKey = (key: string) => `${prefix}token:${key}`
    const lockKey = (key: string) => `${prefix}lock:${key}`
    const channel = `${prefix}events`

    // the waiters of this process, woken by the fleet's messages: "w <key>" written, "r <key>" released
    const waiters = new Map<string, Set<Deferred.Deferred<string>>>()
    subscriber.on("message", (from: string, message: string) => {
      if (from !== channel) return
      const key = message.slice(2)
      const waiting = waiters.get(key)
      if (waiting === undefined) return
      waiters.delete(key)
      for (const deferred of waiting) Deferred.unsafeDone(deferred, Exit.succeed(message.slice(0, 1)))
    })
    // on every (re)connection, also one made after Redis was down at start; SUBSCRIBE twice is harmless
    const subscribe = () => void subscriber.subscribe(channel).catch(() => undefined)
    subscriber.on("ready", subscribe)
    if (subscriber.status === "ready") subscribe()
    if (!(yield* ready(client, timeout)) || !(yield* ready(subscriber, timeout))) {
      yield* warnDown(new Error(`could not connect in ${timeout} ms`))
    }

    const pollMillis = Math.min(250, lockTtl / 4)
    const fleet: FleetLock = {
      name: "RedisTokenCache",
      waitMillis: lockWait,
      changed: (key) =>
        Effect.gen(function* () {
          const deferred = Deferred.unsafeMake<string>(FiberId.none)
          const set = waiters.get(key) ?? new Set()
          set.add(deferred)
          waiters.set(key, set)
          const woken = yield* Effect.raceFirst(Deferred.await(deferred), Effect.as(jittered(pollMillis), "poll")).pipe(
            Effect.ensuring(
              Effect.sync(() => {
                set.delete(deferred)
                // a key waited on once holds no entry for the rest of the process (per-user keys add up)
                if (set.size === 0 && waiters.get(key) === set) waiters.delete(key)
              })
            )
          )
          // released without a token (a failed fetch): the waiters try the lock a little apart
          if (woken === "r") yield* Effect.flatMap(Random.nextIntBetween(0, 25), (ms) => Effect.sleep(ms))
        }),
      acquire: (key) =>
        Effect.gen(function* () {
          const owner = yield* SecureRandom.hex(16)
          const set = yield* command(() => client.set(lockKey(key), owner, "PX", lockTtl, "NX"))
          if (Option.isNone(set)) return "down" as const
          if (set.value !== "OK") return "busy" as const
          yield* Effect.addFinalizer(() =>
            Effect.zipRight(
              command(() => client.eval(compareAndDelete, 1, lockKey(key), owner)),
              command(() => client.publish(channel, `r ${key}`))
            )
          )
          // kept alive while the fetch runs (a browser grant may take minutes); a holder that dies stops extending it
          yield* Effect.forkScoped(
            Effect.forever(
              Effect.zipRight(
                Effect.sleep(lockTtl / 3),
                command(() => client.eval(extendScript, 1, lockKey(key), owner, lockTtl))
              )
            )
          )
          return "held" as const
        })
    }

    const decode = (key: string, value: string): Effect.Effect<Option.Option<Token>> => {
      const text = encryption === undefined ? value : open(encryption, tokenKey(key), value)
      const token = text === undefined ? undefined : Either.getOrUndefined(decodeToken(text))
      return token !== undefined
        ? Effect.succeed(Option.some(token))
        : Effect.as(
            Effect.logWarning(
              `RedisTokenCache: could not ${text === undefined ? "decrypt (another encryptionKey, or altered)" : "decode"} the value of ${tokenKey(key)}; it counts as missing`
            ),
            Option.none()
          )
    }

    return {
      load: (key) =>
        Effect.flatMap(
          command(() => client.get(tokenKey(key))),
          (value) => (Option.isSome(value) && value.value !== null ? decode(key, value.value) : Effect.succeedNone)
        ),
      save: (key, token) =>
        Either.match(encodeToken(token), {
          onLeft: () => Effect.logWarning(`RedisTokenCache: could not encode the token for ${tokenKey(key)}`),
          onRight: (text) =>
            Effect.gen(function* () {
              const now = yield* Clock.currentTimeMillis
              // the TTL ends with the token, or keepRefreshable later when a process may still refresh it
              const ttl = token.expiresAt - now + (token.refreshToken === undefined ? 0 : refreshableMillis)
              if (ttl <= 0) return
              const value = encryption === undefined ? text : seal(encryption, tokenKey(key), text)
              // beyond what PX takes (2^63 ms), or keepRefreshable infinity: no TTL
              yield* command(() =>
                Number.isFinite(ttl) && ttl < 2 ** 53
                  ? client.set(tokenKey(key), value, "PX", Math.ceil(ttl))
                  : client.set(tokenKey(key), value)
              )
              yield* command(() => client.publish(channel, `w ${key}`))
            })
        }),
      remove: (key, token) =>
        token === undefined
          ? Effect.asVoid(command(() => client.del(tokenKey(key))))
          : Effect.gen(function* () {
              // the stored value is compared as read (a sealed value differs at each write: a new IV),
              // so that the delete is atomic on Redis: read, decode, compare, compare-and-delete
              const raw = Option.getOrNull(yield* command(() => client.get(tokenKey(key))))
              if (raw === null) return
              const stored = yield* decode(key, raw)
              if (Option.isNone(stored) || !sameToken(stored.value, token)) return
              yield* command(() => client.eval(compareAndDelete, 1, tokenKey(key), raw))
            }),
      clear: Effect.gen(function* () {
        // SCAN, not KEYS: Redis keeps serving meanwhile; the prefix's glob characters are escaped
        const pattern = `${tokenKey("").replace(/[*?[\]\\]/g, "\\$&")}*`
        let cursor = "0"
        do {
          const page = yield* command(() => client.scan(cursor, "MATCH", pattern, "COUNT", 100))
          if (Option.isNone(page)) return
          cursor = page.value[0]
          if (page.value[1].length > 0) yield* command(() => client.del(...page.value[1]))
        } while (cursor !== "0")
      }),
      fleet
    } satisfies Store
  })
