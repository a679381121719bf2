/**
 * One of the writers of the two-process file cache test: saves `count` tokens
 * under keys `${name}-${i}` to the file cache at `path`, each save a
 * read-merge-write of its own, and exits.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Redacted } from "effect"
import { Token, TokenCache } from "../../../src/index.js"

const [path, name, count] = process.argv.slice(2) as [string, string, string]

const program = Effect.gen(function* () {
  const cache = yield* TokenCache.TokenCache
  for (let i = 0; i < Number(count); i++) {
    const token = new Token.Token({
      accessToken: Redacted.make(`${name}-token-${i}`),
      tokenType: "Bearer",
      expiresAt: Date.now() + 3_600_000,
      refreshToken: Redacted.make(`${name}-refresh-${i}`),
      fields: {}
    })
    yield* cache.set(`${name}-${i}`, token)
  }
}).pipe(Effect.provide(TokenCache.layerFile({ path })), Effect.provide(NodeFileSystem.layer))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
