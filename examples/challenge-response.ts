/**
 * A challenge-response scheme of your own, with the public API alone
 * (httpx's custom `auth_flow` with `requires_response_body`): the server
 * refuses a request with a 401 whose JSON body holds a one-time challenge;
 * the client answers with an HMAC of it under its key and sends again.
 *
 *   npx tsx examples/challenge-response.ts
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Redacted, Schema } from "effect"
import { AuthError, HttpAuth } from "effect-http-auth"

// --- the scheme: what a user writes ------------------------------------------

const Challenge = Schema.Struct({ challenge: Schema.String })

/** `Authorization: HMAC id=..., response=hex(HMAC-SHA256(key, challenge))` in answer to a 401's challenge. */
const hmacChallenge = (clientId: string, key: Redacted.Redacted<string>) => {
  const failed = (reason: string) => (cause: unknown) =>
    new AuthError.AuthenticationFailed({ scheme: "hmacChallenge", reason, cause })
  const challengeOf = (response: HttpClientResponse.HttpClientResponse) =>
    response.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(Challenge)),
      Effect.mapError(failed("the 401 has no challenge in its body"))
    )
  return HttpAuth.fromExchange(
    (request, send) =>
      Effect.gen(function* () {
        const first = yield* send(request)
        if (first.status !== 401) return first
        // the body is read here: its connection can serve the next request
        const { challenge } = yield* challengeOf(first)
        const answer = createHmac("sha256", Redacted.value(key)).update(challenge).digest("hex")
        return yield* send(
          HttpClientRequest.setHeader(request, "authorization", `HMAC id=${clientId}, response=${answer}`)
        )
      }),
    { headers: ["authorization"], params: [] }
  )
}

// --- a server that asks for it -------------------------------------------------

const server = Effect.gen(function* () {
  const key = "k3y-of-reporting"
  const issued = new Set<string>()
  let exchanges = 0
  const http = createServer((request, response) => {
    exchanges++
    const match = /^HMAC id=reporting, response=([0-9a-f]{64})$/.exec(request.headers.authorization ?? "")
    const answered = [...issued].find(
      (challenge) =>
        match !== null &&
        timingSafeEqual(createHmac("sha256", key).update(challenge).digest(), Buffer.from(match[1]!, "hex"))
    )
    if (answered !== undefined) {
      issued.delete(answered) // one use each
      response.writeHead(200, { "content-type": "application/json" }).end('{"rows":3}')
      return
    }
    const challenge = randomBytes(16).toString("hex")
    issued.add(challenge)
    response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ challenge }))
  })
  yield* Effect.acquireRelease(
    Effect.async<void>((resume) => {
      http.listen(0, "127.0.0.1", () => resume(Effect.void))
    }),
    () => Effect.sync(() => http.close())
  )
  const { port } = http.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, exchanges: () => exchanges }
})

const main = Effect.gen(function* () {
  const { origin, exchanges } = yield* server

  const client = yield* HttpAuth.client(hmacChallenge("reporting", Redacted.make("k3y-of-reporting")))
  const ok = yield* client.get(`${origin}/report`)
  yield* Console.log(`GET /report -> ${ok.status} ${yield* ok.text} after ${exchanges()} exchanges (challenge, answer)`)

  const wrong = yield* HttpAuth.client(hmacChallenge("reporting", Redacted.make("not-the-key")))
  const before = exchanges()
  const refused = yield* wrong.get(`${origin}/report`)
  yield* Console.log(`wrong key -> ${refused.status} after ${exchanges() - before} exchanges, no loop`)
}).pipe(Effect.provide(NodeHttpClient.layerUndici))

NodeRuntime.runMain(Effect.scoped(main))
