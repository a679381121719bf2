/**
 * DPoP (RFC 9449): the per-request cost of a DPoP-bound token (one ES256
 * proof signed per request, the key imported and its thumbprint computed
 * once per auth) as a ratio to a bearer token from the same grant, on an
 * in-memory client (the auth's own cost shows) and on a loopback server.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, ManagedRuntime, Scope } from "effect"
import { OAuth2 } from "effect-http-auth"
import { getTasks } from "./support/clients.js"
import { medians, printRatios } from "./support/measure.js"

const tokenUrl = "http://auth.bench/token"

/** Answers the token endpoint (`DPoP` when the request carried a proof) and, elsewhere, "ok". */
const inMemory = HttpClient.make((request, url) => {
  if (url.href !== tokenUrl) return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok")))
  const tokenType = request.headers.dpop === undefined ? "Bearer" : "DPoP"
  const token = JSON.stringify({ access_token: "bench-token", token_type: tokenType, expires_in: 3600 })
  return Effect.succeed(
    HttpClientResponse.fromWeb(request, new Response(token, { headers: { "content-type": "application/json" } }))
  )
})

// the auths live as long as the bench: their token requests run in this scope
const scope = Effect.runSync(Scope.make())

const build = (dpop: boolean) =>
  Effect.runPromise(
    OAuth2.clientCredentials({ tokenUrl, clientId: "bench", clientSecret: "secret", dpop }).pipe(
      Effect.provideService(HttpClient.HttpClient, inMemory),
      Scope.extend(scope)
    )
  )

const measure = async (title: string, base: Layer.Layer<HttpClient.HttpClient>, url: string) => {
  const runtime = ManagedRuntime.make(base)
  const bare = await runtime.runPromise(HttpClient.HttpClient)
  const bearer = (await build(false)).wrap(bare) as HttpClient.HttpClient
  const dpop = (await build(true)).wrap(bare) as HttpClient.HttpClient
  await runtime.runPromise(bearer.get(url)) // warm the caches
  await runtime.runPromise(dpop.get(url))
  const results = await medians(
    getTasks(
      runtime,
      [
        { name: "OAuth2 Bearer (cached token)", client: bearer },
        { name: "OAuth2 DPoP (cached token, ES256 proof)", client: dpop }
      ],
      url
    )
  )
  printRatios(title, results, "OAuth2 Bearer (cached token)")
  await runtime.dispose()
}

export default async () => {
  await measure("in-memory client", Layer.succeed(HttpClient.HttpClient, inMemory), "http://api.bench/items")
  const server = createServer((_, response) => response.end("ok"))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  await measure("loopback server (undici)", NodeHttpClient.layerUndici, `http://127.0.0.1:${port}/items`)
  server.close()
}
