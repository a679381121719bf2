/**
 * What a token cache keeps behind its in-memory copy: nothing, one JSON
 * file, or a KeyValueStore. A backend never fails: a store that cannot be
 * read or written logs a warning and the cache goes on from memory.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Token, TokenFromJson } from "../Token.js"

/**
 * Where tokens are kept behind memory. `load` is asked on a miss or an
 * expiry only.
 */
export interface Store {
  readonly load: (key: string) => Effect.Effect<Option.Option<Token>>
  readonly save: (key: string, token: Token) => Effect.Effect<void>
  readonly remove: (key: string) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
}

export const none: Store = {
  load: () => Effect.succeedNone,
  save: () => Effect.void,
  remove: () => Effect.void,
  clear: Effect.void
}

const encodeToken = Schema.encodeSync(Token)
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

let tempCounter = 0

export const file = (path: string): Effect.Effect<Store, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const lock = yield* Effect.makeSemaphore(1)
    // what the file held when this process last read or wrote it
    let snapshot: { stamp: string; entries: Entries } = { stamp: "", entries: {} }

    const warn = (what: string) => (reason: unknown) =>
      Effect.logWarning(`TokenCache.layerFile: ${what} ${path} (${reasonOf(reason)}); going on without it`)

    const stampNow = fs.stat(path).pipe(
      Effect.map((info) =>
        [
          Option.getOrElse(
            Option.map(info.mtime, (d) => d.getTime()),
            () => 0
          ),
          info.size,
          Option.getOrUndefined(info.ino)
        ].join(":")
      ),
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

    const write = (entries: Entries) =>
      Effect.gen(function* () {
        const temp = `${path}.${process.pid}.${++tempCounter}.tmp`
        const text = JSON.stringify({ version: 1, tokens: entries }, null, 2)
        yield* fs.writeFileString(temp, text, { mode: 0o600 })
        // rename is atomic: a reader sees the old file or the new one
        yield* fs.rename(temp, path)
        snapshot = { stamp: yield* stampNow, entries }
      }).pipe(Effect.catchAll(warn("could not write")))

    const update = (f: (entries: Entries) => Entries) =>
      lock.withPermits(1)(Effect.flatMap(sync, (entries) => write(f(entries))))

    return {
      load: (key) =>
        lock.withPermits(1)(
          Effect.map(sync, (entries) =>
            key in entries ? Either.getRight(decodeToken(entries[key])) : Option.none<Token>()
          )
        ),
      save: (key, token) => update((entries) => ({ ...entries, [key]: encodeToken(token) })),
      remove: (key) =>
        update((entries) => {
          const { [key]: _, ...rest } = entries
          return rest
        }),
      clear: update(() => ({}))
    } satisfies Store
  })

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
        Effect.suspend(() => {
          written.add(key)
          return store.set(prefix + key, Schema.encodeSync(TokenFromJson)(token))
        }).pipe(Effect.catchAll(warn("could not write"))),
      remove: (key) => store.remove(prefix + key).pipe(Effect.catchAll(warn("could not remove"))),
      clear: Effect.suspend(() =>
        Effect.forEach([...written], (key) => store.remove(prefix + key), { discard: true })
      ).pipe(Effect.catchAll(warn("could not clear")))
    } satisfies Store
  })
