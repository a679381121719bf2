import { createServer as createNetServer, connect } from "node:net"
import { networkInterfaces } from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Redacted, TestClock } from "effect"
import * as fc from "fast-check"
import { Browser, RedirectListener } from "../src/index.js"
import { makeFor } from "../src/internal/redirectListener.js"

/** What the listener answered to one request. */
interface Answer {
  readonly status: number
  readonly body: string
  readonly headers: Headers
}

const send = (url: string, init?: RequestInit): Promise<Answer> =>
  fetch(url, { redirect: "manual", ...init }).then(async (response) => ({
    status: response.status,
    body: await response.text(),
    headers: response.headers
  }))

const form = (url: string, body: Record<string, string>) =>
  send(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(body).toString()
  })

/** The redirect URI and state that an authorization URL carries. */
const parse = (url: string) => {
  const params = new URL(url).searchParams
  return { redirectUri: params.get("redirect_uri")!, state: params.get("state")! }
}

const authorizationUrl = ({ redirectUri, state }: { redirectUri: string; state: string }) =>
  `https://auth.test/authorize?${new URLSearchParams({ response_type: "code", redirect_uri: redirectUri, state })}`

/**
 * Runs one authorization whose browser calls `reply` with the authorization
 * URL, and returns the listener's result and what `reply` saw.
 */
const run = <A>(reply: (url: string) => Promise<A>, options: RedirectListener.Options = {}, grantField = "code") =>
  Effect.gen(function* () {
    const listener = yield* RedirectListener.make({ redirectUriPort: 0, ...options })
    let answer: A | undefined
    let opened = ""
    const exit = yield* listener.authorize({ grantField, url: authorizationUrl }).pipe(
      Effect.provide(
        Browser.layerFrom((url) =>
          Effect.promise(async () => {
            opened = url
            answer = await reply(url)
          })
        )
      ),
      Effect.exit
    )
    return { exit, answer: answer as A, opened }
  })

const portIsFree = (port: number) =>
  Effect.async<boolean>((resume) => {
    const server = createNetServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen(port, "127.0.0.1", () => server.close(() => resume(Effect.succeed(true))))
  })

const connects = (host: string, port: number) =>
  Effect.async<string>((resume) => {
    const socket = connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed("connected"))
    })
    socket.once("error", (error: NodeJS.ErrnoException) => resume(Effect.succeed(error.code ?? "error")))
  })

const failure = <A, E>(exit: Exit.Exit<A, E>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) throw new Error(`expected a Fail cause, got ${exit.cause._tag}`)
  return error as E & { readonly _tag: string; readonly message: string }
}

describe("RedirectListener", () => {
  it.live("takes the code from the query, with the state it sent, and shows the success page", () =>
    Effect.gen(function* () {
      const { exit, answer, opened } = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        return send(`${redirectUri}?code=the-code&state=${state}&scope=read`)
      })
      const grant = yield* exit
      expect(Redacted.value(grant.grant)).toBe("the-code")
      expect(grant.fields).toEqual({ scope: "read" })
      expect(grant.responseMode).toBe("query")
      expect(grant.redirectUri).toMatch(/^http:\/\/localhost:\d+\/$/)
      expect(parse(opened).redirectUri).toBe(grant.redirectUri)
      // 32 random bytes, base64url
      expect(parse(opened).state).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toBe("text/html; charset=utf-8")
      expect(answer.headers.get("referrer-policy")).toBe("no-referrer")
      expect(answer.headers.get("cache-control")).toBe("no-store")
      expect(answer.body).toContain("<h1>Authentication success</h1>")
      expect(answer.body).toContain("window.setTimeout(function () { window.close() }, 1)")
    })
  )

  it.live("generates a new state for every authorization", () =>
    Effect.gen(function* () {
      const states: Array<string> = []
      for (let i = 0; i < 3; i++) {
        const { exit } = yield* run(async (url) => {
          const { redirectUri, state } = parse(url)
          states.push(state)
          return send(`${redirectUri}?code=c&state=${state}`)
        })
        yield* exit
      }
      expect(new Set(states).size).toBe(3)
    })
  )

  it.live("takes a form_post body (OAuth 2.0 Form Post Response Mode)", () =>
    Effect.gen(function* () {
      const { exit, answer } = yield* run(
        async (url) => {
          const { redirectUri, state } = parse(url)
          return form(redirectUri, { code: "posted", state, session_state: "s" })
        },
        { redirectUriEndpoint: "callback" }
      )
      const grant = yield* exit
      expect(Redacted.value(grant.grant)).toBe("posted")
      expect(grant.fields).toEqual({ session_state: "s" })
      expect(grant.responseMode).toBe("form_post")
      expect(grant.redirectUri).toMatch(/^http:\/\/localhost:\d+\/callback$/)
      expect(answer.status).toBe(200)
    })
  )

  it.live("serves a page that re-sends the fragment, and takes the token it posts", () =>
    Effect.gen(function* () {
      const { exit, answer } = yield* run(
        async (url) => {
          const { redirectUri, state } = parse(url)
          // What a browser does with `redirect_uri#access_token=...`: GET without the fragment...
          const page = await send(redirectUri)
          // ...then the page's script posts the fragment's fields.
          const posted = await form(redirectUri, {
            access_token: "tok",
            token_type: "Bearer",
            expires_in: "60",
            state,
            effect_http_auth_fragment: "1"
          })
          return { page, posted }
        },
        {},
        "access_token"
      )
      const grant = yield* exit
      expect(Redacted.value(grant.grant)).toBe("tok")
      expect(grant.fields).toEqual({ token_type: "Bearer", expires_in: "60" })
      expect(grant.responseMode).toBe("fragment")
      expect(answer.page.status).toBe(200)
      expect(answer.page.body).toContain("window.location.hash.slice(1)")
      expect(answer.page.headers.get("content-security-policy")).toBe(
        "default-src 'none'; script-src 'unsafe-inline'; form-action 'self'"
      )
      expect(answer.posted.status).toBe(200)
    })
  )

  it.live("answers a callback without state or with another state with 400, and waits on for the real one", () =>
    Effect.gen(function* () {
      const { exit, answer } = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        const stray = {
          missing: await send(`${redirectUri}?code=c`),
          empty: await send(`${redirectUri}?code=c&state=`),
          wrong: await send(`${redirectUri}?code=c&state=forged`),
          twice: await send(`${redirectUri}?code=c&state=${state}&state=forged`),
          prefix: await send(`${redirectUri}?code=c&state=${state.slice(0, -1)}`),
          // <img src="http://localhost:5000/?error=access_denied"> on any web page
          errorWithoutState: await send(`${redirectUri}?error=access_denied`),
          errorWithOtherState: await send(`${redirectUri}?error=access_denied&state=forged`),
          emptyPost: await form(redirectUri, {}),
          postWithoutState: await form(redirectUri, { code: "c" })
        }
        const real = await send(`${redirectUri}?code=the-real-one&state=${state}`)
        return { stray, real }
      })
      expect(Redacted.value((yield* exit).grant)).toBe("the-real-one")
      const statuses = Object.fromEntries(Object.entries(answer.stray).map(([name, a]) => [name, a.status]))
      expect(statuses).toEqual({
        missing: 400,
        empty: 400,
        wrong: 400,
        twice: 400,
        prefix: 400,
        errorWithoutState: 400,
        errorWithOtherState: 400,
        emptyPost: 400,
        postWithoutState: 400
      })
      expect(answer.stray.missing.body).toContain("<h1>Authentication failed</h1>")
      expect(answer.stray.missing.body).toContain("The authorization redirect carried no state parameter")
      expect(answer.stray.wrong.body).toContain("cross-site request forgery")
      expect(answer.real.status).toBe(200)
    })
  )

  it.live("answers 413 to a body over maxRequestBytes (64 KiB), without keeping it, and waits on", () =>
    Effect.gen(function* () {
      const big = `code=${"x".repeat(8 * 1024 * 1024)}`
      const { exit, answer } = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        const sized = await send(redirectUri, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: `state=${state}&${big}`
        })
        // no Content-Length: the body comes in chunks, and reading stops past the bound
        const chunks = [`state=${state}&`, ...Array.from({ length: 20 }, () => "y".repeat(8 * 1024))]
        const chunked = await send(redirectUri, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new ReadableStream({
            pull(controller) {
              const next = chunks.shift()
              if (next === undefined) controller.close()
              else controller.enqueue(new TextEncoder().encode(next))
            }
          }),
          duplex: "half"
        } as RequestInit)
        // a field name the size of the bound: the error quotes an excerpt
        const named = await form(redirectUri, { state, ["n".repeat(60 * 1024)]: "v" })
        return { sized, chunked, named }
      })
      expect([answer.sized.status, answer.chunked.status]).toEqual([413, 413])
      expect(answer.sized.body).toContain("The request is larger than 65536 bytes")
      const error = failure(exit)
      expect(error._tag).toBe("GrantNotProvided")
      expect(error.message).toBe(
        `The response has no "code" field (it has: state, ${"n".repeat(40)}…): check the tokenField option or the grant's parameters`
      )
      expect(answer.named.body.length).toBeLessThan(2000)
    })
  )

  it.live("turns an error redirect into OAuth2Error, with the RFC's text and the page escaped", () =>
    Effect.gen(function* () {
      const denied = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        return send(`${redirectUri}?error=access_denied&state=${state}`)
      })
      const error = failure(denied.exit)
      expect(error._tag).toBe("OAuth2Error")
      expect(error.message).toBe(
        'OAuth 2 error "access_denied": The resource owner or authorization server denied the request.'
      )
      expect(denied.answer.status).toBe(400)

      const described = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        return send(
          `${redirectUri}?${new URLSearchParams({
            error: "invalid_scope",
            error_description: "<script>alert('x')</script> & more",
            error_uri: "https://auth.test/errors?id=1",
            state
          })}`
        )
      })
      expect(failure(described.exit).message).toBe(
        "OAuth 2 error \"invalid_scope\": <script>alert('x')</script> & more: More information: https://auth.test/errors?id=1"
      )
      expect(described.answer.body).toContain("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; more")
      expect(described.answer.body).not.toContain("<script>alert")

      // An error with a forged state is not the server's word: the wait goes on, and the real error ends it.
      const forged = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        const stray = await send(`${redirectUri}?error=access_denied&state=forged`)
        await send(`${redirectUri}?error=server_error&state=${state}`)
        return stray
      })
      expect(forged.answer.status).toBe(400)
      expect((failure(forged.exit) as unknown as { error: string }).error).toBe("server_error")
    })
  )

  it.live("fails with GrantNotProvided when the redirect carries neither grant nor error", () =>
    Effect.gen(function* () {
      const { exit, answer } = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        return form(redirectUri, { state, token_type: "Bearer" })
      })
      const error = failure(exit)
      expect(error._tag).toBe("GrantNotProvided")
      expect(error.message).toBe(
        'The response has no "code" field (it has: state, token_type): check the tokenField option or the grant\'s parameters'
      )
      expect(answer.status).toBe(400)
    })
  )

  it.live("refuses a repeated grant parameter (RFC 6749 section 3.1)", () =>
    Effect.gen(function* () {
      const { exit } = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        return send(`${redirectUri}?code=a&code=b&state=${state}`)
      })
      const error = failure(exit)
      expect(error._tag).toBe("OAuth2Error")
      expect(error.message).toContain('The redirect repeats the "code" parameter')
    })
  )

  it.live("answers 404 on other paths and 204 on /favicon.ico, and goes on waiting", () =>
    Effect.gen(function* () {
      const { exit, answer } = yield* run(
        async (url) => {
          const { redirectUri, state } = parse(url)
          const origin = new URL(redirectUri).origin
          const other = await send(`${origin}/elsewhere?code=c&state=${state}`)
          const root = await send(`${origin}/?code=c&state=${state}`)
          const favicon = await send(`${origin}/favicon.ico`)
          const put = await send(redirectUri, { method: "PUT" })
          const done = await send(`${redirectUri}?code=right&state=${state}`)
          return { other, root, favicon, put, done }
        },
        { redirectUriEndpoint: "/cb/done" }
      )
      expect(Redacted.value((yield* exit).grant)).toBe("right")
      expect([answer.other.status, answer.root.status, answer.favicon.status, answer.put.status]).toEqual([
        404, 404, 204, 405
      ])
      expect(answer.put.headers.get("allow")).toBe("GET, POST")
      expect(answer.done.status).toBe(200)
    })
  )

  it.live("listens on 127.0.0.1 only, and the port is free again once the grant is in", () =>
    Effect.gen(function* () {
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address !== undefined && address.family === "IPv4" && !address.internal)
        .map((address) => address!.address)
      let port = 0
      const { exit, answer } = yield* run(async (url) => {
        const { redirectUri, state } = parse(url)
        port = Number(new URL(redirectUri).port)
        const reached: Record<string, string> = {}
        // another loopback address, and each address of the machine's other interfaces
        for (const host of ["127.0.0.2", ...others]) {
          reached[host] = await Effect.runPromise(connects(host, port))
        }
        reached["127.0.0.1"] = await Effect.runPromise(connects("127.0.0.1", port))
        await send(`${redirectUri}?code=c&state=${state}`)
        return reached
      })
      yield* exit
      expect(answer["127.0.0.1"]).toBe("connected")
      for (const host of ["127.0.0.2", ...others]) expect(answer[host], host).toBe("ECONNREFUSED")
      expect(yield* portIsFree(port)).toBe(true)
      expect(yield* connects("127.0.0.1", port)).toBe("ECONNREFUSED")
    })
  )

  it.live("uses the fixed port it is given, and fails clearly when the port is taken", () =>
    Effect.gen(function* () {
      const taken = createNetServer()
      const port = yield* Effect.async<number>((resume) => {
        taken.listen(0, "127.0.0.1", () => resume(Effect.succeed((taken.address() as { port: number }).port)))
      })
      const listener = yield* RedirectListener.make({ redirectUriPort: port })
      const error = yield* Effect.flip(
        listener
          .authorize({ grantField: "code", url: authorizationUrl })
          .pipe(Effect.provide(Browser.layerFrom(() => Effect.void)))
      )
      yield* Effect.promise(() => new Promise((resolve) => taken.close(resolve)))
      expect(error._tag).toBe("AuthenticationFailed")
      expect(error.message).toBe(
        `RedirectListener.make: port ${port} of 127.0.0.1 is taken, so the redirect listener cannot start: free it, or set redirectUriPort (0 takes a free port, if the authorization server accepts any port)`
      )

      const { exit } = yield* run(
        async (url) => {
          const { redirectUri, state } = parse(url)
          expect(redirectUri).toBe(`http://127.0.0.1:${port}/`)
          return send(`${redirectUri}?code=c&state=${state}`)
        },
        { redirectUriPort: port, redirectUriDomain: "127.0.0.1" }
      )
      expect(Redacted.value((yield* exit).grant)).toBe("c")
    })
  )

  it.effect("times out as a whole on the Clock with AuthorizationTimeout, and frees the port", () =>
    Effect.gen(function* () {
      const listener = yield* RedirectListener.make({ redirectUriPort: 0, timeout: "2 minutes" })
      let opened = ""
      const fiber = yield* listener
        .authorize({ grantField: "code", url: authorizationUrl })
        .pipe(Effect.provide(Browser.layerFrom((url) => Effect.sync(() => (opened = url)))), Effect.fork)
      yield* Effect.yieldNow()
      while (opened === "") yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      const port = Number(new URL(parse(opened).redirectUri).port)
      // A request that does not carry the grant does not restart the clock.
      yield* TestClock.adjust("90 seconds")
      expect(yield* Effect.promise(() => send(`http://127.0.0.1:${port}/favicon.ico`).then((a) => a.status))).toBe(204)
      expect(fiber.unsafePoll()).toBe(null)
      yield* TestClock.adjust("30 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("AuthorizationTimeout")
      expect(error.message).toBe(
        `No authorization arrived at http://localhost:${port}/ within 2m: finish the login in the browser sooner, or raise the timeout option`
      )
      expect(yield* portIsFree(port)).toBe(true)
    })
  )

  it.effect("closes the listener when the authorization is interrupted", () =>
    Effect.gen(function* () {
      const listener = yield* RedirectListener.make({ redirectUriPort: 0 })
      let opened = ""
      const fiber = yield* listener
        .authorize({ grantField: "code", url: authorizationUrl })
        .pipe(Effect.provide(Browser.layerFrom((url) => Effect.sync(() => (opened = url)))), Effect.fork)
      while (opened === "") yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      const port = Number(new URL(parse(opened).redirectUri).port)
      expect(yield* portIsFree(port)).toBe(false)
      yield* Fiber.interrupt(fiber)
      expect(yield* portIsFree(port)).toBe(true)
    })
  )

  it.live("fills custom pages: {display_time} in milliseconds, {information} escaped", () =>
    Effect.gen(function* () {
      const display: RedirectListener.DisplayOptions = {
        successDisplayTime: "2 seconds",
        successHtml: "<p>ok, closing in {display_time}</p>",
        failureDisplayTime: Duration.millis(250),
        failureHtml: "<p>{information} ({display_time})</p>"
      }
      const ok = yield* run(
        async (url) => {
          const { redirectUri, state } = parse(url)
          return send(`${redirectUri}?code=c&state=${state}`)
        },
        { display }
      )
      expect(ok.answer.body).toBe("<p>ok, closing in 2000</p>")
      const bad = yield* run(
        async (url) => send(`${parse(url).redirectUri}?error=x&error_description=a<b>"c"&state=${parse(url).state}`),
        { display }
      )
      expect(bad.answer.body).toBe("<p>OAuth 2 error &#34;x&#34;: a&#60;b&#62;&#34;c&#34; (250)</p>")
    })
  )

  it.effect("refuses bad options with InvalidOptions naming the option", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [RedirectListener.Options, string]> = [
        [{ redirectUriPort: 70000 }, 'option "redirectUriPort" must be a whole number from 0 to 65535, not 70000'],
        [{ redirectUriPort: 1.5 }, 'option "redirectUriPort" must be a whole number from 0 to 65535, not 1.5'],
        [{ redirectUriDomain: "" }, 'option "redirectUriDomain" must be a host name such as "localhost", not ""'],
        [{ redirectUriDomain: "evil.test/x" }, 'option "redirectUriDomain" must be a host name'],
        [{ redirectUriDomain: "a:1" }, 'option "redirectUriDomain" must be a host name'],
        [{ redirectUriEndpoint: "cb?x=1" }, 'option "redirectUriEndpoint" must be a URL path'],
        [{ redirectUriEndpoint: "c b" }, 'option "redirectUriEndpoint" must be a URL path'],
        [{ timeout: 0 }, 'option "timeout" must be a positive, finite Duration'],
        [{ maxRequestBytes: 0 }, 'option "maxRequestBytes" must be a whole number of bytes from 1 up, not 0'],
        [{ timeout: Duration.infinity }, 'option "timeout" must be a positive, finite Duration'],
        [{ timeout: "soon" as Duration.DurationInput }, 'option "timeout" must be a positive, finite Duration'],
        [
          { display: { successDisplayTime: Duration.infinity } },
          'option "display.successDisplayTime" must be a finite'
        ],
        [{ display: { failureDisplayTime: "x" as Duration.DurationInput } }, 'option "display.failureDisplayTime"']
      ]
      for (const [options, message] of cases) {
        const error = yield* Effect.flip(RedirectListener.make(options))
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message).toContain(`RedirectListener.make: ${message}`)
        // a grant's listener names the grant
        const forGrant = yield* Effect.flip(makeFor(options, "OAuth2.authorizationCode"))
        expect(forGrant.message).toContain(`OAuth2.authorizationCode: ${message}`)
      }
      const listener = yield* RedirectListener.make({ redirectUriEndpoint: "//a/b", redirectUriDomain: "my.host" })
      expect(listener.redirectUri(5000)).toBe("http://my.host:5000/a/b")
      expect(listener.redirectUriPort).toBe(5000)
      expect(Duration.toSeconds(listener.timeout)).toBe(60)
    })
  )

  it.live("reads any grant and fields back exactly as sent (property)", () =>
    Effect.gen(function* () {
      const listener = yield* RedirectListener.make({ redirectUriPort: 0 })
      const name = fc.stringMatching(/^[a-z_]{1,8}$/).filter((n) => !["code", "state", "error"].includes(n))
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.string({ minLength: 1, unit: "grapheme" }),
            fc.dictionary(name, fc.string({ unit: "grapheme" }), { maxKeys: 4 }),
            fc.boolean(),
            async (code, fields, post) => {
              const grant = await Effect.runPromise(
                listener.authorize({ grantField: "code", url: authorizationUrl }).pipe(
                  Effect.provide(
                    Browser.layerFrom((url) =>
                      Effect.promise(() => {
                        const { redirectUri, state } = parse(url)
                        const params = { ...fields, code, state }
                        return post ? form(redirectUri, params) : send(`${redirectUri}?${new URLSearchParams(params)}`)
                      })
                    )
                  )
                )
              )
              expect(Redacted.value(grant.grant)).toBe(code)
              expect(grant.fields).toEqual(fields)
            }
          ),
          { numRuns: 25 }
        )
      )
    })
  )
})
