/**
 * The loop behind `HttpAuth.followRedirects`: each hop is rebuilt from the
 * request as it was before the auth, so what the auth added is never carried
 * to another origin by construction.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AuthError from "../AuthError.js"
import type { HttpAuth } from "../HttpAuth.js"
import { fromExecute, rebuild } from "./client.js"
import { discard } from "./http.js"

export const requestUrl = (request: HttpClientRequest.HttpClientRequest): URL | undefined =>
  Option.getOrUndefined(HttpClientRequest.toUrl(request))

/** Headers that carry credentials whoever set them (as Fetch strips them cross-origin). */
const sensitiveHeaders = ["authorization", "proxy-authorization", "cookie"]

const isRedirect = (status: number) =>
  status === 301 || status === 302 || status === 303 || status === 307 || status === 308

const withoutQuery = (url: URL) => `${url.origin}${url.pathname}`

// the responses this follower reached through a redirect: HttpAuth's watch knows them from a leaking follower's
const followed = new WeakSet<HttpClientResponse.HttpClientResponse>()

/** Whether `HttpAuth.followRedirects` (not a follower below the auth) reached this response. */
export const isSafelyFollowed = (response: HttpClientResponse.HttpClientResponse) => followed.has(response)

/** The `wrap` of an auth that follows at most `maxRedirects` redirects. */
export const safeRedirects =
  (auth: HttpAuth, maxRedirects: number): HttpAuth["wrap"] =>
  <E2, R2>(client: HttpClient.HttpClient.With<E2, R2>) => {
    const strip = [...new Set([...sensitiveHeaders, ...auth.credentials.headers])]
    const stripParams = new Set(auth.credentials.params)
    const authenticated = auth.wrap(client)
    const unauthenticated = (request: HttpClientRequest.HttpClientRequest) =>
      client.execute(
        rebuild(request, {
          headers: Headers.remove(request.headers, strip),
          urlParams: request.urlParams.filter(([name]) => !stripParams.has(name))
        })
      )
    const follow = (
      request: HttpClientRequest.HttpClientRequest,
      origin: string | undefined,
      trusted: boolean,
      hops: number
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, E2 | AuthError.AuthError, R2> =>
      Effect.flatMap(
        manualRedirects(trusted ? authenticated.execute(request) : unauthenticated(request)),
        (response) => {
          const location = response.headers.location
          const base = requestUrl(request)
          if (!isRedirect(response.status) || location === undefined || base === undefined) {
            if (hops > 0) followed.add(response)
            return Effect.succeed(response)
          }
          let next: URL
          try {
            next = new URL(location, base)
          } catch {
            return Effect.succeed(response)
          }
          if (hops >= maxRedirects) {
            return Effect.zipRight(
              discard(response),
              Effect.fail(new AuthError.TooManyRedirects({ maxRedirects, location: withoutQuery(next) }))
            )
          }
          const dropBody =
            (response.status === 303 && request.method !== "HEAD") ||
            ((response.status === 301 || response.status === 302) && request.method === "POST")
          if (!dropBody && request.body._tag === "Stream") return Effect.succeed(response)
          // A server that keeps the query in its Location (A -> B?api_key=...) would hand the key on:
          // the auth's parameters leave the target too (a trusted hop gets them again from the auth).
          if ([...next.searchParams.keys()].some((name) => stripParams.has(name))) {
            for (const name of stripParams) next.searchParams.delete(name)
          }
          const firstOrigin = origin ?? base.origin
          const redirected = rebuild(request, {
            url: next.toString(),
            urlParams: [],
            ...(dropBody
              ? {
                  method: "GET" as const,
                  body: HttpBody.empty,
                  headers: Headers.remove(request.headers, ["content-type", "content-length"])
                }
              : { headers: request.headers })
          })
          return Effect.zipRight(
            discard(response),
            follow(redirected, firstOrigin, trusted && next.origin === firstOrigin, hops + 1)
          )
        }
      )
    return fromExecute((request) => follow(request, undefined, true, 0))
  }

/** Fetch follows redirects itself unless told not to; other clients never do. */
const manualRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(effect, FetchHttpClient.RequestInit, {
      ...Option.getOrElse(init, () => ({})),
      redirect: "manual"
    })
  )
