/**
 * Shared bench helpers: runs the tasks interleaved one call at a time (so
 * that a slow moment of a shared machine hits every task alike) and prints
 * each task's median as a ratio to a baseline measured in the same run.
 */
import { performance } from "node:perf_hooks"

export interface Task {
  readonly name: string
  readonly fn: () => Promise<unknown> | unknown
  /** How many operations one call of `fn` makes (a batch); the median is per operation. Default 1. */
  readonly batch?: number
}

/**
 * Medians in microseconds (per operation of a batch), by task name. Each task runs `warmup` calls, then
 * the tasks take turns, one call each in a rotating order, until every task
 * has spent `rounds * time` milliseconds (and made at least 50 calls).
 */
export const medians = async (
  tasks: ReadonlyArray<Task>,
  options: { readonly rounds?: number; readonly time?: number; readonly warmup?: number } = {}
): Promise<Map<string, number>> => {
  const budget = (options.rounds ?? 5) * (options.time ?? 200)
  for (const task of tasks) {
    for (let i = 0; i < (options.warmup ?? 200); i++) await task.fn()
  }
  const samples = tasks.map(() => [] as Array<number>)
  const spent = tasks.map(() => 0)
  for (let turn = 0; spent.some((ms, i) => ms < budget || samples[i]!.length < 50); turn++) {
    for (let k = 0; k < tasks.length; k++) {
      const i = (k + turn) % tasks.length
      const start = performance.now()
      await tasks[i]!.fn()
      const elapsed = performance.now() - start
      samples[i]!.push(elapsed * 1000)
      spent[i]! += elapsed
    }
  }
  const median = (values: Array<number>) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
  return new Map(tasks.map((task, i) => [task.name, median(samples[i]!) / (task.batch ?? 1)]))
}

/** Prints `name  median µs  ratio` rows against `baseline`. */
export const printRatios = (title: string, results: Map<string, number>, baseline: string) => {
  const base = results.get(baseline)!
  console.log(`\n${title} (median per request; ratio to ${baseline})`)
  for (const [name, micros] of results) {
    console.log(`  ${name.padEnd(28)} ${micros.toFixed(1).padStart(8)} µs  ${(micros / base).toFixed(3)}x`)
  }
}
