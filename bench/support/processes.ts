/**
 * Rounds in fresh processes. Two clients built the same way differed by 4
 * to 6% over 40 seconds of one process (two identical Basic clients on
 * loopback, on a loaded machine; the cause was not pinned down), as much as
 * a 5% goal. A suite that measures there runs its rounds in several fresh
 * processes, each building its clients in a new random order, so that such
 * an instance effect lands on every case alike; a twin of the baseline shows
 * what is left (the noise floor).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Measured } from "./measure.js"

/** What a child prints as its last line of stdout: its rounds, case by case. */
export const report = (results: Map<string, Measured>) => console.log(JSON.stringify([...results]))

const run = (script: URL, env: Record<string, string>) =>
  new Promise<Array<[string, Measured]>>((resolve, reject) => {
    // the parent's flags (--expose-gc, bench/register.mjs) so that the child measures what the parent would
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(script)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk))
    child.on("error", reject)
    child.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? ""
      if (code !== 0) return reject(new Error(`${fileURLToPath(script)} exited with ${code}`))
      resolve(JSON.parse(last) as Array<[string, Measured]>)
    })
  })

/**
 * Runs `script` in `processes` fresh processes, one after the other (each
 * with `rounds` rounds, passed as BENCH_ROUNDS), and joins their rounds case
 * by case: the ratios stay paired within each round.
 */
export const inFreshProcesses = async (
  script: URL,
  processes: number,
  rounds: number
): Promise<Map<string, Measured>> => {
  const joined = new Map<string, Measured>()
  for (let i = 0; i < processes; i++) {
    for (const [name, measured] of await run(script, { BENCH_ROUNDS: String(rounds) })) {
      const into = joined.get(name) ?? { wall: [], cpu: [] }
      into.wall.push(...measured.wall)
      into.cpu.push(...measured.cpu)
      joined.set(name, into)
    }
  }
  return joined
}
