/**
 * Per-request cost of Digest once the first challenge is answered (every
 * later request reuses it: one hash chain and one exchange), as a ratio to
 * Basic, each through `HttpAuth.layer`: on an in-memory server that checks
 * nothing (the auth's own cost shows) and on a real loopback server with
 * 64 requests in flight (what a program pays; digest.loopback.ts, run in
 * fresh processes). Goal (issue 20): at most 1.05x on loopback.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Basic, Digest } from "effect-http-auth"
import { authLayer, dispose, getTask, layerClient, prime } from "./support/clients.js"
import { challenge } from "./support/digestShapes.js"
import { medians, printRatios } from "./support/measure.js"
import { inFreshProcesses } from "./support/processes.js"

/**
 * A client that challenges a request without Authorization, and answers 200
 * otherwise: no tracing span, one Response object per answer never read, so
 * what is left is the auth's own cost.
 */
const inMemory = (algorithm: string) => {
  const ok = new Response("ok")
  const challenged = new Response(null, { status: 401, headers: { "www-authenticate": `${challenge}${algorithm}` } })
  return HttpClient.makeWith<never, never, never, never>(
    Effect.map((request) =>
      HttpClientResponse.fromWeb(request, request.headers.authorization === undefined ? challenged : ok)
    ),
    Effect.succeed
  )
}

const url = "http://in-memory.test/items?page=2"

export default async () => {
  for (const algorithm of ["MD5", "SHA-256", "SHA-512-256"]) {
    const base = Layer.succeed(HttpClient.HttpClient, inMemory(algorithm))
    const clients = [
      layerClient("Basic", base, authLayer(Basic.make("user", "password"))),
      layerClient(`Digest (${algorithm})`, base, authLayer(Digest.make("user", "password")))
    ]
    await prime(clients, url, false) // the first challenge
    const results = await medians(
      clients.map((client) => getTask(client, url, 1, 200, false)),
      { warmup: 20 }
    )
    printRatios(`HttpAuth.layer, in-memory client, ${algorithm} challenge, 200 requests in a row`, results, "Basic", {
      difference: true
    })
    await dispose(clients)
  }
  // a loopback round moves by several percent, and a client instance for as long as its process
  // lives: 12 rounds by default, 3 in each of 4 fresh processes
  const rounds = Number(process.env.BENCH_ROUNDS ?? 12)
  const processes = Math.min(4, rounds)
  printRatios(
    `HttpAuth.layer, loopback server (undici), MD5, 64 requests in flight, ${processes} fresh processes`,
    await inFreshProcesses(new URL("./digest.loopback.ts", import.meta.url), processes, Math.ceil(rounds / processes)),
    "Basic",
    { difference: true }
  )
}
