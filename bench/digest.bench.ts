/**
 * Per-request cost of Digest once the first challenge is answered (every
 * later request reuses it: one hash chain and one exchange), as a ratio to
 * Basic, each through `HttpAuth.layer`: on an in-memory server that checks
 * nothing (the auth's own cost shows) and on a real loopback server with
 * 64 requests in flight (what a program pays). Goal (issue 20): at most
 * 1.05x on loopback.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Basic, Digest, HttpAuth } from "effect-http-auth"
import { authLayer, dispose, getTask, layerClient, loopback, prime } from "./support/clients.js"
import { medians, printRatios } from "./support/measure.js"

const challenge = 'Digest realm="bench", nonce="abc", qop="auth", algorithm='
// as long as Digest's answer to that challenge for /items?page=2 (a 32-hex response, a 44-character cnonce)
const digestLength = `Digest username="user", realm="bench", nonce="abc", uri="/items?page=2", response="${"0".repeat(32)}", qop=auth, nc=00000001, cnonce="${"A".repeat(44)}", algorithm=MD5`

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

const measure = async (
  title: string,
  base: Layer.Layer<HttpClient.HttpClient>,
  url: string,
  algorithm: string,
  shape: { readonly inFlight: number; readonly inARow: number; readonly readBody: boolean },
  options: { readonly rounds?: number; readonly time?: number; readonly sameLength?: boolean } = {}
) => {
  const clients = [
    layerClient("Basic", base, authLayer(Basic.make("user", "password"))),
    layerClient(`Digest (${algorithm})`, base, authLayer(Digest.make("user", "password"))),
    // what the header's length alone costs on the wire: a static header as long as Digest's answer
    ...(options.sameLength === true
      ? [
          layerClient(
            "static header of Digest's length",
            base,
            authLayer(HttpAuth.header("authorization", digestLength))
          )
        ]
      : [])
  ]
  await prime(clients, url, shape.readBody) // the first challenge
  const results = await medians(
    clients.map((client) => getTask(client, url, shape.inFlight, shape.inARow, shape.readBody)),
    { warmup: 20, ...options }
  )
  printRatios(title, results, "Basic", { difference: true })
  await dispose(clients)
}

export default async () => {
  for (const algorithm of ["MD5", "SHA-256", "SHA-512-256"]) {
    await measure(
      `HttpAuth.layer, in-memory client, ${algorithm} challenge, 200 requests in a row`,
      Layer.succeed(HttpClient.HttpClient, inMemory(algorithm)),
      "http://in-memory.test/items?page=2",
      algorithm,
      { inFlight: 1, inARow: 200, readBody: false }
    )
  }
  // A raw server that checks nothing: it challenges a request without Authorization and answers
  // 200 otherwise, so both schemes pay the same exchange and the ratio is the client's cost.
  const server = await loopback((request, response) => {
    if (request.headers.authorization === undefined) {
      response.writeHead(401, { "www-authenticate": `${challenge}MD5` }).end()
    } else {
      response.end("ok")
    }
  })
  await measure(
    "HttpAuth.layer, loopback server (undici), MD5, 64 requests in flight",
    NodeHttpClient.layerUndici,
    `${server.origin}/items?page=2`,
    "MD5",
    { inFlight: 64, inARow: 1, readBody: true },
    // a loopback round moves by several percent: more rounds, longer ones, for a 5% goal
    { rounds: Number(process.env.BENCH_ROUNDS ?? 9), time: 500, sameLength: true }
  )
  await server.close()
}
