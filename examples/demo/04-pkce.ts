import { createHash } from "node:crypto"
import { Effect, Fiber, Layer } from "effect"
import { HttpAuth, OAuth2, RedirectListener } from "../../src/index.js"
import { BrowserTest, TestAuthorizationServer } from "../../src/testing/index.js"
import { failure, got, header, note, sent } from "../support/demoLines.js"

export const title = "OAuth 2 authorization code with PKCE: the loopback listener, BrowserTest as the person"

const options = {
  authorizationUrl: "https://auth.test/authorize",
  tokenUrl: "https://auth.test/token",
  clientId: "demo-cli",
  scope: ["openid", "offline_access"],
  redirectUriPort: 0, // a free port; the redirect URI follows it
  redirectUriEndpoint: "callback"
}

export default Effect.gen(function* () {
  const server = yield* TestAuthorizationServer.TestAuthorizationServer
  const client = yield* HttpAuth.client(OAuth2.authorizationCodePkce(options))

  // The first call finds no token: the "browser" opens the authorization URL,
  // approves, and is redirected to the listener on 127.0.0.1.
  const first = yield* client.get("https://api.test/me")
  const [visit] = yield* BrowserTest.visits
  const params = visit!.params
  yield* sent("browser", `GET ${visit!.url.split("?")[0]}`, [
    "response_type=code",
    `redirect_uri=${params.redirect_uri!.replace(/:\d+\//, ":PORT/")}`,
    `code_challenge_method=${params.code_challenge_method}`,
    `state=${params.state!.slice(0, 4)}… (${params.state!.length} characters)`
  ])
  yield* got(`302 to the listener with a code; the listener answered ${visit!.status} (${visit!.responseMode})`)

  const [exchange] = yield* server.tokenRequests
  const verifier = exchange!.params.code_verifier!
  const matches = createHash("sha256").update(verifier).digest("base64url") === params.code_challenge
  yield* sent("token request", "POST /token", [
    `grant_type=${exchange!.params.grant_type}`,
    `code=${exchange!.params.code}`,
    `code_verifier=${verifier.slice(0, 4)}… (${verifier.length} characters)`
  ])
  yield* got(`200 access and refresh token; S256(code_verifier) = code_challenge: ${matches}`)
  yield* sent("API", "GET /me", [header("authorization", first.request.headers.authorization)])
  yield* got(`${first.status}`)
  const second = yield* client.get("https://api.test/me")
  yield* sent("API", "GET /me", [header("authorization", second.request.headers.authorization)])
  yield* got(`${second.status}`)
  yield* note(`logins so far: ${(yield* BrowserTest.visits).length}, the token was reused`)

  // The person refuses: the error redirect carries the state, and ends the login.
  const refused = yield* HttpAuth.client(OAuth2.authorizationCodePkce({ ...options, scope: "refused" }))
  yield* sent("refused", `GET ${visit!.url.split("?")[0]}`, ["scope=refused"])
  yield* got(failure(yield* Effect.flip(refused.get("https://api.test/me"))))

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
  yield* sent("forged state", "GET /callback?code=…&state=(another)")
  yield* got(`${yield* answered}; the listener waits on for the real redirect`)
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
