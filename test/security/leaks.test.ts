/**
 * The leak scan: every error path the library has, triggered with
 * distinctive secrets, and every rendering of every error searched for the
 * secret, its base64 and its URL encoding.
 */
import { generateKeyPairSync } from "node:crypto"
import { createServer } from "node:net"
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { ApiKey, AwsSigV4, Basic, Bearer, ClientAuth, HttpAuth, OAuth2, TokenEndpoint } from "../../src/index.js"
import { serve } from "../fixtures/server.js"
import { forms, leaksOf, renderings } from "./support/leaks.js"

const S = {
  basic: "basicPW-LEAK-7f3a",
  bearer: "bearerTOK-LEAK-91c2",
  key: "apiKEY-LEAK-4d5e",
  query: "queryKEY-LEAK-aa01",
  session: "awsSESSION-LEAK-0b9c",
  client: "clientSECRET-LEAK-77aa",
  access: "accessTOK-LEAK-3e3e",
  refresh: "refreshTOK-LEAK-5f5f"
}
const secrets = Object.values(S).flatMap((secret) => forms(secret))
// the encoded forms the schemes send
secrets.push(
  Buffer.from(`u:${S.basic}`).toString("base64"),
  Buffer.from(`app:${S.client}`).toString("base64"),
  Buffer.from(`app:${encodeURIComponent(S.client)}`).toString("base64")
)

// a private key: any line of its PEM body in an error is a leak
const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
const signingPem = signingKey.export({ format: "pem", type: "pkcs8" }).toString()
secrets.push(...signingPem.split("\n").filter((line) => line.length === 64))

const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number }
    server.close(() => resume(Effect.succeed(port)))
  })
})

const schemes = (tokenUrl: string) => ({
  Basic: Basic.make("u", S.basic),
  Bearer: Bearer.make(S.bearer),
  "ApiKey.header": ApiKey.header(S.key),
  "ApiKey.query": ApiKey.query(S.query),
  "X-Upstream-Authorization": Bearer.make(S.bearer, { headerName: "X-Upstream-Authorization" }),
  AwsSigV4: AwsSigV4.make({
    region: "us-east-1",
    service: "s3",
    credentials: { accessKeyId: "AKIDLEAK", secretAccessKey: "wJalrLEAK", sessionToken: S.session }
  }),
  "OAuth2 (token endpoint down)": OAuth2.clientCredentials({
    tokenUrl,
    clientId: "app",
    clientSecret: S.client,
    retry: Schedule.stop
  }),
  "OAuth2 client_secret_jwt (token endpoint down)": OAuth2.clientCredentials({
    tokenUrl,
    clientId: "app",
    clientSecret: S.client,
    clientAuth: "client_secret_jwt",
    retry: Schedule.stop
  }),
  "OAuth2 private_key_jwt (token endpoint down)": OAuth2.clientCredentials({
    tokenUrl,
    clientAuth: ClientAuth.privateKeyJwt("app", signingPem),
    retry: Schedule.stop
  }),
  "OAuth2.jwtBearer (token endpoint down)": OAuth2.jwtBearer({
    tokenUrl,
    assertion: { issuer: "robot", privateKey: Redacted.make(signingPem) },
    retry: Schedule.stop
  })
})

let scanned = 0
const scan = (label: string, error: unknown) => {
  scanned += Object.keys(renderings(error)).length
  return leaksOf(error, secrets).map((leak) => `${label}: ${leak}`)
}

describe("leak scan: every error path, every rendering (issue 13 item 5 and the suite)", () => {
  it.scoped(
    "the resource unreachable, the token endpoint unreachable: through HttpAuth.client and HttpAuth.layer",
    () =>
      Effect.gen(function* () {
        const port = yield* closedPort
        const url = `http://127.0.0.1:${port}/resource?page=1`
        const leaks: Array<string> = []
        for (const [name, auth] of Object.entries(schemes(`http://127.0.0.1:${port}/token`))) {
          const viaClient = yield* Effect.flip(Effect.flatMap(HttpAuth.client(auth), (client) => client.get(url)))
          leaks.push(...scan(`${name} via client`, viaClient))
          const viaLayer = yield* Effect.flip(
            Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url)).pipe(
              Effect.provide(HttpAuth.layer(auth).pipe(Layer.provide(NodeHttpClient.layer)))
            )
          )
          leaks.push(...scan(`${name} via layer`, viaLayer))
        }
        console.log(`leak scan (transport): ${scanned} renderings scanned, ${leaks.length} leaks`)
        expect(leaks).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layer))
  )

  it.effect("token endpoint answers: errors that echo tokens, HTML, garbage, a token with no type, 5xx", () =>
    Effect.gen(function* () {
      const bodies: Record<string, readonly [number, string, string]> = {
        "error with token fields": [
          400,
          JSON.stringify({
            error: "invalid_grant",
            access_token: S.access,
            refresh_token: S.refresh,
            detail: { id_token: S.access }
          }),
          "application/json"
        ],
        "html echoing the form": [400, `<html>client_secret=${S.client}&access_token=${S.access}</html>`, "text/html"],
        "garbage json": [200, `{"access_token": "${S.access}", "refresh_token": "${S.refresh}"`, "application/json"],
        "form error": [400, `error=invalid_client&refresh_token=${S.refresh}`, "text/plain"],
        "no token field": [200, JSON.stringify({ token: S.access, refresh_token: S.refresh }), "application/json"],
        "unsendable token": [
          200,
          JSON.stringify({ access_token: `${S.access}\u0001`, refresh_token: S.refresh }),
          "application/json"
        ],
        "503 with tokens": [
          503,
          JSON.stringify({ error: "temporarily_unavailable", access_token: S.access }),
          "application/json"
        ]
      }
      const server = yield* serve((seen) => {
        const [status, body, contentType] = bodies[decodeURIComponent(seen.url.slice(1))]!
        return Effect.succeed(HttpServerResponse.text(body, { status, contentType }))
      })
      const http = yield* HttpClient.HttpClient
      const leaks: Array<string> = []
      for (const name of Object.keys(bodies)) {
        for (const clientAuth of [
          ClientAuth.clientSecretBasic("app", Redacted.make(S.client)),
          ClientAuth.clientSecretPost("app", Redacted.make(S.client))
        ]) {
          const error = yield* Effect.flip(
            TokenEndpoint.request(http, {
              tokenUrl: `${server.origin}/${encodeURIComponent(name)}`,
              params: { grant_type: "refresh_token", refresh_token: S.refresh },
              clientAuth,
              retry: Schedule.stop
            })
          )
          leaks.push(...scan(name, error))
        }
      }
      console.log(`leak scan (token endpoint answers): ${Object.keys(bodies).length * 2} errors, ${leaks.length} leaks`)
      expect(leaks).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("bad options: InvalidOptions never quotes the secret", () =>
    Effect.gen(function* () {
      const leaks: Array<string> = []
      const bad = {
        "Bearer with LF": Bearer.make(`${S.bearer}\n`),
        "Bearer beyond Latin-1": Bearer.make(`${S.bearer}€`),
        "Bearer with a control character": Bearer.make(`${S.bearer}\u0001`),
        "ApiKey.header with NUL": ApiKey.header(`${S.key}\u0000`),
        "Basic password with CR": Basic.make("u", `${S.basic}\r`),
        "template beyond Latin-1": HttpAuth.header("x-k", S.key, { headerValue: `{token}${S.key}€` }),
        "OAuth2 secret with LF": OAuth2.clientCredentials({
          tokenUrl: "https://x.test/t",
          clientId: "app",
          clientSecret: `${S.client}\n`
        })
      }
      for (const [name, auth] of Object.entries(bad)) {
        const error = yield* Effect.flip(auth as Effect.Effect<HttpAuth.HttpAuth, { _tag: string }>)
        expect(error._tag, name).toBe("InvalidOptions")
        leaks.push(...scan(name, error))
      }
      expect(leaks).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )
})
