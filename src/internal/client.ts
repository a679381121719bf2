/**
 * Building blocks for clients that see the request and the response.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import type * as UrlParams from "@effect/platform/UrlParams"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { SigningError } from "../AuthError.js"

/**
 * A client made from one function of the request as it stands when the
 * client is called: its preprocess is the identity, so the function can call
 * other clients' `execute` without running any preprocess twice.
 * Its `execute` is `execute` itself: the same result as the two stages
 * (`Effect.succeed` then `flatMap`), without their two steps per request.
 */
export const fromExecute = <E, R>(
  execute: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
): HttpClient.HttpClient.With<E, R> => {
  const client = HttpClient.makeWith<E, R, E, R>(
    (request) => Effect.flatMap(request, execute),
    Effect.succeed as HttpClient.HttpClient.Preprocess<E, R>
  )
  ;(client as { execute: typeof execute }).execute = execute
  return client
}

/**
 * Wraps `client` with a handler that gets the preprocessed request and a
 * `send` that runs only the client's postprocess: a challenge-response scheme
 * sends again through `send`, never through `client.execute` (which would
 * run preprocess, such as a `prependUrl`, a second time).
 */
export const withSend = <E, R, E2, R2>(
  client: HttpClient.HttpClient.With<E, R>,
  handler: (
    request: HttpClientRequest.HttpClientRequest,
    send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E2, R2>
): HttpClient.HttpClient.With<E | E2, R | R2> => {
  const { postprocess, preprocess } = stages(client)
  const send = (request: HttpClientRequest.HttpClientRequest) => postprocess(Effect.succeed(request))
  return HttpClient.makeWith<E, R, E | E2, R | R2>(
    (request) => Effect.flatMap(request, (request) => handler(request, send)),
    preprocess
  )
}

/**
 * Every client made by `HttpClient.makeWith` carries its two stages as
 * fields (`HttpClient.transform` reads them), though the public type does
 * not show them. Unavoidable: `send` must run the postprocess alone, and
 * platform has no public way to (`transform` hands over only the
 * postprocess of the request as it came). This file is the one place that
 * reaches into platform's and effect's shapes; test/HttpAuth.test.ts fails
 * when they change, and proves a resend does not run preprocess twice.
 */
const stages = <E, R>(client: HttpClient.HttpClient.With<E, R>) =>
  client as unknown as {
    readonly preprocess: HttpClient.HttpClient.Preprocess<E, R>
    readonly postprocess: HttpClient.HttpClient.Postprocess<E, R>
  }

/**
 * The request with exactly these headers (and optionally another method and
 * body): `HttpClientRequest.setHeaders` merges, so removing a header takes a
 * new request.
 */
export const rebuild = (
  request: HttpClientRequest.HttpClientRequest,
  changes: {
    readonly headers: Headers.Headers
    readonly method?: HttpMethod.HttpMethod
    readonly body?: HttpBody.HttpBody
    readonly url?: string
    readonly urlParams?: UrlParams.UrlParams
  }
): HttpClientRequest.HttpClientRequest => {
  const fresh = HttpClientRequest.make(changes.method ?? request.method)(changes.url ?? request.url, {
    urlParams: changes.urlParams ?? request.urlParams,
    headers: changes.headers,
    body: changes.body ?? request.body
  } as HttpClientRequest.Options.NoUrl)
  return changes.url === undefined && request.hash._tag === "Some"
    ? HttpClientRequest.setHash(fresh, request.hash.value)
    : fresh
}

/**
 * The request with `added` (lower-case names) set on its headers: one copy
 * of the headers where `HttpClientRequest.setHeaders` makes three (a spread,
 * `fromInput`, `make`), which was about a fifth of a SigV4 signature with
 * its garbage (bench/sigv4.bench.ts). The request is made as platform's own
 * constructor makes it: its prototype and its six fields. The property test
 * in test/HotPaths.test.ts compares it with `setHeaders` and fails if
 * platform's requests gain a field.
 */
export const withHeaders = (
  request: HttpClientRequest.HttpClientRequest,
  added: Readonly<Record<string, string>>
): HttpClientRequest.HttpClientRequest => {
  const out = Object.create(Object.getPrototypeOf(request))
  out.method = request.method
  out.url = request.url
  out.urlParams = request.urlParams
  out.hash = request.hash
  // merge is Object.assign onto one copy: a plain record of lower-case names is a valid input
  out.headers = Headers.merge(request.headers, added as Headers.Headers)
  out.body = request.body
  return out
}

/**
 * Runs `effect` with the services it was built with. Providing a context
 * costs about 5 us per request (bench/), so it is skipped when the request's
 * fiber already holds each of those services, the usual case under
 * `HttpAuth.layer`. It reads `Context.unsafeMap` (typed, but not meant for
 * users): there is no public way to ask whether a context holds the same
 * services without their tags. test/HttpAuth.test.ts fails if it goes.
 */
export const withBuildContext = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  context: Context.Context<R>
): Effect.Effect<A, E> =>
  Effect.flatMap(Effect.context<never>(), (current) => {
    for (const [key, service] of context.unsafeMap) {
      if (current.unsafeMap.get(key) !== service) return Effect.provide(effect, context)
    }
    return effect as Effect.Effect<A, E>
  })

/**
 * A request whose body is a Stream, read once: the request with those
 * bytes as its body (so that it can be signed, or sent again), and the
 * bytes. The one reader of request streams for Digest's resend and the
 * signers (SigV4, OAuth 1.0a); each words the stream's failure itself.
 */
export const collectStream = (
  request: HttpClientRequest.HttpClientRequest,
  body: HttpBody.Stream
): Effect.Effect<{ readonly request: HttpClientRequest.HttpClientRequest; readonly bytes: Uint8Array }, unknown> =>
  Effect.map(Stream.runCollect(body.stream), (chunks) => {
    const bytes = Buffer.concat(Chunk.toReadonlyArray(chunks))
    return { request: HttpClientRequest.setBody(request, HttpBody.uint8Array(bytes, body.contentType)), bytes }
  })

/** A signer's failure for a request whose URL cannot be read. */
export const unreadableUrl = (scheme: string) =>
  new SigningError({
    scheme,
    reason: "the request's URL cannot be read: give an absolute URL (or a client with a base URL)"
  })

/** The request's URL as it goes on the wire, for a signer (SigV4, OAuth 1.0a). */
export const wireUrl = (request: HttpClientRequest.HttpClientRequest, scheme: string) =>
  Option.match(HttpClientRequest.toUrl(request), {
    onNone: () => Effect.fail(unreadableUrl(scheme)),
    onSome: Effect.succeed
  })
