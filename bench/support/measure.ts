/**
 * Shared bench helpers. A measure is several rounds; in each round the tasks
 * run in a new random order, interleaved one call at a time (so that a slow
 * moment of a shared machine hits every task alike), and each task's median
 * wall time and its CPU time (process.cpuUsage, user + system) per operation
 * are taken. Ratios to the baseline are paired: a task's figure over the
 * baseline's in the same round. The print shows the median over rounds and
 * the spread [lowest–highest], so a figure can be checked against a rerun.
 */
import { performance } from "node:perf_hooks"

export interface Task {
  readonly name: string
  readonly fn: () => Promise<unknown> | unknown
  /** How many operations one call of `fn` makes (a batch, or requests in flight); figures are per operation. Default 1. */
  readonly batch?: number
}

/** Per round: the median wall time and the CPU time, each in µs per operation. */
export interface Measured {
  readonly wall: Array<number>
  readonly cpu: Array<number>
}

const cpuNow = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

export const shuffled = <A>(values: ReadonlyArray<A>): Array<A> => {
  const copy = [...values]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

const median = (values: ReadonlyArray<number>) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

/**
 * Each task runs `warmup` calls, then `rounds` rounds (default 5, or
 * BENCH_ROUNDS) in which every task spends about `time` milliseconds (and
 * makes at least 20 calls).
 */
export const medians = async (
  tasks: ReadonlyArray<Task>,
  options: { readonly rounds?: number; readonly time?: number; readonly warmup?: number } = {}
): Promise<Map<string, Measured>> => {
  const rounds = Number(process.env.BENCH_ROUNDS ?? options.rounds ?? 5)
  const time = options.time ?? 200
  for (const task of tasks) {
    for (let i = 0; i < (options.warmup ?? 200); i++) await task.fn()
  }
  const results = new Map(tasks.map((task) => [task.name, { wall: [], cpu: [] } as Measured]))
  for (let round = 0; round < rounds; round++) {
    const order = shuffled(tasks)
    const samples = order.map(() => [] as Array<number>)
    const spent = order.map(() => 0)
    const cpu = order.map(() => 0)
    while (spent.some((ms, i) => ms < time || samples[i]!.length < 20)) {
      for (let i = 0; i < order.length; i++) {
        const cpuStart = cpuNow()
        const start = performance.now()
        await order[i]!.fn()
        const elapsed = performance.now() - start
        cpu[i]! += cpuNow() - cpuStart
        samples[i]!.push(elapsed * 1000)
        spent[i]! += elapsed
      }
    }
    order.forEach((task, i) => {
      const batch = task.batch ?? 1
      results.get(task.name)!.wall.push(median(samples[i]!) / batch)
      results.get(task.name)!.cpu.push(cpu[i]! / (samples[i]!.length * batch))
    })
  }
  return results
}

const spread = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return `${median(values).toFixed(3)}x [${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)}]`
}

/** The paired ratios of `task` to `baseline`, one a round. */
export const ratios = (results: Map<string, Measured>, task: string, baseline: string, of: "wall" | "cpu" = "wall") =>
  results.get(task)![of].map((value, round) => value / results.get(baseline)![of][round]!)

/**
 * Prints, for each task: median wall µs per operation, the paired wall ratio
 * to `baseline` (median [min–max] over rounds), the CPU µs per operation and
 * its paired ratio; with `difference`, the wall and CPU µs above the baseline too.
 */
export const printRatios = (
  title: string,
  results: Map<string, Measured>,
  baseline: string,
  options: { readonly difference?: boolean } = {}
) => {
  const rounds = results.get(baseline)!.wall.length
  console.log(`\n${title} (per operation, ${rounds} rounds in random order; ratios to ${baseline} paired per round)`)
  console.log(
    `  ${"".padEnd(36)} ${"wall".padStart(9)}  ${"ratio [spread]".padEnd(22)} ${"CPU".padStart(9)}  CPU ratio`
  )
  for (const [name, measured] of results) {
    const over = options.difference
      ? `  ${signed(median(measured.wall.map((w, i) => w - results.get(baseline)!.wall[i]!)))} µs wall, ${signed(
          median(measured.cpu.map((c, i) => c - results.get(baseline)!.cpu[i]!))
        )} µs CPU`
      : ""
    console.log(
      `  ${name.padEnd(36)} ${micros(median(measured.wall)).padStart(6)} µs  ${spread(ratios(results, name, baseline)).padEnd(22)} ${micros(
        median(measured.cpu)
      ).padStart(6)} µs  ${spread(ratios(results, name, baseline, "cpu"))}${over}`
    )
  }
}

/** Microseconds: two decimals below 10 µs, where the goals are fractions of a microsecond. */
const micros = (value: number) => value.toFixed(Math.abs(value) < 10 ? 2 : 1)

const signed = (value: number) => `${value < 0 ? "-" : "+"}${micros(Math.abs(value))}`
