import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Redacted, TestClock } from "effect"
import { RedirectListener } from "effect-http-auth"
import { BrowserTest } from "effect-http-auth/testing"

const authorizationUrl =
  (extra: Record<string, string>) =>
  ({ redirectUri, state }: { redirectUri: string; state: string }) =>
    `https://auth.test/authorize?${new URLSearchParams({ client_id: "app", ...extra, redirect_uri: redirectUri, state })}`

const authorize = (grantField: string, extra: Record<string, string> = {}, options: RedirectListener.Options = {}) =>
  Effect.flatMap(RedirectListener.make({ redirectUriPort: 0, ...options }), (listener) =>
    listener.authorize({ grantField, url: authorizationUrl(extra) })
  )

const tagOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? (exit.cause.error as { _tag: string })._tag : "no failure"

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"))

describe("BrowserTest", () => {
  it.live("approves as the URL asks: a code in the query, then a token in the fragment", () =>
    Effect.gen(function* () {
      const code = yield* authorize("code", { response_type: "code" })
      expect(Redacted.value(code.grant)).toBe("code-1")
      expect(code.responseMode).toBe("query")
      const implicit = yield* authorize("access_token", { response_type: "token" })
      expect(Redacted.value(implicit.grant)).toBe("access-2")
      expect(implicit.fields).toEqual({ token_type: "Bearer", expires_in: "3600" })
      expect(implicit.responseMode).toBe("fragment")

      const [first, second] = yield* BrowserTest.visits
      expect(first!.reply).toBe("Approve")
      expect(first!.params.response_type).toBe("code")
      expect(first!.params.redirect_uri).toBe(code.redirectUri)
      expect(first!.redirect).toBe(`${code.redirectUri}?code=code-1&state=${first!.params.state}`)
      expect(first!.status).toBe(200)
      expect(first!.page).toContain("Authentication success")
      expect(second!.redirect).toBe(
        `${implicit.redirectUri}#access_token=access-2&token_type=Bearer&expires_in=3600&state=${second!.params.state}`
      )
      expect(second!.problem).toBeUndefined()
    }).pipe(Effect.provide(BrowserTest.layer()))
  )

  it.live("makes an id_token carrying the URL's nonce, and honours response_mode", () =>
    Effect.gen(function* () {
      const grant = yield* authorize("id_token", {
        response_type: "id_token",
        nonce: "n-0S6",
        response_mode: "form_post"
      })
      expect(grant.responseMode).toBe("form_post")
      expect(claimsOf(Redacted.value(grant.grant))).toMatchObject({ nonce: "n-0S6", aud: "app", sub: "test-user" })
    }).pipe(Effect.provide(BrowserTest.layer()))
  )

  it.live("plays scripted replies: a given code, a token, form_post, extra fields", () =>
    Effect.gen(function* () {
      const a = yield* authorize("code")
      expect(Redacted.value(a.grant)).toBe("abc")
      expect(a.fields).toEqual({ iss: "https://auth.test" })
      const b = yield* authorize("access_token")
      expect([Redacted.value(b.grant), b.responseMode]).toEqual(["t", "fragment"])
      const c = yield* authorize("code", { response_type: "code" })
      expect([Redacted.value(c.grant), c.responseMode]).toEqual(["code-3", "form_post"])
    }).pipe(
      Effect.provide(
        BrowserTest.layer(
          BrowserTest.code("abc", { fields: { iss: "https://auth.test" } }),
          BrowserTest.token({ access_token: "t" }),
          BrowserTest.formPost()
        )
      )
    )
  )

  it.effect("plays faults: an error ends the wait; a missing or wrong state gets 400 and the wait goes on", () =>
    Effect.gen(function* () {
      const denied = yield* Effect.exit(authorize("code", { response_type: "code" }))
      expect(tagOf(denied)).toBe("OAuth2Error")
      expect(Exit.isFailure(denied) && String(denied.cause)).toContain("the user said no")
      for (const visited of [2, 3]) {
        const fiber = yield* Effect.fork(authorize("code", { response_type: "code" }, { timeout: "30 seconds" }))
        while (
          (yield* BrowserTest.visits).length < visited ||
          (yield* BrowserTest.visits)[visited - 1]!.status === undefined
        ) {
          yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
        }
        yield* TestClock.adjust("30 seconds")
        expect(tagOf(yield* Fiber.await(fiber))).toBe("AuthorizationTimeout")
      }
      const visits = yield* BrowserTest.visits
      expect(visits.map((visit) => [visit.reply, visit.status])).toEqual([
        ["Error", 400],
        ["Approve", 400],
        ["Approve", 400]
      ])
      expect(visits[0]!.redirect).toContain("?error=access_denied&error_description=the+user+said+no&state=")
      expect(visits[1]!.redirect).not.toContain("state=")
      expect(visits[1]!.page).toContain("The authorization redirect carried no state parameter")
      expect(visits[2]!.redirect).toContain("state=not-the-state-that-was-sent")
    }).pipe(
      Effect.provide(
        BrowserTest.layer(
          BrowserTest.error("access_denied", { description: "the user said no" }),
          BrowserTest.missingState(),
          BrowserTest.wrongState()
        )
      )
    )
  )

  it.effect("plays no reply: the listener times out on the Clock", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(authorize("code", {}, { timeout: "30 seconds" }))
      while ((yield* BrowserTest.visits).length === 0) {
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      yield* TestClock.adjust("30 seconds")
      expect(tagOf(yield* Fiber.await(fiber))).toBe("AuthorizationTimeout")
      const [visit] = yield* BrowserTest.visits
      expect([visit!.reply, visit!.redirect, visit!.status]).toEqual(["NoReply", undefined, undefined])
    }).pipe(Effect.provide(BrowserTest.layer(BrowserTest.noReply)))
  )

  it.effect("records a URL without redirect_uri as a problem", () =>
    Effect.gen(function* () {
      const { Browser } = yield* Effect.promise(() => import("effect-http-auth"))
      yield* Browser.open("https://auth.test/authorize?client_id=app")
      const [visit] = yield* BrowserTest.visits
      expect(visit!.problem).toBe("the authorization URL has no redirect_uri")
    }).pipe(Effect.provide(BrowserTest.layer()))
  )
})
