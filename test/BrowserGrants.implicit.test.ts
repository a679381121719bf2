/**
 * The implicit grant end to end with a real headless Chromium, against an
 * authorization endpoint of our own (oidc-provider refuses implicit over
 * http): the token and id_token come back in the fragment, the listener's
 * page posts them back, the nonce is checked, and the API accepts the token.
 */
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { HttpAuth, OAuth2 } from "../src/index.js"
import { createToken } from "../src/testing/index.js"
import { launch } from "./fixtures/chromium.js"
import { serve } from "./fixtures/server.js"

/**
 * An authorization endpoint that approves `spa` at once (implicit grant,
 * RFC 6749 section 4.2.2; OpenID Connect's id_token, HS256 here) and an API
 * that accepts the access tokens it issued. `replayNonce` makes it put an
 * old nonce in the id_token.
 */
const authorizationServer = (replayNonce: boolean) =>
  Effect.gen(function* () {
    const issued = new Set<string>()
    const server = yield* serve((seen) =>
      Effect.gen(function* () {
        const url = new URL(seen.url, "http://x")
        if (url.pathname === "/api") {
          const token = /^Bearer (.+)$/.exec(seen.headers.authorization ?? "")?.[1]
          return token !== undefined && issued.has(token)
            ? HttpServerResponse.unsafeJson({ sub: "alice" })
            : HttpServerResponse.text("unknown token", { status: 401 })
        }
        const params = url.searchParams
        const redirectUri = params.get("redirect_uri") ?? ""
        if (params.get("client_id") !== "spa" || !redirectUri.startsWith("http://127.0.0.1:")) {
          return HttpServerResponse.text("unknown client or redirect_uri", { status: 400 })
        }
        const accessToken = `at-${issued.size + 1}`
        issued.add(accessToken)
        const idToken = yield* createToken({
          secret: "fixture-key",
          claims: { sub: "alice", aud: "spa", nonce: replayNonce ? "an-old-nonce" : params.get("nonce") }
        })
        const fragment = new URLSearchParams({
          access_token: accessToken,
          token_type: "Bearer",
          expires_in: "600",
          id_token: idToken,
          state: params.get("state") ?? ""
        })
        return HttpServerResponse.empty({ status: 302, headers: { location: `${redirectUri}#${fragment}` } })
      })
    )
    return server
  })

const implicit = (origin: string) =>
  OAuth2.implicit({
    authorizationUrl: `${origin}/authorize`,
    clientId: "spa",
    responseType: "id_token token",
    scope: "openid",
    redirectUriDomain: "127.0.0.1",
    redirectUriPort: 0
  })

describe("OAuth2.implicit with headless Chromium", () => {
  it.scopedLive(
    "takes access and id tokens from the fragment, checks the nonce, and calls the API",
    () =>
      Effect.gen(function* () {
        const server = yield* authorizationServer(false)
        const browser = yield* launch
        const client = yield* HttpAuth.client(implicit(server.origin)).pipe(Effect.provide(browser.layer()))
        const response = yield* client.get(`${server.origin}/api`)
        expect(response.status).toBe(200)
        expect(yield* response.json).toEqual({ sub: "alice" })
        expect((yield* client.get(`${server.origin}/api`)).status).toBe(200)

        const authorize = (yield* server.seen).filter((seen) => seen.url.startsWith("/authorize"))
        expect(authorize.length).toBe(1)
        const sent = new URL(authorize[0]!.url, "http://x").searchParams
        expect(sent.get("response_type")).toBe("id_token token")
        expect(sent.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/)
        const exchanges = browser.exchanges.filter(({ url }) => !url.endsWith("/favicon.ico"))
        expect(
          exchanges.map(({ method, url, status }) => [method, url.split("?")[0]!.replace(/:\d+/, ":PORT"), status])
        ).toEqual([
          ["GET", "http://127.0.0.1:PORT/authorize", 302],
          ["GET", "http://127.0.0.1:PORT/", 200],
          ["POST", "http://127.0.0.1:PORT/", 200]
        ])
        for (const { url } of exchanges) expect(url).not.toContain("at-1")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "refuses an id_token whose nonce is not the one sent, before any API call",
    () =>
      Effect.gen(function* () {
        const server = yield* authorizationServer(true)
        const browser = yield* launch
        const client = yield* HttpAuth.client(implicit(server.origin)).pipe(Effect.provide(browser.layer()))
        const error = yield* Effect.flip(client.get(`${server.origin}/api`))
        expect(error._tag).toBe("InvalidToken")
        expect((yield* server.seen).filter((seen) => seen.url === "/api")).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 60_000 }
  )
})
