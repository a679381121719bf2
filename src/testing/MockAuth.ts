/**
 * A stand-in for any auth layer in a user's tests: it marks and records every
 * request it authenticates, so a test asserts "this call was authenticated
 * with scheme X" without a token server, a browser or a secret.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as HttpAuth from "../HttpAuth.js"

/**
 * One request the mock authenticated.
 *
 * @since 0.1.0
 * @category models
 */
export interface Authenticated {
  /** The scheme name given to the mock. */
  readonly scheme: string
  readonly method: string
  /** The full URL, query included. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
}

/**
 * The record of what the mock authenticated.
 *
 * @since 0.1.0
 * @category tags
 */
export class MockAuthRecorder extends Context.Tag("effect-http-auth/testing/MockAuthRecorder")<
  MockAuthRecorder,
  { readonly requests: Ref.Ref<ReadonlyArray<Authenticated>> }
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The header the mock sets. Default `"Authorization"`. */
  readonly headerName?: string | undefined
  /** Its value. Default `"Mock <scheme>"`. */
  readonly headerValue?: string | undefined
}

/**
 * A scheme that sets a marker header and records each request in the
 * `MockAuthRecorder`.
 *
 * @example
 * ```ts
 * import { MockAuth } from "effect-http-auth/testing"
 * import { HttpAuth } from "effect-http-auth"
 *
 * const client = HttpAuth.client(MockAuth.make("oauth2"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (scheme: string, options?: Options): Effect.Effect<HttpAuth.HttpAuth, never, MockAuthRecorder> =>
  Effect.map(MockAuthRecorder, (recorder) => {
    const name = (options?.headerName ?? "Authorization").toLowerCase()
    const value = options?.headerValue ?? `Mock ${scheme}`
    return HttpAuth.fromRequest(
      (request) => {
        const authenticated = HttpClientRequest.setHeader(request, name, value)
        const url = Option.match(HttpClientRequest.toUrl(authenticated), {
          onNone: () => authenticated.url,
          onSome: (url) => url.toString()
        })
        return Effect.as(
          Ref.update(recorder.requests, (all) => [
            ...all,
            { scheme, method: authenticated.method, url, headers: { ...authenticated.headers } }
          ]),
          authenticated
        )
      },
      { headers: [name], params: [] }
    )
  })

/**
 * An empty recorder.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRecorder: Layer.Layer<MockAuthRecorder> = Layer.effect(
  MockAuthRecorder,
  Effect.map(Ref.make<ReadonlyArray<Authenticated>>([]), (requests) => ({ requests }))
)

/**
 * Stands in for an auth layer (`HttpAuth.layer(...)`): decorates the
 * `HttpClient` in context with the mock, and provides the recorder.
 *
 * @example
 * ```ts
 * import { MockAuth } from "effect-http-auth/testing"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const test = Effect.gen(function* () {
 *   yield* HttpClient.get("https://api.example.com/me")
 *   const [request] = yield* MockAuth.requests
 *   // request.scheme === "oauth2"
 * }).pipe(Effect.provide(MockAuth.layer("oauth2")))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  scheme: string,
  options?: Options
): Layer.Layer<HttpClient.HttpClient | MockAuthRecorder, never, HttpClient.HttpClient> =>
  Layer.provideMerge(HttpAuth.layer(make(scheme, options)), layerRecorder)

/**
 * Every request the mock authenticated so far, in order.
 *
 * @since 0.1.0
 * @category accessors
 */
export const requests: Effect.Effect<ReadonlyArray<Authenticated>, never, MockAuthRecorder> = Effect.flatMap(
  MockAuthRecorder,
  (recorder) => Ref.get(recorder.requests)
)
