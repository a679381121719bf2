/**
 * Debian redis-server on a free 127.0.0.1 port, with no persistence (`--save ""
 * --appendonly no`: a restart starts empty, as a crashed cache does), killed
 * with the scope: for the Redis example and the fleet tests. `kill` (SIGKILL)
 * and `start` (again, on the same port) let a test take Redis away mid-run.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { freePort } from "./loopback.js"

export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /** kill -9: the clients see their connections drop. */
  readonly kill: Effect.Effect<void>
  /** Starts it again on the same port (empty), once it listens. */
  readonly start: Effect.Effect<void>
}

/** Whether a Redis answers PING on the port (not merely something that accepts connections). */
const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    let reply = ""
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => socket.write("PING\r\n"))
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString()
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"))
    })
    socket.once("error", () => done(false))
    socket.once("close", () => done(false))
  })

const launch = async (port: number, dir: string) => {
  const child: ChildProcess = spawn(
    "/usr/bin/redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" }
  )
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  let failed: Error | undefined
  child.once("error", (error) => {
    failed = error
  })
  // bounded: 10 s for a loaded machine
  for (let attempt = 0; attempt < 400 && failed === undefined && child.exitCode === null; attempt++) {
    // ours, still running: a redis-server that could not bind the port exits, whatever else answers on it
    if ((await answers(port)) && child.exitCode === null && child.signalCode === null) return { child, exited }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  child.kill("SIGKILL")
  throw new Error(`redis-server did not start on 127.0.0.1:${port}: ${failed?.message ?? `exit ${child.exitCode}`}`)
}

export const redisServer: Effect.Effect<RedisServer, never, Scope.Scope> = Effect.gen(function* () {
  const dir = mkdtempSync(join(tmpdir(), "redis-"))
  const port = yield* Effect.promise(freePort)
  let running: { child: ChildProcess; exited: Promise<void> } | undefined = yield* Effect.promise(() =>
    launch(port, dir)
  )
  const kill = Effect.promise(async () => {
    if (running === undefined) return
    const { child, exited } = running
    running = undefined
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    await exited
  })
  yield* Effect.addFinalizer(() =>
    Effect.zipRight(
      kill,
      Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
  )
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start: Effect.promise(async () => {
      if (running === undefined) running = await launch(port, dir)
    })
  }
})
