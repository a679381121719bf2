import { createHash } from "node:crypto"
import { Effect, Layer } from "effect"
import { HttpAuth, OAuth2 } from "../../src/index.js"
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

  // The person refuses, then a forged redirect arrives with another state.
  for (const label of ["refused", "forged state"]) {
    const fresh = yield* HttpAuth.client(OAuth2.authorizationCodePkce({ ...options, scope: label.replace(" ", "_") }))
    const error = yield* Effect.flip(fresh.get("https://api.test/me"))
    yield* sent(label, `GET ${visit!.url.split("?")[0]}`, [`scope=${label.replace(" ", "_")}`])
    yield* got(failure(error))
  }
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
