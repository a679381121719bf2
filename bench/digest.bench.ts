/**
 * Per-request cost of Digest once the first challenge is answered (every
 * later request reuses it: one hash chain and one exchange), as a ratio to
 * Basic, on an in-memory server that checks nothing (the auth's own cost
 * shows) and on a real loopback server (what a program pays).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { Basic, Digest, HttpAuth } from "../src/index.js"
import { medians, printRatios } from "./support/measure.js"

const challenge = 'Digest realm="bench", nonce="abc", qop="auth", algorithm='

/** A client that challenges a request without Authorization, and answers 200 otherwise. */
const inMemory = (algorithm: string) =>
  HttpClient.make((request) =>
    Effect.succeed(
      HttpClientResponse.fromWeb(
        request,
        request.headers.authorization === undefined
          ? new Response(null, { status: 401, headers: { "www-authenticate": `${challenge}${algorithm}` } })
          : new Response("ok")
      )
    )
  )

const measure = async (
  title: string,
  base: Layer.Layer<HttpClient.HttpClient>,
  url: string,
  schemes: Record<string, Effect.Effect<HttpAuth.HttpAuth, unknown, Scope.Scope>>
) => {
  const runtime = ManagedRuntime.make(base)
  // the auths live as long as the measure: Digest's first challenge runs in this scope
  const scope = Effect.runSync(Scope.make())
  const tasks: Array<{ name: string; client: HttpClient.HttpClient }> = []
  for (const [name, auth] of Object.entries(schemes)) {
    const client = (await runtime.runPromise(Scope.extend(HttpAuth.client(auth), scope))) as HttpClient.HttpClient
    await runtime.runPromise(Effect.flatMap(client.get(url), (response) => response.text)) // the first challenge
    tasks.push({ name, client })
  }
  const results = await medians(
    tasks.map(({ client, name }) => ({
      name,
      fn: () => runtime.runPromise(Effect.flatMap(client.get(url), (response) => response.text))
    }))
  )
  printRatios(title, results, "Basic")
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await runtime.dispose()
}

export default async () => {
  for (const algorithm of ["MD5", "SHA-256", "SHA-512-256"]) {
    await measure(
      `in-memory client, ${algorithm} challenge`,
      Layer.succeed(HttpClient.HttpClient, inMemory(algorithm)),
      "http://in-memory.test/items?page=2",
      { Basic: Basic.make("user", "password"), [`Digest (${algorithm})`]: Digest.make("user", "password") }
    )
  }
  // A raw server that checks nothing: it challenges a request without Authorization and answers
  // 200 otherwise, so both schemes pay the same exchange and the ratio is the client's cost.
  const server = createServer((request, response) => {
    if (request.headers.authorization === undefined) {
      response.writeHead(401, { "www-authenticate": `${challenge}MD5` }).end()
    } else {
      response.end("ok")
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  await measure("loopback server (undici), MD5", NodeHttpClient.layerUndici, `http://127.0.0.1:${port}/items?page=2`, {
    Basic: Basic.make("user", "password"),
    "Digest (MD5)": Digest.make("user", "password")
  })
  server.close()
}
