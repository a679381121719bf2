/**
 * OAuth 2 client credentials with the token cached in a file: a second run
 * of the program (a new layer on the same file, as after a restart) reuses
 * the token instead of asking for a new one. The authorization server is an
 * embedded oidc-provider; the API checks each token with it.
 *
 *   npx tsx examples/client-credentials.ts
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, ConfigProvider, Console, Effect, Layer } from "effect"
import { HttpAuth, OAuth2, TokenCache } from "effect-http-auth"
import { protectedApi, startOidcProvider } from "./support/oidcProvider.js"

// The user's code: it only knows HttpClient.
const program = Effect.gen(function* () {
  const client = yield* HttpClient.HttpClient
  const response = yield* client.get(`${yield* Config.string("API_URL")}/me`)
  const body = (yield* response.json) as { readonly client: string }
  return `GET /me -> ${response.status} for ${body.client}`
})

// The wiring: client credentials from the configuration, tokens in a file.
const AuthLive = (path: string) =>
  HttpAuth.layer(
    OAuth2.clientCredentials({
      tokenUrl: Config.string("TOKEN_URL"),
      clientId: Config.string("CLIENT_ID"),
      clientSecret: Config.redacted("CLIENT_SECRET"),
      scope: ["api:read"]
    })
  ).pipe(
    Layer.provide(TokenCache.layerFile({ path }).pipe(Layer.provide(NodeFileSystem.layer))),
    Layer.provide(NodeHttpClient.layerUndici)
  )

const main = Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients: [
      {
        client_id: "reporting",
        client_secret: "reporting-secret",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        scope: "api:read"
      },
      { client_id: "api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
    ],
    configuration: { scopes: ["api:read"] }
  })
  const api = yield* protectedApi(oidc, { clientId: "api", clientSecret: "api-secret" })
  const environment = ConfigProvider.fromMap(
    new Map([
      ["TOKEN_URL", oidc.tokenUrl],
      ["CLIENT_ID", "reporting"],
      ["CLIENT_SECRET", "reporting-secret"],
      ["API_URL", api.origin]
    ])
  )
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "client-credentials-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const path = join(dir, "tokens.json")

  for (const run of [1, 2]) {
    // each run builds its own layer, as a new process would
    const line = yield* program.pipe(Effect.provide(AuthLive(path)), Effect.withConfigProvider(environment))
    yield* Console.log(`run ${run}: ${line}, token requests so far: ${yield* oidc.tokenRequests}`)
  }
  yield* Console.log(`token cache file mode: ${(statSync(path).mode & 0o777).toString(8)}`)
})

NodeRuntime.runMain(Effect.scoped(main))
