/**
 * A terminal program that logs its user in with the authorization code
 * grant and PKCE: the browser opens the login page, the loopback listener
 * takes the code, the token (with its refresh token) is kept in a file, so
 * the next run needs no login. The authorization server is an embedded
 * oidc-provider with its dev login pages; the API checks each token with it.
 *
 * Here a headless Chromium plays the person (it fills in the login and
 * consent pages). In your program, leave `Browser` out: the default opens
 * the system browser, or prints the URL when there is none (SSH, servers).
 *
 *   npx tsx examples/pkce-terminal.ts
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { Browser, HttpAuth, OAuth2, TokenCache } from "effect-http-auth"
import { headlessChromium, signInAndConsent } from "./support/chromium.js"
import { protectedApi, startOidcProvider } from "./support/oidcProvider.js"
import { freePort } from "./support/loopback.js"

// The user's code: it only knows HttpClient.
const program = (api: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.get(`${api}/me`)
    const body = (yield* response.json) as { readonly sub: string }
    return `GET /me -> ${response.status} as ${body.sub}`
  })

// The wiring: a public client (no secret), PKCE, tokens in a file.
const AuthLive = (options: { issuer: string; port: number; cacheFile: string }) =>
  HttpAuth.layer(
    OAuth2.authorizationCodePkce({
      authorizationUrl: `${options.issuer}/auth`,
      tokenUrl: `${options.issuer}/token`,
      clientId: "terminal-app",
      scope: ["openid", "offline_access"],
      authorizationParams: { prompt: "consent" },
      redirectUriDomain: "127.0.0.1",
      redirectUriPort: options.port,
      redirectUriEndpoint: "callback",
      timeout: "2 minutes"
    })
  ).pipe(
    Layer.provide(TokenCache.layerFile({ path: options.cacheFile }).pipe(Layer.provide(NodeFileSystem.layer))),
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** Headless Chromium as the person: signs in as alice and consents. */
const person = Effect.gen(function* () {
  const context = yield* headlessChromium("pkce-terminal")
  let logins = 0
  const layer = Browser.layerFrom((url) =>
    Effect.gen(function* () {
      logins++
      yield* Console.log(`browser: opening the login page (${new URL(url).pathname})`)
      yield* Effect.promise(async () => {
        const page = await context.newPage()
        void (async () => {
          await page.goto(url)
          await signInAndConsent(page, "alice")
        })().catch(() => undefined)
      })
    })
  )
  return { layer, logins: () => logins }
})

const main = Effect.gen(function* () {
  const port = yield* Effect.promise(freePort)
  const oidc = yield* startOidcProvider({
    clients: [
      {
        client_id: "terminal-app",
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: [`http://127.0.0.1:${port}/callback`]
      },
      { client_id: "api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
    ],
    features: { devInteractions: { enabled: true } },
    configuration: { scopes: ["openid", "offline_access"] }
  })
  const api = yield* protectedApi(oidc, { clientId: "api", clientSecret: "api-secret" })
  const { layer, logins } = yield* person
  const dir = mkdtempSync(join(tmpdir(), "pkce-terminal-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  const cacheFile = join(dir, "tokens.json")

  // Two runs of the program, each with a fresh layer on the same file (as after a restart).
  for (const run of [1, 2]) {
    const line = yield* program(api.origin).pipe(
      Effect.provide(AuthLive({ issuer: oidc.issuer, port, cacheFile })),
      Effect.provide(layer)
    )
    yield* Console.log(`run ${run}: ${line}, logins so far: ${logins()}`)
  }
  yield* Console.log(`token cache file mode: ${(statSync(cacheFile).mode & 0o777).toString(8)}`)
})

NodeRuntime.runMain(Effect.scoped(main))
