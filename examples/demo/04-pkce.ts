import { createHash } from "node:crypto"
import { Console, Effect, Fiber, Layer } from "effect"
import { AuthError, HttpAuth, OAuth2, RedirectListener } from "../../src/index.js"
import { BrowserTest, TestAuthorizationServer } from "../../src/testing/index.js"

export const title = "OAuth 2 authorization code with PKCE: the loopback listener, BrowserTest as the person"

const options = {
  authorizationUrl: "https://auth.test/authorize",
  tokenUrl: "https://auth.test/token",
  clientId: "demo-cli",
  scope: ["openid", "offline_access"],
  redirectUriPort: 0, // a free port; the redirect URI follows it
  redirectUriEndpoint: "callback"
}

const describe = (error: unknown) => (AuthError.isAuthError(error) ? `${error._tag}: ${error.message}` : String(error))

export default Effect.gen(function* () {
  const server = yield* TestAuthorizationServer.TestAuthorizationServer
  const client = yield* HttpAuth.client(OAuth2.authorizationCodePkce(options))

  // The first call finds no token: the "browser" opens the authorization URL,
  // approves, and is redirected to the listener on 127.0.0.1.
  const first = yield* client.get("https://api.test/me")
  const [visit] = yield* BrowserTest.visits
  const redirectUri = visit!.params.redirect_uri!.replace(/:\d+\//, ":PORT/")
  yield* Console.log(`browser opened ${visit!.url.split("?")[0]} with redirect_uri=${redirectUri}`)
  yield* Console.log(
    `  code_challenge_method=${visit!.params.code_challenge_method}, state of ${visit!.params.state!.length} characters`
  )
  yield* Console.log(`listener answered the redirect: ${visit!.status} (${visit!.responseMode})`)

  const [exchange] = yield* server.tokenRequests
  const verifier = exchange!.params.code_verifier!
  const matches = createHash("sha256").update(verifier).digest("base64url") === visit!.params.code_challenge
  yield* Console.log(
    `token request: grant_type=${exchange!.params.grant_type}, code=${exchange!.params.code}, verifier of ${verifier.length} characters, S256(verifier) = challenge: ${matches}`
  )
  yield* Console.log(`GET /me -> ${first.status}`)
  const second = yield* client.get("https://api.test/me")
  yield* Console.log(`GET /me again -> ${second.status}, logins so far: ${(yield* BrowserTest.visits).length}`)

  // The person refuses: the error redirect carries the state, and ends the login.
  const refused = yield* HttpAuth.client(OAuth2.authorizationCodePkce({ ...options, scope: "refused" }))
  yield* Console.log(`refused: ${describe(yield* Effect.flip(refused.get("https://api.test/me")))}`)

  // A forged redirect with another state (any web page can send one to a loopback port) does
  // not end the login: it gets a 400 page, and the listener waits on for the real redirect.
  // (the grant's own listener, driven directly so that the demo can stop it once it has answered)
  const listener = yield* RedirectListener.make({ redirectUriPort: 0, redirectUriEndpoint: "callback" })
  const waiting = yield* Effect.fork(
    listener.authorize({
      grantField: "code",
      url: ({ redirectUri, state }) =>
        `${options.authorizationUrl}?${new URLSearchParams({ response_type: "code", client_id: options.clientId, redirect_uri: redirectUri, state })}`
    })
  )
  const answered = Effect.map(BrowserTest.visits, (visits) => visits[2]?.status)
  while ((yield* answered) === undefined) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
  yield* Console.log(`forged state: the listener answered ${yield* answered} and waits on for the real redirect`)
  yield* Fiber.interrupt(waiting)
}).pipe(
  Effect.provide(
    Layer.merge(
      BrowserTest.layer(
        BrowserTest.approve(),
        BrowserTest.error("access_denied", { description: "The person declined" }),
        BrowserTest.wrongState()
      ),
      TestAuthorizationServer.layer()
    )
  )
)
