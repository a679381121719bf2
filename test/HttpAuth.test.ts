import {
  FetchHttpClient,
  HttpClient,
  HttpClientRequest,
  HttpClientResponse,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Layer, Option, Ref } from "effect"
import { ApiKey, AuthError, Basic, Bearer, HttpAuth } from "../src/index.js"
import { echo, type Seen, seenOf, serve } from "./fixtures/server.js"

const Base = NodeHttpClient.layerUndici

class Token extends Context.Tag("test/Token")<Token, string>() {}

/**
 * A challenge-response scheme for tests: a 401 with `WWW-Authenticate: Test
 * nonce="..."` is answered with `Authorization: Test <nonce>`, sent again
 * through `send` (postprocess only).
 */
const challengeScheme = HttpAuth.fromExchange(
  (request, send) =>
    Effect.flatMap(send(request), (response) => {
      const match = /^Test nonce="([^"]+)"$/.exec(response.headers["www-authenticate"] ?? "")
      if (response.status !== 401 || match === null) return Effect.succeed(response)
      return send(HttpClientRequest.setHeader(request, "authorization", `Test ${match[1]}`))
    }),
  { headers: ["authorization"], params: [] }
)

/** 401 unless `Authorization: Test n1` and `x-api-key: k` are both there. */
const challengeServer = serve((seen) =>
  seen.headers.authorization === "Test n1" && seen.headers["x-api-key"] === "k"
    ? HttpServerResponse.json(seen)
    : HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": 'Test nonce="n1"' } })
)

describe("HttpAuth.layer", () => {
  it.scoped("decorates the HttpClient in context", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const seen = yield* HttpClient.get(`${server.origin}/me`).pipe(
        Effect.flatMap(seenOf),
        Effect.provide(HttpAuth.layer(Bearer.make("t0ken")).pipe(Layer.provide(Base)))
      )
      expect(seen.headers.authorization).toBe("Bearer t0ken")
    })
  )

  it.scoped("builds the auth with the undecorated client, so token calls carry no credentials", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.url === "/token" ? HttpServerResponse.text("fetched-token") : HttpServerResponse.json(seen)
      )
      // An auth that fetches its token with the client it was built with, as OAuth 2 does.
      const fetchingAuth = Effect.gen(function* () {
        const base = yield* HttpClient.HttpClient
        const token = yield* Effect.orDie(
          Effect.flatMap(base.post(`${server.origin}/token`), (response) => response.text)
        )
        return yield* HttpAuth.all(Bearer.make(token), ApiKey.header("static-key"))
      })
      yield* HttpClient.get(`${server.origin}/data`).pipe(
        Effect.provide(HttpAuth.layer(fetchingAuth).pipe(Layer.provide(Base)))
      )
      const [token, data] = yield* server.seen
      expect(token!.url).toBe("/token")
      expect(token!.headers.authorization).toBeUndefined()
      expect(token!.headers["x-api-key"]).toBeUndefined()
      expect(data!.headers.authorization).toBe("Bearer fetched-token")
      expect(data!.headers["x-api-key"]).toBe("static-key")
    })
  )

  it.scoped("is lost when merged beside the base client instead of provided to it (the trap the README avoids)", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const merged = Layer.merge(HttpAuth.layer(Bearer.make("t0ken")).pipe(Layer.provide(Base)), Base)
      const seen = yield* HttpClient.get(`${server.origin}/me`).pipe(Effect.flatMap(seenOf), Effect.provide(merged))
      expect(seen.headers.authorization).toBeUndefined()
    })
  )

  it.scoped("turns an AuthError into a RequestError with reason Encode and the AuthError as cause", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const error = yield* HttpClient.get(`${server.origin}/me`).pipe(
        Effect.flip,
        Effect.provide(HttpAuth.layer(Bearer.make(Effect.fail("vault down"))).pipe(Layer.provide(Base)))
      )
      expect(error._tag).toBe("RequestError")
      expect(error._tag === "RequestError" && error.reason).toBe("Encode")
      const authError = Option.getOrThrow(AuthError.fromHttpClientError(error))
      expect(authError._tag).toBe("AuthenticationFailed")
      expect(authError.message).toBe("Bearer.make: the token Effect failed")
      expect(yield* server.seen).toEqual([])
    })
  )

  it.scoped("fails building with InvalidOptions, before any request", () =>
    Effect.gen(function* () {
      const exit = yield* Layer.build(
        HttpAuth.layer(ApiKey.header("key", { headerName: "x bad" })).pipe(Layer.provide(Base))
      ).pipe(Effect.either)
      const error = Either.getLeft(exit).pipe(Option.getOrThrow)
      expect(error._tag).toBe("InvalidOptions")
      expect(error.message).toMatch(/^ApiKey\.header: option "headerName" is not a valid header name \("x bad"\)/)
    })
  )
})

describe("HttpAuth.client and authenticate", () => {
  it.scoped("client gives typed AuthErrors", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(Bearer.make(Effect.succeed("a\r\nx-injected: 1")))
      const error = yield* Effect.flip(client.get(`${server.origin}/`))
      expect(error._tag).toBe("AuthenticationFailed")
      expect(error.message).toBe("Bearer.make: the token Effect gave a token with CR, LF or NUL characters")
      expect(yield* server.seen).toEqual([])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("authenticate sends one request with the auth and leaves the client as it was", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const one = yield* HttpClientRequest.get(`${server.origin}/a`).pipe(
        HttpAuth.authenticate(Basic.make("user", "pass")),
        Effect.flatMap(seenOf)
      )
      const plain = yield* HttpClient.get(`${server.origin}/b`).pipe(Effect.flatMap(seenOf))
      expect(one.headers.authorization).toBe("Basic dXNlcjpwYXNz")
      expect(plain.headers.authorization).toBeUndefined()
      const dataFirst = yield* HttpAuth.authenticate(HttpClientRequest.get(`${server.origin}/c`), Bearer.make("x"))
      expect((yield* seenOf(dataFirst)).headers.authorization).toBe("Bearer x")
    }).pipe(Effect.provide(Base))
  )
})

describe("HttpAuth.all", () => {
  it.scoped("applies left to right: a later scheme wins on the same header", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(
        HttpAuth.all(Bearer.make("first"), ApiKey.header("k"), HttpAuth.header("Authorization", "second"))
      )
      const seen = yield* Effect.flatMap(client.get(`${server.origin}/`), seenOf)
      expect(seen.headers.authorization).toBe("second")
      expect(seen.headers["x-api-key"]).toBe("k")
    }).pipe(Effect.provide(Base))
  )

  it.effect("flattens nested alls and unions what they add", () =>
    Effect.gen(function* () {
      const auth = yield* HttpAuth.all(
        HttpAuth.all(Bearer.make("a"), ApiKey.query("q")),
        ApiKey.header("h", { headerName: "X-Key" })
      )
      expect(auth.parts.length).toBe(3)
      expect(auth.credentials).toEqual({ headers: ["authorization", "x-key"], params: ["api_key"] })
    })
  )

  it.scoped("composes a challenge-response scheme: its resend keeps the other schemes' credentials", () =>
    Effect.gen(function* () {
      for (const order of ["key first", "challenge first"] as const) {
        const server = yield* challengeServer
        const auth =
          order === "key first"
            ? HttpAuth.all(ApiKey.header("k"), challengeScheme)
            : HttpAuth.all(challengeScheme, ApiKey.header("k"))
        const client = yield* HttpAuth.client(auth)
        const response = yield* client.get(`${server.origin}/guarded`)
        expect(response.status).toBe(200)
        const seen = yield* server.seen
        expect(seen.map((s) => [s.headers.authorization, s.headers["x-api-key"]])).toEqual([
          [undefined, "k"],
          ["Test n1", "k"]
        ])
      }
    }).pipe(Effect.provide(Base))
  )

  it("the shapes internal/client.ts relies on: a client's preprocess and postprocess, a context's unsafeMap", () => {
    // if @effect/platform or effect changes these, withSend and withBuildContext must change too
    const client = HttpClient.makeWith(
      (request) => Effect.flatMap(request, (r) => Effect.succeed(HttpClientResponse.fromWeb(r, new Response("ok")))),
      Effect.succeed
    ).pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl("http://x.test")))
    const stages = client as unknown as Record<string, unknown>
    expect(typeof stages.preprocess).toBe("function")
    expect(typeof stages.postprocess).toBe("function")
    const context = Context.make(Token, "t")
    expect(context.unsafeMap).toBeInstanceOf(Map)
    expect(context.unsafeMap.get(Token.key)).toBe("t")
  })

  it.scoped("a resend runs the client's preprocess once (a prependUrl below the auth is not applied twice)", () =>
    Effect.gen(function* () {
      const server = yield* challengeServer
      const base = (yield* HttpClient.HttpClient).pipe(
        HttpClient.mapRequest(HttpClientRequest.prependUrl(`${server.origin}/api`))
      )
      const auth = yield* HttpAuth.all(challengeScheme, ApiKey.header("k"))
      const response = yield* auth.wrap(base).get("/guarded")
      expect(response.status).toBe(200)
      expect((yield* server.seen).map((s) => s.url)).toEqual(["/api/guarded", "/api/guarded"])
    }).pipe(Effect.provide(Base))
  )
})

describe("HttpAuth.forOrigins", () => {
  it.scoped("applies the auth to the listed origins only", () =>
    Effect.gen(function* () {
      const a = yield* serve(echo)
      const b = yield* serve(echo)
      const client = yield* HttpAuth.client(Bearer.make("t").pipe(HttpAuth.forOrigins([`${a.origin}/ignored-path`])))
      const toA = yield* Effect.flatMap(client.get(`${a.origin}/x`), seenOf)
      const toB = yield* Effect.flatMap(client.get(`${b.origin}/x`), seenOf)
      expect(toA.headers.authorization).toBe("Bearer t")
      expect(toB.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(Base))
  )

  it.effect("refuses an origin that is not a URL", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(HttpAuth.forOrigins(Bearer.make("t"), ["api.example.com"]))
      expect(error.message).toBe('HttpAuth.forOrigins: option "origins" holds "api.example.com", which is not a URL')
    })
  )
})

const redirector = (to: (seen: Seen) => string | undefined, status = 302) =>
  serve((seen) => {
    const location = to(seen)
    return location === undefined
      ? HttpServerResponse.json(seen)
      : HttpServerResponse.empty({ status, headers: { location } })
  })

describe("HttpAuth.followRedirects", () => {
  const everything = HttpAuth.all(
    Bearer.make("bearer-secret"),
    ApiKey.header("header-secret", { headerName: "X-Custom-Key" }),
    ApiKey.query("query-secret"),
    Basic.make("upstream", "upstream-secret", { headerName: "X-Upstream-Authorization" })
  )

  const userRequest = (url: string) =>
    HttpClientRequest.get(url).pipe(
      HttpClientRequest.setHeader("cookie", "session=cookie-secret"),
      HttpClientRequest.setHeader("proxy-authorization", "Basic cHJveHk6cHJveHktc2VjcmV0"),
      HttpClientRequest.setHeader("x-trace", "kept")
    )

  it.scoped("keeps credentials on a same-origin hop", () =>
    Effect.gen(function* () {
      const server = yield* redirector((seen) => (seen.url.startsWith("/start") ? "/end?x=1" : undefined))
      const client = yield* HttpAuth.client(HttpAuth.followRedirects(everything))
      const response = yield* client.execute(userRequest(`${server.origin}/start`))
      const end = yield* seenOf(response)
      expect(end.url).toBe("/end?x=1&api_key=query-secret")
      expect(end.headers.authorization).toBe("Bearer bearer-secret")
      expect(end.headers["x-custom-key"]).toBe("header-secret")
      expect(end.headers["proxy-authorization"]).toBe("Basic cHJveHk6cHJveHktc2VjcmV0")
      expect(end.headers["x-upstream-authorization"]).toBe(
        `Basic ${Buffer.from("upstream:upstream-secret").toString("base64")}`
      )
      expect(end.headers.cookie).toBe("session=cookie-secret")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("drops every credential on a cross-origin hop, and does not restore them on the way back", () =>
    Effect.gen(function* () {
      const a = yield* serve(echo)
      const b = yield* redirector((seen) => (seen.url === "/bounce" ? `${a.origin}/back` : undefined))
      const start = yield* redirector(() => `${b.origin}/bounce`)
      const client = yield* HttpAuth.client(HttpAuth.followRedirects(everything))
      yield* client.execute(userRequest(`${start.origin}/start?page=2`))
      const [atB] = yield* b.seen
      const [backAtA] = yield* a.seen
      for (const seen of [atB!, backAtA!]) {
        expect(seen.headers.authorization).toBeUndefined()
        expect(seen.headers["x-custom-key"]).toBeUndefined()
        expect(seen.headers["proxy-authorization"]).toBeUndefined()
        expect(seen.headers["x-upstream-authorization"]).toBeUndefined()
        expect(seen.headers.cookie).toBeUndefined()
        expect(seen.headers["x-trace"]).toBe("kept")
        expect(JSON.stringify(seen)).not.toMatch(/secret/)
      }
      expect(atB!.url).toBe("/bounce")
      expect(backAtA!.url).toBe("/back")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("turns 303, and 301/302 after POST, into a GET without a body; 307 and 308 keep both", () =>
    Effect.gen(function* () {
      for (const [status, method, body] of [
        [303, "GET", ""],
        [301, "GET", ""],
        [302, "GET", ""],
        [307, "POST", "payload"],
        [308, "POST", "payload"]
      ] as const) {
        const server = yield* redirector((seen) => (seen.url === "/form" ? "/done" : undefined), status)
        const client = yield* HttpAuth.client(HttpAuth.followRedirects(Bearer.make("t")))
        const done = yield* client
          .execute(HttpClientRequest.post(`${server.origin}/form`).pipe(HttpClientRequest.bodyText("payload")))
          .pipe(Effect.flatMap(seenOf))
        expect([status, done.method, done.body, done.headers["content-type"]]).toEqual([
          status,
          method,
          body,
          body === "" ? undefined : "text/plain"
        ])
        expect(done.headers.authorization).toBe("Bearer t")
      }
    }).pipe(Effect.provide(Base))
  )

  it.scoped("fails with TooManyRedirects past the bound, without the query in the message", () =>
    Effect.gen(function* () {
      const hops = yield* Ref.make(0)
      const server = yield* serve(() =>
        Effect.as(
          Ref.update(hops, (n) => n + 1),
          HttpServerResponse.empty({ status: 302, headers: { location: "/loop?token=abc" } })
        )
      )
      const client = yield* HttpAuth.client(HttpAuth.followRedirects(ApiKey.query("k"), { maxRedirects: 3 }))
      const error = yield* Effect.flip(client.get(`${server.origin}/loop`))
      expect(error._tag).toBe("TooManyRedirects")
      expect(error.message).toBe(
        `More than 3 redirects, the last to ${server.origin}/loop: raise maxRedirects or check the server for a redirect loop`
      )
      expect(yield* Ref.get(hops)).toBe(4)
    }).pipe(Effect.provide(Base))
  )

  it.effect("refuses a negative or fractional maxRedirects", () =>
    Effect.gen(function* () {
      for (const maxRedirects of [-1, 1.5]) {
        const error = yield* Effect.flip(HttpAuth.followRedirects(Bearer.make("t"), { maxRedirects }))
        expect(error.message).toBe(
          `HttpAuth.followRedirects: option "maxRedirects" must be a whole number from 0 up, not ${maxRedirects}`
        )
      }
    })
  )

  it.scoped("stops Fetch from following by itself, which would keep an API key header cross-origin", () =>
    Effect.gen(function* () {
      const other = yield* serve(echo)
      const start = yield* redirector(() => `${other.origin}/landing`)
      const key = ApiKey.header("fetch-secret", { headerName: "X-Custom-Key" })
      // Without the follower, Fetch's own following sends the key to the other origin:
      const leaky = yield* HttpAuth.client(key)
      const leaked = yield* Effect.flatMap(leaky.get(`${start.origin}/`), seenOf)
      expect(leaked.headers["x-custom-key"]).toBe("fetch-secret")
      // With it, the hop goes out clean:
      const safe = yield* HttpAuth.client(HttpAuth.followRedirects(key))
      const clean = yield* Effect.flatMap(safe.get(`${start.origin}/`), seenOf)
      expect(clean.url).toBe("/landing")
      expect(clean.headers["x-custom-key"]).toBeUndefined()
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )
})

describe("README", () => {
  it("wires the auth with Layer.provide in its code, never Layer.merge", async () => {
    const { readFile } = await import("node:fs/promises")
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8")
    const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]).join("\n")
    expect(code).toContain("HttpAuth.layer(")
    expect(code).toContain(").pipe(Layer.provide(NodeHttpClient.layerUndici))")
    expect(code).not.toContain("Layer.merge")
  })
})
