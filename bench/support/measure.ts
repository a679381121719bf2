/**
 * Shared bench helpers: runs tasks interleaved in rounds (so that a slow
 * period of the machine hits every task alike) and prints each task's median
 * as a ratio to a baseline measured in the same run.
 */
import { Bench } from "tinybench"

export interface Task {
  readonly name: string
  readonly fn: () => Promise<unknown> | unknown
}

/** Medians in microseconds, by task name, over `rounds` interleaved rounds. */
export const medians = async (
  tasks: ReadonlyArray<Task>,
  options: { readonly rounds?: number; readonly time?: number } = {}
): Promise<Map<string, number>> => {
  const samples = new Map<string, Array<number>>(tasks.map((task) => [task.name, []]))
  for (let round = 0; round < (options.rounds ?? 5); round++) {
    const bench = new Bench({ time: options.time ?? 200, warmup: true })
    for (const task of tasks) bench.add(task.name, task.fn)
    await bench.run()
    for (const task of bench.tasks) {
      const result = task.result as { latency?: { p50?: number } } | undefined
      if (result?.latency?.p50 !== undefined) samples.get(task.name)!.push(result.latency.p50 * 1000)
    }
  }
  const median = (values: Array<number>) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
  return new Map([...samples].map(([name, values]) => [name, median(values)]))
}

/** Prints `name  median µs  ratio` rows against `baseline`. */
export const printRatios = (title: string, results: Map<string, number>, baseline: string) => {
  const base = results.get(baseline)!
  console.log(`\n${title} (median per request; ratio to ${baseline})`)
  for (const [name, micros] of results) {
    console.log(`  ${name.padEnd(28)} ${micros.toFixed(1).padStart(8)} µs  ${(micros / base).toFixed(3)}x`)
  }
}
