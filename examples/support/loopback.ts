/**
 * Loopback HTTP servers for the examples, the demo and the tests: real
 * NodeHttpServer instances on 127.0.0.1 ephemeral ports, closed with the scope.
 */
import { createServer } from "node:http"
import { createServer as createTcpServer } from "node:net"
import type { HttpApp } from "@effect/platform"
import { type HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Ref, type Scope } from "effect"

/** What a server saw of one request. */
export interface Seen {
  readonly method: string
  /** Path and query exactly as they came on the request line. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface Server {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  readonly port: number
  /** Every request the server received, in order. */
  readonly seen: Effect.Effect<ReadonlyArray<Seen>>
}

export type Handler = (
  seen: Seen,
  request: HttpServerRequest.HttpServerRequest
) => Effect.Effect<HttpServerResponse.HttpServerResponse, unknown>

/** Starts a server whose handler gets what was seen; every request is recorded first. */
export const serve = (handler: Handler): Effect.Effect<Server, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const nodeServer = createServer()
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: 0, host: "127.0.0.1" })
    // Runs before the server's own close (finalizers run last-added first): a client that keeps an idle
    // keep-alive connection open (a browser) would otherwise hold the close up.
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    const log = yield* Ref.make<ReadonlyArray<Seen>>([])
    const app: HttpApp.Default<unknown> = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const body = yield* Effect.orElseSucceed(request.text, () => "")
      const seen: Seen = { method: request.method, url: request.url, headers: { ...request.headers }, body }
      yield* Ref.update(log, (all) => [...all, seen])
      return yield* handler(seen, request)
    })
    yield* server.serve(app)
    const address = server.address as HttpServer.TcpAddress
    return { origin: `http://127.0.0.1:${address.port}`, port: address.port, seen: Ref.get(log) }
  })

/** Answers with what it saw, as JSON. */
export const echo: Handler = (seen) => HttpServerResponse.json(seen)

/** Reads an echo response. */
export const seenOf = (response: { readonly json: Effect.Effect<unknown, unknown> }) =>
  Effect.map(response.json, (json) => json as Seen)

/**
 * A port free on 127.0.0.1 now (bound to port 0, read, closed), for a server that must be told its
 * port before it starts (lighttpd, squid) or a redirect URI fixed before its listener exists.
 */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const server = createTcpServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
