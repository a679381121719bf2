/**
 * Load time of each entry of the built package (run `npm run build` first)
 * after `effect` and `@effect/platform` are loaded: what a CLI or a
 * serverless function pays at every start for this library alone. A fresh
 * Node process per sample, the entries in random order each round; wall
 * and CPU time of the `import` itself. Goal (issue 20): the core entry
 * within 50 ms.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const entries = {
  "effect-http-auth": "dist/index.js",
  "/testing": "dist/testing/index.js",
  "/node": "dist/node/index.js",
  "/redis": "dist/redis/index.js"
}

// loads the peers, then times the import of the entry given as argv[1]
const probe = `
import { performance } from "node:perf_hooks"
await import("effect")
await import("@effect/platform")
const start = performance.now()
const cpu = process.cpuUsage()
await import(process.argv[1])
const used = process.cpuUsage(cpu)
console.log(JSON.stringify({ wall: performance.now() - start, cpu: (used.user + used.system) / 1000 }))
`

const sample = (file: string): { wall: number; cpu: number } =>
  JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", probe, pathToFileURL(join(root, file)).href], {
      cwd: root,
      encoding: "utf8"
    })
  )

const median = (values: Array<number>) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export default async () => {
  if (!existsSync(join(root, "dist/index.js"))) {
    console.log("\n(skipped: no dist/; run `npm run build` first)")
    return
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 9)
  const samples = new Map(Object.keys(entries).map((name) => [name, [] as Array<{ wall: number; cpu: number }>]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, file] of Object.entries(entries).sort(() => Math.random() - 0.5)) {
      samples.get(name)!.push(sample(file))
    }
  }
  console.log(`\nimport after effect and @effect/platform (${rounds} fresh processes each; median [min–max])`)
  for (const [name, values] of samples) {
    const wall = values.map((value) => value.wall)
    const cpu = values.map((value) => value.cpu)
    console.log(
      `  ${name.padEnd(20)} wall ${median([...wall])
        .toFixed(1)
        .padStart(6)} ms [${Math.min(...wall).toFixed(0)}–${Math.max(...wall).toFixed(0)}]   CPU ${median([...cpu])
        .toFixed(1)
        .padStart(6)} ms [${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}]`
    )
  }
}
