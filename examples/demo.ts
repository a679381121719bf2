/**
 * `npm run demo`: runs each scheme against embedded loopback servers and
 * prints what happened. Each file in examples/demo/ is one part, run in the
 * order of its name; each default-exports an Effect that prints its lines.
 */
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type * as EffectTypes from "effect/Effect"

// Printed before anything heavy loads, so that the first line comes at once.
console.log("effect-http-auth demo: the library against servers it starts on 127.0.0.1 (no internet).")
console.log("→ is what the client sent, ← what came back; secrets are cut short (…).")

const folder = join(dirname(fileURLToPath(import.meta.url)), "demo")
const parts = readdirSync(folder)
  .filter((name) => name.endsWith(".ts"))
  .sort()

const { Console, Effect } = await import("effect")
const { NodeRuntime } = await import("@effect/platform-node")

const program = Effect.gen(function* () {
  for (const name of parts) {
    const part = (yield* Effect.promise(() => import(join(folder, name)))) as {
      readonly title: string
      readonly default: EffectTypes.Effect<void, unknown>
    }
    yield* Console.log(`\n== ${part.title} ==`)
    yield* Effect.scoped(part.default)
  }
  yield* Console.log(`\ndemo finished: ${parts.length} parts`)
})

NodeRuntime.runMain(program)
