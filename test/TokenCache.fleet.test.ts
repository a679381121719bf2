/**
 * The file cache's fleet guarantee on one machine: 8 worker processes
 * (test/fixtures/fleet.ts) share one JSON file; on a miss or an expiry one
 * of them requests the token under the key's lock file, the others wait for
 * it, and a lock holder killed mid-fetch is taken over at once (its pid no
 * longer runs).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import {
  burst,
  fleet,
  killLockHolder,
  loop,
  refusedInTwo,
  type TokenServer,
  tokenServer,
  until,
  type Worker
} from "./fixtures/fleet.js"

const processes = 8
// as in the Redis fleet test: 8 processes x 500 concurrent requests
const requests = 500

let scope: Scope.CloseableScope
let server: TokenServer
let workers: ReadonlyArray<Worker>
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fleet-file-"))
  scope = Effect.runSync(Scope.make())
  server = await Effect.runPromise(Scope.extend(tokenServer, scope))
  workers = await Effect.runPromise(
    Scope.extend(fleet(processes, { cache: "file", origin: server.origin, path: join(dir, "tokens.json") }), scope)
  )
}, 120_000)

afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  rmSync(dir, { recursive: true, force: true })
})

describe(`TokenCache.layerFile, a fleet of ${processes} processes on one file`, () => {
  it(`${requests} concurrent requests in each on a cold cache: 1 token request`, async () => {
    const results = await burst(workers, "cold", requests)
    expect(results).toEqual(workers.map(() => ({ ok: requests, failed: 0, tokens: 1 })))
    expect(server.issues("cold").map((issue) => issue.grant)).toEqual(["client_credentials"])
  })

  it("at each expiry 1 token request, a refresh, each rotating refresh token sent once", async () => {
    server.lifetimes.set("expiry", 1)
    const totals = await loop(workers, "expiry", 10, () =>
      until(() => server.issues("expiry").length >= 5, 30_000, "5 token requests")
    )
    expect(totals.every((total) => total.failed === 0 && total.ok > 0)).toBe(true)
    const issues = server.issues("expiry")
    expect(issues.map((issue) => `${issue.grant} ${issue.refreshToken ?? "-"}`)).toEqual(
      issues.map((issue, i) => (i === 0 ? "client_credentials -" : `refresh_token ${issue.refreshToken}`))
    )
    expect(server.reuses("expiry")).toBe(0)
    const sent = issues.slice(1).map((issue) => issue.refreshToken)
    expect(new Set(sent).size).toBe(sent.length)
    const gaps = issues.slice(1).map((issue, i) => issue.at - issues[i]!.at)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(400)
  })

  it("a 401 for T1 in process A keeps T2, which process B wrote meanwhile: no token request more", async () => {
    const { a, b, lines, tokens } = await refusedInTwo(workers, server)
    expect(lines).toEqual([1, 2, 3, 4].map(() => ({ ok: 1, failed: 0, tokens: 1 })))
    expect(server.issues("refused").map((issue) => `${issue.grant} ${issue.worker}`)).toEqual([
      `client_credentials ${a.pid}`,
      `client_credentials ${b.pid}`
    ])
    const stored = JSON.parse(readFileSync(join(dir, "tokens.json"), "utf8")).tokens
    const key = Object.keys(stored).find((key) => key.includes("/token/refused"))!
    expect(stored[key].accessToken).toBe(tokens[1])
  })

  it("kill -9 of the lock holder mid-fetch: another process takes its lock file over", async () => {
    const { holder, killedAt, lines } = await killLockHolder(workers, server)
    // its pid no longer runs: the lock file is stale at once, not after 10 s
    expect(server.issues("kill")[1]!.at - killedAt).toBeLessThanOrEqual(3000)
    expect(server.issues("kill")[1]!.worker).not.toBe(String(holder.pid))
    expect(lines.filter((line) => line === "killed")).toHaveLength(1)
    expect(lines.filter((line) => line === "burst 50 0 1")).toHaveLength(processes - 1)
    expect(server.issues("kill")).toHaveLength(2)
  })
})
