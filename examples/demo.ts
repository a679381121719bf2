/**
 * `npm run demo`: runs each scheme against embedded loopback servers and
 * prints what happened. Each file in examples/demo/ is one part, run in the
 * order of its name; each default-exports an Effect that prints its lines.
 */
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"

const folder = join(dirname(fileURLToPath(import.meta.url)), "demo")
const parts = readdirSync(folder)
  .filter((name) => name.endsWith(".ts"))
  .sort()

const program = Effect.gen(function* () {
  for (const name of parts) {
    const part = (yield* Effect.promise(() => import(join(folder, name)))) as {
      readonly title: string
      readonly default: Effect.Effect<void, unknown>
    }
    yield* Console.log(`\n== ${part.title} ==`)
    yield* Effect.scoped(part.default)
  }
  yield* Console.log(`\ndemo finished: ${parts.length} parts`)
})

NodeRuntime.runMain(program)
