import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { ApiKey, Basic, Bearer, HttpAuth } from "../src/index.js"
import { echo, serve } from "./fixtures/server.js"

/**
 * A base client that logs every request as it goes on the wire, at debug
 * level: `transform` runs after every preprocess step, the auth's included
 * (a `tapRequest` here would log the request before the auth touched it).
 */
const LoggingBase = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.transform(client, (response, request) => Effect.zipRight(Effect.logDebug("sending", request), response))
  )
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const secrets = ["basic-secret", "bearer-secret", "custom-key-secret", "private-token-secret"]

describe("secrets in logs and errors", () => {
  it.scoped("a request logged at debug level under the auth shows <redacted> for every credential header", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const lines: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.map(Logger.logfmtLogger, (line) => {
          lines.push(line)
        })
      )
      const auth = HttpAuth.all(
        Basic.make("user", Redacted.make("basic-secret"), { headerName: "X-Upstream-Authorization" }),
        Bearer.make("bearer-secret"),
        ApiKey.header("custom-key-secret", { headerName: "X-Secret-Key" }),
        HttpAuth.header("PRIVATE-TOKEN", "private-token-secret")
      )
      const program = Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.origin}/`))
      yield* program.pipe(
        Effect.provide(Layer.mergeAll(HttpAuth.layer(auth).pipe(Layer.provide(LoggingBase)), capture)),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      const [seen] = yield* server.seen
      expect(seen!.headers["x-secret-key"]).toBe("custom-key-secret")
      const log = lines.join("\n")
      expect(lines.length).toBe(1)
      expect(log).toContain("sending")
      expect(log.match(/<redacted>/g)?.length).toBe(4)
      for (const secret of [...secrets, Buffer.from("user:basic-secret").toString("base64")]) {
        expect(log).not.toContain(secret)
      }
    })
  )

  it.effect("an auth, its options and its errors print no secret", () =>
    Effect.gen(function* () {
      const auth = yield* HttpAuth.all(Bearer.make("bearer-secret"), ApiKey.header(Redacted.make("custom-key-secret")))
      const texts = [
        String(Redacted.make("bearer-secret")),
        JSON.stringify({ token: Redacted.make("bearer-secret") }),
        JSON.stringify(auth.credentials),
        (yield* Effect.flip(Bearer.make("bearer-secret\n"))).message,
        (yield* Effect.flip(Basic.make("user:", "basic-secret"))).message,
        (yield* Effect.flip(ApiKey.header("custom-key-secret", { headerName: "bad name" }))).message
      ]
      for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret)
    })
  )
})
