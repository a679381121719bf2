/**
 * The layer's fast paths against their plain references (fast-check): a
 * static header template filled once when the auth is built gives the same
 * header as the per-request fill, and the one wrapper of `HttpAuth.layer`
 * still turns an auth's failure into a RequestError (reason "Encode") with
 * the AuthError as its cause and no credential in the request it carries;
 * `withHeaders` (SigV4's one copy of the headers) builds the request that
 * `HttpClientRequest.setHeaders` builds.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import fc from "fast-check"
import { type AuthError, Bearer, HttpAuth } from "../src/index.js"
import { withHeaders } from "../src/internal/client.js"

/** A client that answers each request with its headers as JSON, and records nothing else. */
const echo = HttpClient.make((request) =>
  Effect.succeed(HttpClientResponse.fromWeb(request, new Response(JSON.stringify(request.headers))))
)

const headersSent = (auth: HttpAuth.Input<AuthError.InvalidOptions>) =>
  HttpAuth.layer(auth).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, echo)), (layer) =>
    Effect.flatMap(HttpClient.get("http://api.test/x"), (response) => response.json).pipe(Effect.provide(layer))
  )

describe("hot paths", () => {
  it("withHeaders equals HttpClientRequest.setHeaders, field for field", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/)
    const headers = fc.dictionary(name, fc.stringMatching(/^[ -~]{0,20}$/), { maxKeys: 5 })
    const request = fc
      .record({
        method: fc.constantFrom("GET", "POST", "PUT", "DELETE") as fc.Arbitrary<"GET" | "POST" | "PUT" | "DELETE">,
        path: fc.stringMatching(/^[a-z0-9/]{0,12}$/),
        params: fc.array(fc.tuple(name, fc.string({ maxLength: 8 })), { maxLength: 3 }),
        hash: fc.option(fc.stringMatching(/^[a-z]{1,6}$/), { nil: undefined }),
        headers,
        body: fc.option(fc.string({ maxLength: 20 }), { nil: undefined })
      })
      .map(({ method, path, params, hash, headers, body }) => {
        let built = HttpClientRequest.make(method)(`https://api.test/${path}`, { headers, urlParams: params })
        if (hash !== undefined) built = HttpClientRequest.setHash(built, hash)
        return body === undefined ? built : HttpClientRequest.bodyText(built, body)
      })
    fc.assert(
      fc.property(request, headers, (request, added) => {
        const fast = withHeaders(request, added)
        const plain = HttpClientRequest.setHeaders(request, added)
        // same prototype, same own fields (a field platform adds to requests fails here), same values
        expect(Object.getPrototypeOf(fast)).toBe(Object.getPrototypeOf(plain))
        expect(Object.keys(fast).sort()).toEqual(Object.keys(plain).sort())
        expect(Object.getPrototypeOf(fast.headers)).toBe(Object.getPrototypeOf(plain.headers))
        expect({ ...fast.headers }).toEqual({ ...plain.headers })
        expect(fast.toJSON()).toEqual(plain.toJSON())
        expect(request.headers).toEqual(HttpClientRequest.setHeaders(request, {}).headers)
      }),
      { numRuns: 300 }
    )
  })

  it("a static template filled once equals the per-request fill", async () => {
    const token = fc.stringMatching(/^[A-Za-z0-9._~+/=-]{1,30}$/)
    const template = fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9 ]{0,8}$/), fc.stringMatching(/^[A-Za-z0-9 ]{0,8}$/), fc.boolean())
      .map(([before, after, twice]) => `${before}{token}${after}${twice ? "{token}" : ""}`)
      .filter((value) => value.trim() === value && value !== "{token}")
    await fc.assert(
      fc.asyncProperty(token, template, async (token, headerValue) => {
        const once = await Effect.runPromise(headersSent(HttpAuth.header("x-key", token, { headerValue })))
        const each = await Effect.runPromise(
          headersSent(HttpAuth.header("x-key", Effect.succeed(token), { headerValue }))
        )
        // the tracing headers (b3, traceparent) differ per request; the credential must not
        const key = (headers: unknown) => (headers as Record<string, string>)["x-key"]
        expect(key(once)).toBe(key(each))
        expect(key(once)).toBe(headerValue.replaceAll("{token}", token))
      }),
      { numRuns: 100 }
    )
  })

  it("the layer's one wrapper maps an auth's failure to a RequestError without the credential", async () => {
    const failing = Bearer.make(Effect.fail("no token"))
    const result = await Effect.runPromise(
      HttpClient.get("http://api.test/x").pipe(
        Effect.either,
        Effect.provide(HttpAuth.layer(failing).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, echo))))
      )
    )
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.getLeft(result).pipe((option) => (option._tag === "Some" ? option.value : undefined))
    expect(error?._tag).toBe("RequestError")
    expect(error?.reason).toBe("Encode")
    expect((error?.cause as AuthError.AuthError | undefined)?._tag).toBe("AuthenticationFailed")
    expect(error?.request.headers.authorization).toBeUndefined()
  })
})
