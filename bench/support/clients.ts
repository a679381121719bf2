/**
 * The clients a bench compares, each as a program gets it: through
 * `HttpAuth.layer` over a base layer (in memory or undici on loopback), one
 * runtime each, and a task that sends `inFlight` requests at once and reads
 * each body.
 */
import { createServer, type RequestListener } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClient } from "@effect/platform"
import { Effect, Layer, ManagedRuntime, type Scope } from "effect"
import { HttpAuth } from "effect-http-auth"
import type { Task } from "./measure.js"

/** A loopback server on an ephemeral port, and its URL's origin. */
export const loopback = async (listener: RequestListener) => {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) }
}

export interface Client {
  readonly name: string
  readonly runtime: ManagedRuntime.ManagedRuntime<HttpClient.HttpClient, unknown>
}

/** A runtime whose HttpClient is `base` decorated by `auth` through HttpAuth.layer; `undefined` is the bare base. */
export const layerClient = (
  name: string,
  base: Layer.Layer<HttpClient.HttpClient>,
  decorate?: Layer.Layer<HttpClient.HttpClient, unknown, HttpClient.HttpClient>
): Client => ({
  name,
  runtime: ManagedRuntime.make(decorate === undefined ? base : decorate.pipe(Layer.provide(base)))
})

/** `HttpAuth.layer(auth)` as a decorating layer. */
export const authLayer = (auth: HttpAuth.Input<unknown, Scope.Scope>) =>
  HttpAuth.layer(auth) as Layer.Layer<HttpClient.HttpClient, unknown, HttpClient.HttpClient>

/**
 * A task of `inFlight` GETs of `url` at once (batch `inFlight`), each body
 * read; with `inARow`, that many GETs one after the other in one fiber (an
 * in-memory client's cost per request shows without a runtime start each);
 * without `readBody`, the response is not read.
 */
export const getTask = (client: Client, url: string, inFlight = 1, inARow = 1, readBody = true): Task => {
  const one: Effect.Effect<unknown, unknown, HttpClient.HttpClient> = readBody
    ? Effect.flatMap(HttpClient.get(url), (response) => response.text)
    : HttpClient.get(url)
  const all = (count: number, concurrency: number) =>
    Effect.forEach(Array.from({ length: count }), () => one, { concurrency, discard: true })
  const program: Effect.Effect<unknown, unknown, HttpClient.HttpClient> =
    inARow > 1 ? all(inARow, 1) : inFlight === 1 ? one : all(inFlight, inFlight)
  return { name: client.name, batch: inFlight * inARow, fn: () => client.runtime.runPromise(program) }
}

/** Sends one request through each client (Digest's first challenge, caches, connections). */
export const prime = async (clients: ReadonlyArray<Client>, url: string, readBody = true) => {
  for (const client of clients) await getTask(client, url, 1, 1, readBody).fn()
}

export const dispose = (clients: ReadonlyArray<Client>) =>
  Promise.all(clients.map((client) => client.runtime.dispose()))

/** A task a client: one GET of `url` through it in `runtime`, its body read. */
export const getTasks = (
  runtime: ManagedRuntime.ManagedRuntime<never, unknown>,
  clients: ReadonlyArray<{ readonly name: string; readonly client: HttpClient.HttpClient }>,
  url: string
): Array<Task> =>
  clients.map(({ client, name }) => ({
    name,
    fn: () => runtime.runPromise(Effect.flatMap(client.get(url), (response) => response.text))
  }))
