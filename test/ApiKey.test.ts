import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Redacted } from "effect"
import { ApiKey, HttpAuth } from "../src/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"

const Base = NodeHttpClient.layerUndici

/** An in-memory client that answers with the URL it would have sent: for property runs. */
const urlOnTheWire = HttpClient.make((request, url) =>
  Effect.succeed(HttpClientResponse.fromWeb(request, new Response(url.toString())))
)

describe("ApiKey.header", () => {
  it.scoped("sends X-API-Key by default, or the header it is told", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const byDefault = yield* HttpAuth.client(ApiKey.header(Redacted.make("k1")))
      const named = yield* HttpAuth.client(
        ApiKey.header("k2", { headerName: "X-Custom-Key", headerValue: "Key {token}" })
      )
      expect((yield* Effect.flatMap(byDefault.get(`${server.origin}/`), seenOf)).headers["x-api-key"]).toBe("k1")
      const seen = yield* Effect.flatMap(named.get(`${server.origin}/`), seenOf)
      expect(seen.headers["x-custom-key"]).toBe("Key k2")
      expect(seen.headers["x-api-key"]).toBeUndefined()
    }).pipe(Effect.provide(Base))
  )

  it.effect("refuses an empty key, and a header name that is empty, has a space or a line break", () =>
    Effect.gen(function* () {
      const cases = [
        [ApiKey.header(""), 'ApiKey.header: option "key" must not be empty'],
        [ApiKey.header("k", { headerName: "" }), 'ApiKey.header: option "headerName" must not be empty'],
        [
          ApiKey.header("k", { headerName: "X API Key" }),
          'ApiKey.header: option "headerName" is not a valid header name ("X API Key")'
        ],
        [
          ApiKey.header("k", { headerName: "X-Key\r\n" }),
          'ApiKey.header: option "headerName" is not a valid header name ("X-Key\\r\\n")'
        ],
        [
          ApiKey.header("k", { headerName: "X-Key:" }),
          'ApiKey.header: option "headerName" is not a valid header name ("X-Key:")'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(auth)
        expect(error._tag).toBe("InvalidOptions")
        expect(error.message.slice(0, message.length)).toBe(message)
      }
    })
  )
})

describe("ApiKey.query", () => {
  it.scoped("appends the key after the request's own parameters, byte for byte", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(ApiKey.query("k&=y"))
      const cases = [
        ["/items", "/items?api_key=k%26%3Dy"],
        ["/items?", "/items?api_key=k%26%3Dy"],
        ["/items?b=2&a=1&c=%20x+y&d=%2B&e", "/items?b=2&a=1&c=%20x+y&d=%2B&e&api_key=k%26%3Dy"],
        ["/items?x=1&", "/items?x=1&api_key=k%26%3Dy"],
        // the key goes before the fragment (which Effect's undici client puts on the request line)
        ["/items?q=a;b&q=c#section", "/items?q=a;b&q=c&api_key=k%26%3Dy#section"]
      ] as const
      for (const [path, expected] of cases) {
        const seen = yield* Effect.flatMap(client.get(`${server.origin}${path}`), seenOf)
        expect(seen.url).toBe(expected)
      }
    }).pipe(Effect.provide(Base))
  )

  it.scoped("joins the request's urlParams when it has them, after them", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(ApiKey.query("k", { parameterName: "token" }))
      const request = HttpClientRequest.get(`${server.origin}/s`).pipe(
        HttpClientRequest.setUrlParams({ z: "1", a: "two words" })
      )
      const seen = yield* Effect.flatMap(client.execute(request), seenOf)
      expect(seen.url).toBe("/s?z=1&a=two+words&token=k")
    }).pipe(Effect.provide(Base))
  )

  it.effect.prop(
    "keeps every existing parameter, in order, and adds the key last",
    [
      fc.array(
        fc
          .tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }))
          .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`),
        { maxLength: 6 }
      ),
      fc.string({ minLength: 1, maxLength: 16 })
    ],
    ([pairs, key]: [ReadonlyArray<string>, string]) =>
      Effect.gen(function* () {
        const client = (yield* ApiKey.query(key)).wrap(urlOnTheWire)
        const original = pairs.length === 0 ? "https://api.example/x" : `https://api.example/x?${pairs.join("&")}`
        const sent = new URL(yield* Effect.flatMap(client.get(original), (response) => response.text))
        const before = new URL(original)
        expect(sent.search.startsWith(before.search === "" ? "?api_key=" : `${before.search}&api_key=`)).toBe(true)
        expect([...sent.searchParams]).toEqual([...before.searchParams, ["api_key", key]])
      }),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect("refuses an empty key or parameter name", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(ApiKey.query(""))).message).toBe('ApiKey.query: option "key" must not be empty')
      expect((yield* Effect.flip(ApiKey.query("k", { parameterName: "" }))).message).toBe(
        'ApiKey.query: option "parameterName" must not be empty'
      )
    })
  )
})

describe("HttpAuth.header", () => {
  it.scoped("sends a header of the API's own with the token in its template", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const gitlab = yield* HttpAuth.client(HttpAuth.header("PRIVATE-TOKEN", "glpat-1"))
      const github = yield* HttpAuth.client(HttpAuth.header("Authorization", "ghp-2", { headerValue: "token {token}" }))
      expect((yield* Effect.flatMap(gitlab.get(`${server.origin}/`), seenOf)).headers["private-token"]).toBe("glpat-1")
      expect((yield* Effect.flatMap(github.get(`${server.origin}/`), seenOf)).headers.authorization).toBe("token ghp-2")
    }).pipe(Effect.provide(Base))
  )

  it.effect("refuses a template without {token}", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(HttpAuth.header("X-Token", "t", { headerValue: "token" }))
      expect(error.message).toBe('HttpAuth.header: option "headerValue" must contain "{token}", where the token goes')
    })
  )
})
