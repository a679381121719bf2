/**
 * Per-request cost of each static scheme as a ratio to a bare client, on an
 * in-memory client (the auth's own cost shows) and on a real loopback server
 * (what a program pays). Goal: no scheme above 1.05x on loopback.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, ManagedRuntime } from "effect"
import { ApiKey, Basic, Bearer, HttpAuth } from "../src/index.js"
import { medians, printRatios } from "./support/measure.js"

const schemes = {
  Basic: Basic.make("user", "password"),
  Bearer: Bearer.make("token"),
  "Bearer (Effect per request)": Bearer.make(Effect.succeed("token")),
  "ApiKey.header": ApiKey.header("key"),
  "ApiKey.query": ApiKey.query("key"),
  "HttpAuth.all(Bearer, ApiKey)": HttpAuth.all(Bearer.make("token"), ApiKey.header("key"))
}

const measure = async (title: string, base: Layer.Layer<HttpClient.HttpClient>, url: string) => {
  const runtime = ManagedRuntime.make(base)
  const bare = await runtime.runPromise(HttpClient.HttpClient)
  const tasks = [{ name: "bare client", client: bare }]
  for (const [name, auth] of Object.entries(schemes)) {
    tasks.push({ name, client: (await runtime.runPromise(HttpAuth.client(auth))) as HttpClient.HttpClient })
  }
  const results = await medians(
    tasks.map(({ name, client }) => ({
      name,
      fn: () => runtime.runPromise(Effect.flatMap(client.get(url), (response) => response.text))
    }))
  )
  printRatios(title, results, "bare client")
  await runtime.dispose()
}

export default async () => {
  const inMemory = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok"))))
  await measure(
    "in-memory client",
    Layer.succeed(HttpClient.HttpClient, inMemory),
    "http://in-memory.test/items?page=2"
  )

  const server = createServer((_, response) => response.end("ok"))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  await measure("loopback server (undici)", NodeHttpClient.layerUndici, `http://127.0.0.1:${port}/items?page=2`)
  server.close()
}
