/**
 * The loopback half of bench/digest.bench.ts, run by it in fresh processes
 * (support/processes.ts): Basic, a twin of Basic (the noise floor), Digest
 * with a reused MD5 challenge and a static header as long as Digest's (what
 * the header's length alone costs on the wire), each through
 * `HttpAuth.layer` over undici, against a raw server that checks nothing:
 * it challenges a request without Authorization and answers 200 otherwise,
 * so every case pays the same exchange and a ratio is the client's cost.
 * Prints its rounds as JSON.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Basic, Digest, HttpAuth } from "effect-http-auth"
import { authLayer, type Client, dispose, getTask, layerClient, loopback, prime } from "./support/clients.js"
import { challenge, digestLength } from "./support/digestShapes.js"
import { medians, shuffled } from "./support/measure.js"
import { report } from "./support/processes.js"

const server = await loopback((request, response) => {
  if (request.headers.authorization === undefined) {
    response.writeHead(401, { "www-authenticate": `${challenge}MD5` }).end()
  } else {
    response.end("ok")
  }
})
const url = `${server.origin}/items?page=2`
const cases = {
  Basic: () => authLayer(Basic.make("user", "password")),
  "Basic (a twin)": () => authLayer(Basic.make("user", "password")),
  "Digest (MD5)": () => authLayer(Digest.make("user", "password")),
  "static header of Digest's length": () => authLayer(HttpAuth.header("authorization", digestLength))
}
// built (and their connections opened) in a new random order in each process
const built = new Map<string, Client>()
for (const [name, auth] of shuffled(Object.entries(cases))) {
  built.set(name, layerClient(name, NodeHttpClient.layerUndici, auth()))
}
const clients = Object.keys(cases).map((name) => built.get(name)!)
await prime(shuffled(clients), url) // Digest's first challenge
report(
  await medians(
    clients.map((client) => getTask(client, url, 64)),
    { warmup: 20, time: 500 }
  )
)
await dispose(clients)
await server.close()
