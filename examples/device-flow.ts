/**
 * A command-line program that logs its user in with the device authorization
 * grant (RFC 8628), as over SSH or on a TV: it shows a code and a URL, the
 * person enters the code in a browser elsewhere, the program polls until
 * they approved. Only the issuer is configured: the endpoints are
 * discovered. The token (with its refresh token) is kept in a file, so the
 * next run needs no new device login. The authorization server is an
 * embedded oidc-provider with its device flow; the API checks each token.
 *
 * Here a headless Chromium plays the person on the verification page.
 *
 *   npx tsx examples/device-flow.ts
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { DeviceDisplay, HttpAuth, OAuth2, TokenCache } from "effect-http-auth"
import { headlessChromium, signInAndConsent } from "./support/chromium.js"
import { protectedApi, startOidcProvider } from "./support/oidcProvider.js"

// The user's code: it only knows HttpClient.
const program = (api: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.get(`${api}/me`)
    const body = (yield* response.json) as { readonly sub: string }
    return `GET /me -> ${response.status} as ${body.sub}`
  })

// The wiring: the issuer, a public client, tokens in a file.
const AuthLive = (options: { issuer: string; cacheFile: string }) =>
  HttpAuth.layer(
    OAuth2.deviceCode({ issuer: options.issuer, clientId: "device-cli", scope: ["openid", "offline_access"] })
  ).pipe(
    Layer.provide(TokenCache.layerFile({ path: options.cacheFile }).pipe(Layer.provide(NodeFileSystem.layer))),
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** Headless Chromium as the person: opens the URL shown, confirms the code, signs in as alice, consents. */
const person = Effect.gen(function* () {
  const context = yield* headlessChromium("device-flow")
  let logins = 0
  // DeviceDisplay: where the program shows the code; the default prints it on stderr
  const layer = DeviceDisplay.layer((prompt) =>
    Effect.gen(function* () {
      logins++
      yield* Console.log(`display: enter the code at ${new URL(prompt.verificationUri).pathname}`)
      yield* Effect.sync(() => {
        void (async () => {
          const page = await context.newPage()
          await page.goto(prompt.verificationUriComplete ?? prompt.verificationUri)
          await page.click('button[type="submit"]:not([name="abort"])')
          await page.waitForSelector('input[name="login"]')
          await signInAndConsent(page, "alice")
        })().catch(() => undefined)
      })
    })
  )
  return { layer, logins: () => logins }
})

const main = Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients: [
      {
        client_id: "device-cli",
        token_endpoint_auth_method: "none",
        grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        response_types: [],
        redirect_uris: []
      },
      { client_id: "api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
    ],
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    configuration: { scopes: ["openid", "offline_access"] }
  })
  const api = yield* protectedApi(oidc, { clientId: "api", clientSecret: "api-secret" })
  const { layer, logins } = yield* person
  const dir = mkdtempSync(join(tmpdir(), "device-flow-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  const cacheFile = join(dir, "tokens.json")

  // Two runs of the program, each with a fresh layer on the same file (as after a restart).
  for (const run of [1, 2]) {
    const line = yield* program(api.origin).pipe(
      Effect.provide(AuthLive({ issuer: oidc.issuer, cacheFile })),
      Effect.provide(layer)
    )
    yield* Console.log(`run ${run}: ${line}, device logins so far: ${logins()}`)
  }
})

NodeRuntime.runMain(Effect.scoped(main))
