/**
 * What a token cache keeps behind its in-memory copy: nothing, one JSON
 * file, or a KeyValueStore. A backend never fails: a store that cannot be
 * read or written logs a warning and the cache goes on from memory.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { hashHex } from "./hash.js"
import * as SecureRandom from "../SecureRandom.js"
import { Token, TokenFromJson } from "../Token.js"

/**
 * Where tokens are kept behind memory. `load` is asked on a miss or an
 * expiry only.
 */
export interface Store {
  readonly load: (key: string) => Effect.Effect<Option.Option<Token>>
  readonly save: (key: string, token: Token) => Effect.Effect<void>
  /**
   * Removes the token under `key`; with `token`, only while the stored one
   * is still that token (its access token): a token another process has
   * written since is kept.
   */
  readonly remove: (key: string, token?: Token) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
  /** A store shared by many processes: the lock that lets one of them fetch while the others wait. */
  readonly fleet?: FleetLock | undefined
}

/**
 * The distributed single-flight of a shared store, in front of each
 * process's own single-flight: on a miss or an expiry one process of the
 * fleet fetches under the lock, the others wait for its token.
 */
export interface FleetLock {
  /**
   * Takes the lock on `key` for the life of the scope (kept alive meanwhile,
   * released when it closes): `"held"`; `"busy"` while another process holds
   * it; `"down"` when the lock cannot be asked (the store logs why), and the
   * process then fetches on its own.
   */
  readonly acquire: (key: string) => Effect.Effect<"held" | "busy" | "down", never, Scope.Scope>
  /** Returns when the token or the lock under `key` may have changed: a notification, else a poll interval (jittered). */
  readonly changed: (key: string) => Effect.Effect<void>
  /** How long a process waits for another's token before it fetches on its own. */
  readonly waitMillis: number
  /** What the store is called in a warning. */
  readonly name: string
}

/** Whether two tokens are one: the same access token. */
export const sameToken = (a: Token, b: Token) => Redacted.value(a.accessToken) === Redacted.value(b.accessToken)

/** Whether a stored value (decoded by `decode`) is `token`; an undecodable one is not. */
const holds = <I>(decode: (value: I) => Either.Either<Token, unknown>, value: I, token: Token) =>
  Either.match(decode(value), { onLeft: () => false, onRight: (stored) => sameToken(stored, token) })

export const none: Store = {
  load: () => Effect.succeedNone,
  save: () => Effect.void,
  remove: () => Effect.void,
  clear: Effect.void
}

const encodeToken = Schema.encodeEither(Token)
const decodeToken = Schema.decodeUnknownEither(Token)

// --- one JSON file ----------------------------------------------------------

/** The file's shape: `{ "version": 1, "tokens": { key: token } }`. */
type Entries = Readonly<Record<string, unknown>>

const parseFile = (text: string): Either.Either<Entries, string> => {
  try {
    const json = JSON.parse(text) as unknown
    const tokens = typeof json === "object" && json !== null ? (json as { tokens?: unknown }).tokens : undefined
    return typeof tokens === "object" && tokens !== null && !Array.isArray(tokens)
      ? Either.right(tokens as Entries)
      : Either.left('it is not {"version":1,"tokens":{...}}')
  } catch {
    return Either.left("it is not JSON")
  }
}

/**
 * How long a lock file may be held before another process takes it over (a
 * writer holds it for one read and one write, milliseconds), and how long a
 * writer waits for it before it gives up writing (the token stays in memory).
 */
export const lockTiming = { staleAfterMillis: 10_000, waitMillis: 15_000, pollMillis: 20 }

/** Whether process `pid` still runs (signal 0 only checks; EPERM means it runs as another user). */
const isAlive = (pid: number) => {
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const alreadyExists = (error: unknown) =>
  typeof error === "object" && error !== null && (error as { reason?: unknown }).reason === "AlreadyExists"

const mtimeOf = (info: FileSystem.File.Info) =>
  Option.getOrElse(
    Option.map(info.mtime, (date) => date.getTime()),
    () => 0
  )

const splitPath = (path: string) => {
  const slash = path.lastIndexOf("/")
  return slash === -1 ? { dir: ".", base: path } : { dir: path.slice(0, slash) || "/", base: path.slice(slash + 1) }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * The entries that can still serve at `now` (the rule of the Redis cache's
 * TTLs): a token past its expiry is dropped, unless it holds a refresh token
 * (RFC 6749 section 6: it can still be renewed), which is dropped
 * `keepRefreshableMillis` past its expiry. An entry this version cannot
 * decode is kept: it may be another version's. The same object when none is
 * dropped.
 */
export const prune = (entries: Entries, now: number, keepRefreshableMillis: number): Entries => {
  const serves = (value: unknown) =>
    Either.match(decodeToken(value), {
      onLeft: () => true,
      onRight: (token) => now < token.expiresAt + (token.refreshToken === undefined ? 0 : keepRefreshableMillis)
    })
  const kept = Object.entries(entries).filter(([, value]) => serves(value))
  return kept.length === Object.keys(entries).length ? entries : Object.fromEntries(kept)
}

export interface FileOptions {
  readonly path: string
  /** How long past its expiry a token with a refresh token is kept (`Infinity`: until it is replaced). */
  readonly keepRefreshableMillis: number
}

export const file = ({
  keepRefreshableMillis,
  path
}: FileOptions): Effect.Effect<Store, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    // one writer per process at a time; the lock file orders the processes
    const lock = yield* Effect.makeSemaphore(1)
    const lockPath = `${path}.lock`
    const { dir, base } = splitPath(path)
    // `${base}.${pid}.${random}.tmp`: the temp files of this cache, and the pid that wrote each
    const tempName = new RegExp(`^${escapeRegExp(base)}\\.(\\d+)\\.[0-9a-z]+\\.tmp$`)
    let swept = false
    // what the file held when this process last read or wrote it
    let snapshot: { stamp: string; entries: Entries } = { stamp: "", entries: {} }

    const warn = (what: string) => (reason: unknown) =>
      Effect.logWarning(`TokenCache.layerFile: ${what} ${path} (${reasonOf(reason)}); going on without it`)

    const stampNow = fs.stat(path).pipe(
      Effect.map((info) => [mtimeOf(info), info.size, Option.getOrUndefined(info.ino)].join(":")),
      Effect.orElseSucceed(() => "missing")
    )

    /** Re-reads the file if another process changed it since. */
    const sync = Effect.gen(function* () {
      const stamp = yield* stampNow
      if (stamp === snapshot.stamp) return snapshot.entries
      if (stamp === "missing") {
        snapshot = { stamp, entries: {} }
        return snapshot.entries
      }
      const entries = yield* fs.readFileString(path).pipe(
        Effect.flatMap((text) =>
          Either.match(parseFile(text), {
            onLeft: (reason) => Effect.as(warn("could not use the corrupt file")(reason), {} as Entries),
            onRight: Effect.succeed
          })
        ),
        Effect.catchAll((error) => Effect.as(warn("could not read")(error), {} as Entries))
      )
      snapshot = { stamp, entries }
      return entries
    })

    /**
     * A lock held by a writer that died (kill -9) or hung: its pid no longer
     * runs, or it is older than `staleAfterMillis`.
     */
    const isStale = (lockPath: string) =>
      Effect.gen(function* () {
        const info = yield* fs.stat(lockPath)
        // the file system's clock, not the Clock service: an mtime is wall-clock time
        if (Date.now() - mtimeOf(info) > lockTiming.staleAfterMillis) return true
        const pid = Number.parseInt(yield* fs.readFileString(lockPath), 10)
        // a lock being written has no pid yet: not stale
        return !Number.isNaN(pid) && !isAlive(pid)
      }).pipe(Effect.orElseSucceed(() => false))

    /**
     * Removes a stale lock file; `true` when it did. Many processes may find
     * it stale at once: only the one that creates `<lock>.takeover` (O_EXCL)
     * removes it, after checking again, so that none removes the lock another
     * has just taken over.
     */
    const removeStale = (lockPath: string) =>
      Effect.gen(function* () {
        if (!(yield* isStale(lockPath))) return false
        const guard = `${lockPath}.takeover`
        const mine = yield* fs.writeFileString(guard, `${process.pid}\n`, { flag: "wx", mode: 0o600 }).pipe(
          Effect.as(true),
          Effect.orElseSucceed(() => false)
        )
        if (!mine) {
          // a guard left by a process killed in these few milliseconds
          if (yield* isStale(guard)) yield* Effect.ignore(fs.remove(guard))
          return false
        }
        return yield* Effect.ensuring(
          Effect.gen(function* () {
            if (!(yield* isStale(lockPath))) return false
            yield* Effect.logWarning(`TokenCache.layerFile: took over the stale lock ${lockPath}`)
            yield* Effect.ignore(fs.remove(lockPath))
            return true
          }),
          Effect.ignore(fs.remove(guard))
        )
      })

    /** Takes the lock file (created with O_EXCL: one process wins), waiting a bounded time. */
    const acquire = Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      while (true) {
        const taken = yield* fs.writeFileString(lockPath, `${process.pid}\n`, { flag: "wx", mode: 0o600 }).pipe(
          Effect.as(true),
          Effect.catchIf(alreadyExists, () => Effect.succeed(false))
        )
        if (taken) return true
        if (yield* removeStale(lockPath)) continue
        if ((yield* Clock.currentTimeMillis) - started > lockTiming.waitMillis) return false
        yield* Effect.sleep(lockTiming.pollMillis)
      }
    })

    const release = Effect.ignore(fs.remove(lockPath))

    /** Removes the temp files that writers killed mid-write left behind. */
    const sweep = Effect.gen(function* () {
      if (swept) return
      swept = true
      for (const name of yield* fs.readDirectory(dir)) {
        const match = tempName.exec(name)
        if (match !== null && !isAlive(Number(match[1]))) yield* Effect.ignore(fs.remove(`${dir}/${name}`))
      }
    }).pipe(Effect.ignore)

    /**
     * Writes through a temp file in the cache's own directory, created
     * exclusively (O_EXCL: a planted file or symlink is never followed nor
     * reused) with mode 0600, then renamed over the file: a reader sees the
     * old file or the new one.
     */
    const write = (entries: Entries) =>
      Effect.gen(function* () {
        const text = yield* Effect.try({
          try: () => JSON.stringify({ version: 1, tokens: entries }, null, 2),
          catch: (error) => error
        })
        const random = Buffer.from(yield* SecureRandom.bytes(8)).toString("hex")
        const temp = `${dir}/${base}.${process.pid}.${random}.tmp`
        yield* fs.writeFileString(temp, text, { flag: "wx", mode: 0o600 })
        yield* fs.rename(temp, path).pipe(Effect.tapError(() => Effect.ignore(fs.remove(temp))))
        snapshot = { stamp: yield* stampNow, entries }
      })

    /**
     * Read, merge, prune, write, under the process lock and the lock file:
     * no other process's token is lost, and the tokens that can no longer
     * serve go in the same write (never a second read-modify-write).
     */
    const update = (f: (entries: Entries) => Entries) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const locked = yield* acquire.pipe(
            Effect.catchAll((error) => Effect.as(warn("could not lock")(error), undefined))
          )
          if (locked === undefined) return
          if (!locked) {
            return yield* warn("could not write")(
              `another process has held ${lockPath} for ${lockTiming.waitMillis / 1000} s`
            )
          }
          yield* Effect.ensuring(
            Effect.gen(function* () {
              yield* sweep
              snapshot = { stamp: "", entries: {} }
              const entries = yield* sync
              const next = f(entries)
              // nothing to change (a conditional remove that found another token): no write
              if (next !== entries) yield* write(prune(next, yield* Clock.currentTimeMillis, keepRefreshableMillis))
            }).pipe(Effect.catchAllCause((cause) => warn("could not write")(Cause.squash(cause)))),
            release
          )
        })
      )

    return {
      load: (key) =>
        lock.withPermits(1)(
          Effect.map(sync, (entries) =>
            key in entries ? Either.getRight(decodeToken(entries[key])) : Option.none<Token>()
          )
        ),
      save: (key, token) =>
        Either.match(encodeToken(token), {
          onLeft: warn("could not encode the token for"),
          onRight: (encoded) => update((entries) => ({ ...entries, [key]: encoded }))
        }),
      // under the lock file: read, compare, remove (no other process writes in between)
      remove: (key, token) =>
        update((entries) => {
          if (!(key in entries) || (token !== undefined && !holds(decodeToken, entries[key], token))) return entries
          const { [key]: _, ...rest } = entries
          return rest
        }),
      clear: update(() => ({})),
      fleet: {
        name: `TokenCache.layerFile (${path})`,
        waitMillis: lockTiming.waitMillis,
        // no notification on a file: the waiters poll its stamp (one stat)
        changed: () => jittered(lockTiming.pollMillis),
        acquire: (key) =>
          Effect.gen(function* () {
            // one lock file per key beside the cache, named by a hash (a key holds a URL and spaces)
            const fetchLock = `${path}.${hashHex("sha256", key).slice(0, 16)}.fetch.lock`
            const owner = `${process.pid} ${yield* SecureRandom.hex(8)}\n`
            const take = fs.writeFileString(fetchLock, owner, { flag: "wx", mode: 0o600 }).pipe(
              Effect.as("held" as const),
              Effect.catchIf(alreadyExists, () => Effect.succeed("busy" as const)),
              Effect.catchAll((error) => Effect.as(warn("could not lock")(error), "down" as const))
            )
            let outcome = yield* take
            // a holder killed mid-fetch (kill -9) leaves its lock file: the next process takes it over
            if (outcome === "busy" && (yield* removeStale(fetchLock))) outcome = yield* take
            if (outcome !== "held") return outcome
            // released by its owner only; a fetch longer than staleAfterMillis keeps it fresh
            yield* Effect.addFinalizer(() =>
              fs.readFileString(fetchLock).pipe(
                Effect.flatMap((text) => (text === owner ? fs.remove(fetchLock) : Effect.void)),
                Effect.ignore
              )
            )
            // an mtime is wall-clock time, so the touch uses the wall clock
            const touch = Effect.suspend(() => fs.utimes(fetchLock, new Date(), new Date()))
            yield* Effect.forkScoped(
              Effect.forever(Effect.zipRight(Effect.sleep(lockTiming.staleAfterMillis / 3), Effect.ignore(touch)))
            )
            return outcome
          })
      }
    } satisfies Store
  })

/** A poll interval between 0.5x and 1.5x `millis`, so that waiters do not move in step. */
export const jittered = (millis: number) =>
  Effect.flatMap(Random.nextRange(0.5, 1.5), (factor) => Effect.sleep(Math.round(millis * factor)))

const reasonOf = (error: unknown): string =>
  typeof error === "string"
    ? error
    : typeof error === "object" && error !== null && "message" in error
      ? String((error as { message: unknown }).message)
      : String(error)

// --- KeyValueStore ----------------------------------------------------------

export const keyValueStore = (prefix: string): Effect.Effect<Store, never, KeyValueStore.KeyValueStore> =>
  Effect.gen(function* () {
    const store = yield* KeyValueStore.KeyValueStore
    // the keys this cache wrote: `clear` removes those, not the store's other values
    const written = new Set<string>()
    const warn = (what: string) => (error: unknown) =>
      Effect.logWarning(`TokenCache.layerKeyValueStore: ${what} (${reasonOf(error)}); going on without it`)
    const decode = Schema.decodeEither(TokenFromJson)
    const encode = Schema.encodeEither(TokenFromJson)
    return {
      load: (key) =>
        store.get(prefix + key).pipe(
          Effect.flatMap(
            Option.match({
              onNone: () => Effect.succeedNone,
              onSome: (text) =>
                Either.match(decode(text), {
                  onLeft: () =>
                    Effect.as(warn(`could not decode the value of ${prefix + key}`)("corrupt"), Option.none()),
                  onRight: (token) => Effect.succeed(Option.some(token))
                })
            })
          ),
          Effect.catchAll((error) => Effect.as(warn("could not read")(error), Option.none<Token>()))
        ),
      save: (key, token) =>
        // encodeEither: a token that cannot be written (a field nested too deep) is a warning, never a throw
        Either.match(encode(token), {
          onLeft: warn(`could not encode the token for ${prefix + key}`),
          onRight: (text) =>
            Effect.suspend(() => {
              written.add(key)
              return store.set(prefix + key, text)
            }).pipe(Effect.catchAll(warn("could not write")))
        }),
      // read, compare, remove: not atomic (a KeyValueStore has no compare-and-delete), so a token
      // another instance writes between the read and the remove is lost (one token request more)
      remove: (key, token) =>
        (token === undefined
          ? store.remove(prefix + key)
          : Effect.flatMap(store.get(prefix + key), (text) =>
              Option.isSome(text) && holds(decode, text.value, token) ? store.remove(prefix + key) : Effect.void
            )
        ).pipe(Effect.catchAll(warn("could not remove"))),
      clear: Effect.suspend(() =>
        Effect.forEach([...written], (key) => store.remove(prefix + key), { discard: true })
      ).pipe(Effect.catchAll(warn("could not clear")))
    } satisfies Store
  })
