/**
 * The redirect listener with a real headless Chromium: the grant in the
 * fragment (which a browser never sends to a server) reaches the listener
 * only through the page it serves, whose script posts the fragment back.
 */
import { HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { RedirectListener } from "../src/index.js"
import { launch, shown } from "./fixtures/chromium.js"
import { serve } from "./fixtures/server.js"

/**
 * An authorization endpoint that approves at once and redirects with
 * `reply(state)` as the fragment (implicit grant, RFC 6749 section 4.2.2)
 * or as the query (`?`).
 */
const authorizationServer = (reply: (state: string) => string) =>
  serve((seen) => {
    const params = new URL(seen.url, "http://x").searchParams
    return Effect.succeed(
      HttpServerResponse.empty({
        status: 302,
        headers: { location: `${params.get("redirect_uri")}${reply(params.get("state")!)}` }
      })
    )
  })

const authorize = (origin: string, grantField: string, responseType: string) => ({
  grantField,
  url: ({ redirectUri, state }: { redirectUri: string; state: string }) =>
    `${origin}/authorize?${new URLSearchParams({ response_type: responseType, client_id: "app", redirect_uri: redirectUri, state })}`
})

describe("RedirectListener with headless Chromium", () => {
  it.scopedLive(
    "takes a token from the fragment: the served page posts it back, and the browser shows the success page",
    () =>
      Effect.gen(function* () {
        const server = yield* authorizationServer(
          (state) => `#access_token=tok-1&token_type=Bearer&expires_in=3600&state=${state}`
        )
        // Launched after the servers, so closed before them: its spare connections would hold their close.
        const browser = yield* launch
        const listener = yield* RedirectListener.make({
          redirectUriPort: 0,
          redirectUriDomain: "127.0.0.1",
          redirectUriEndpoint: "callback",
          // keep the page up, to read it
          display: { successDisplayTime: "1 minute" }
        })
        const grant = yield* listener
          .authorize(authorize(server.origin, "access_token", "token"))
          .pipe(Effect.provide(browser.layer()))
        expect(Redacted.value(grant.grant)).toBe("tok-1")
        expect(grant.fields).toEqual({ token_type: "Bearer", expires_in: "3600" })
        expect(grant.responseMode).toBe("fragment")

        const text = yield* shown(browser.pages[0]!, "Authentication success")
        expect(text).toContain("You can close this tab.")
        const callback = grant.redirectUri
        expect(
          browser.exchanges
            .filter(({ url }) => !url.endsWith("/favicon.ico"))
            .map(({ method, url, status }) => [method, url.split("?")[0], status])
        ).toEqual([
          ["GET", `${server.origin}/authorize`, 302],
          ["GET", callback, 200],
          ["POST", callback, 200]
        ])
        // The token went in the POST body, never in a URL the listener saw.
        for (const exchange of browser.exchanges) expect(exchange.url).not.toContain("tok-1")
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "takes a code from the query, and shows the failure page with the escaped reason on an error",
    () =>
      Effect.gen(function* () {
        const codeServer = yield* authorizationServer((state) => `?code=c-1&state=${state}`)
        const errorServer = yield* authorizationServer(
          (state) => `#${new URLSearchParams({ error: "access_denied", error_description: "<b>no</b> thanks", state })}`
        )
        const browser = yield* launch
        const listener = yield* RedirectListener.make({ redirectUriPort: 0 })
        const grant = yield* listener
          .authorize(authorize(codeServer.origin, "code", "code"))
          .pipe(Effect.provide(browser.layer()))
        expect(Redacted.value(grant.grant)).toBe("c-1")
        expect(grant.responseMode).toBe("query")

        const exit = yield* listener
          .authorize(authorize(errorServer.origin, "access_token", "token"))
          .pipe(Effect.provide(browser.layer()), Effect.exit)
        expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("OAuth2Error")
        const text = yield* shown(browser.pages[1]!, "Authentication failed")
        expect(text).toContain('OAuth 2 error "access_denied": <b>no</b> thanks')
      }),
    { timeout: 60_000 }
  )
})
