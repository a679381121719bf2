/**
 * Per-request cost of each static scheme through `HttpAuth.layer` against
 * a bare client and against Effect's own header middleware
 * (`HttpClient.mapRequest(HttpClientRequest.setHeader(...))` in a layer, the
 * floor for any auth that adds a header): on an in-memory client, 1000
 * requests in a row in one fiber (the auth's own cost shows, in µs above
 * the middleware), and on a real loopback server with 64 requests in flight
 * (what a program pays). Goals (issue 20): Bearer through the layer within
 * 0.5 µs of Effect's middleware in memory; no scheme above 1.05x on loopback.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { ApiKey, Basic, Bearer, HttpAuth } from "effect-http-auth"
import { authLayer, dispose, getTask, layerClient, loopback } from "./support/clients.js"
import { medians, printRatios } from "./support/measure.js"

const schemes = {
  Basic: Basic.make("user", "password"),
  Bearer: Bearer.make("token"),
  "Bearer (Effect per request)": Bearer.make(Effect.succeed("token")),
  "ApiKey.header": ApiKey.header("key"),
  "ApiKey.query": ApiKey.query("key"),
  "HttpAuth.all(Bearer, ApiKey)": HttpAuth.all(Bearer.make("token"), ApiKey.header("key"))
}

/** Effect's own middleware: what a hand-written header layer costs. */
const effectSetHeader = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("authorization", "Bearer token")))
)

const measure = async (
  title: string,
  base: Layer.Layer<HttpClient.HttpClient>,
  url: string,
  shape: { inFlight: number; inARow: number; readBody: boolean }
) => {
  const clients = [
    layerClient("bare client", base),
    layerClient("Effect mapRequest(setHeader)", base, effectSetHeader),
    ...Object.entries(schemes).map(([name, auth]) => layerClient(`${name} (HttpAuth.layer)`, base, authLayer(auth)))
  ]
  const results = await medians(
    clients.map((client) => getTask(client, url, shape.inFlight, shape.inARow, shape.readBody)),
    { warmup: 20 }
  )
  printRatios(title, results, "bare client", { difference: true })
  await dispose(clients)
}

export default async () => {
  // no tracing span, one Response never read: what is left is the middleware's own cost
  const ok = new Response("ok")
  const inMemory = HttpClient.makeWith<never, never, never, never>(
    Effect.map((request) => HttpClientResponse.fromWeb(request, ok)),
    Effect.succeed
  )
  await measure(
    "in-memory client, 1000 requests in a row",
    Layer.succeed(HttpClient.HttpClient, inMemory),
    "http://in-memory.test/items?page=2",
    { inFlight: 1, inARow: 1000, readBody: false }
  )
  const server = await loopback((_, response) => response.end("ok"))
  await measure(
    "loopback server (undici), 64 requests in flight",
    NodeHttpClient.layerUndici,
    `${server.origin}/items?page=2`,
    { inFlight: 64, inARow: 1, readBody: true }
  )
  await server.close()
}
