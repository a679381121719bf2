/**
 * HTTP Digest authentication (RFC 7616, and the RFC 2617 / RFC 2069 forms)
 * for servers (401, `WWW-Authenticate`). A forward proxy's Digest challenge
 * (407) is answered by the transport: `NodeTransport`'s `proxy.scheme`.
 *
 * @since 0.1.0
 */
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { DigestError, type InvalidOptions } from "./AuthError.js"
import * as HttpAuth from "./HttpAuth.js"
import { parseChallenges, parseParams } from "./internal/challenge.js"
import * as SingleFlight from "./internal/singleFlight.js"
import {
  authorizationWith,
  chooseChallenge,
  type DigestChallenge,
  fastTarget,
  type Prepared,
  prepare
} from "./internal/digest.js"
import {
  hasLineBreak,
  invalid,
  resolveSecret,
  resolveText,
  type SecretInput,
  type TextInput
} from "./internal/options.js"
import { collectStream } from "./internal/client.js"
import { discard } from "./internal/http.js"
import { requestUrl } from "./internal/redirects.js"
import * as SecureRandom from "./SecureRandom.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Only `false` (the default): `true` is refused with `InvalidOptions`. A
   * proxy's Digest challenge is answered by the transport:
   * `NodeTransport.layer({ proxy: { url, username, password, scheme: "digest" } })`.
   */
  readonly proxy?: boolean | undefined
}

/** The last challenge of one origin (or of the proxy) and how many times its nonce was used. */
interface Reuse {
  readonly prepared: Prepared
  nc: number
}

const empty = new Uint8Array(0)

/** Bytes of the cnonce: 33 random bytes are 44 base64 characters, as RFC 7616 section 3.9.1's. */
const cnonceBytes = 33

const fail = (reason: string) => Effect.fail(new DigestError({ reason }))

/** The body as bytes, so that the request can be sent again (a Stream is read once, here). */
const replayable = (request: HttpClientRequest.HttpClientRequest) => {
  const body = request.body
  if (body._tag !== "Stream") return Effect.succeed(request)
  return collectStream(request, body).pipe(
    Effect.mapError((cause) => new DigestError({ reason: `the request body stream failed: ${String(cause)}` })),
    Effect.map(({ request }) => request)
  )
}

const bodyBytes = (body: HttpBody.HttpBody): Uint8Array | string | undefined => {
  switch (body._tag) {
    case "Empty":
      return new Uint8Array(0)
    case "Uint8Array":
      return body.body
    case "Raw":
      return typeof body.body === "string" || body.body instanceof Uint8Array ? body.body : undefined
    default:
      return undefined
  }
}

/**
 * Digest authentication. On a 401 whose `WWW-Authenticate` offers Digest, the
 * request is answered and sent again; the challenge is then reused for later
 * requests to the same origin (with a counted `nc` and a fresh `cnonce`), so
 * only the first request pays a round trip; requests made while it is under
 * way wait for its challenge rather than each taking a 401. A `stale=true`
 * challenge is answered once more with its new nonce; any other second 401
 * is returned to the caller. A proxy's Digest challenge is the transport's
 * to answer: `NodeTransport.layer({ proxy: { ..., scheme: "digest" } })`.
 *
 * Algorithms MD5, SHA-256 and SHA-512-256 and their `-sess` variants (the
 * strongest one offered wins), qop `auth`, `auth-int` and none, `userhash`,
 * and non-ASCII usernames through `username*` (RFC 7616 section 3.4.4).
 *
 * @example
 * ```ts
 * import { Digest, HttpAuth } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const AuthLive = HttpAuth.layer(Digest.make("mufasa", Config.redacted("PASSWORD")))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  username: TextInput,
  password: SecretInput,
  options?: Options
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, Scope.Scope> =>
  Effect.gen(function* () {
    const user = yield* resolveText(username, "Digest.make", "username")
    if (hasLineBreak(user)) {
      return yield* Effect.fail(invalid("Digest.make", "username", "must not contain CR, LF or NUL characters"))
    }
    const secret = yield* resolveSecret(password, "Digest.make", "password", { allowEmpty: true })
    const proxy = options?.proxy ?? false
    if (typeof proxy !== "boolean") {
      return yield* Effect.fail(invalid("Digest.make", "proxy", "must be true or false"))
    }
    // a forward proxy challenges the CONNECT of the tunnel, which only the transport sees; an answer in
    // the request would go through the tunnel to the origin
    if (proxy) {
      return yield* Effect.fail(
        invalid(
          "Digest.make",
          "proxy",
          'cannot be true: a forward proxy challenges the CONNECT of the transport\'s tunnel; use NodeTransport.layer({ proxy: { url, username, password, scheme: "digest" } })'
        )
      )
    }
    const reuse = new Map<string, Reuse>()

    /** A challenge to reuse, with what stays the same across its requests computed once. */
    const remember = (origin: string, challenge: DigestChallenge): Reuse => {
      const entry: Reuse = { prepared: prepare(challenge, user, Redacted.value(secret)), nc: 0 }
      reuse.set(origin, entry)
      return entry
    }

    /**
     * Sends the request with its credential header through `send`, or fails with a DigestError
     * (auth-int without the body's bytes): one step after the cnonce's draw, no map between.
     */
    const sendAuthorized = <E, R>(
      request: HttpClientRequest.HttpClientRequest,
      uri: string,
      entry: Reuse,
      send: HttpAuth.Send<E, R>
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | DigestError, R> => {
      let body: Uint8Array | string = empty
      if (entry.prepared.challenge.qop === "auth-int") {
        const bytes = bodyBytes(request.body)
        if (bytes === undefined) {
          return fail(`qop "auth-int" needs the request body's bytes, and a ${request.body._tag} body has none`)
        }
        body = bytes
      }
      const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
      // one draw as text: no array of its own (an ArrayBuffer per request cost more than the hashes, bench/)
      return Effect.flatMap(SecureRandom.text(cnonceBytes, "base64"), (cnonce) => {
        // Counted when taken: concurrent requests never share an nc (RFC 7616 section 3.4)
        entry.nc += 1
        const value = authorizationWith(entry.prepared, request.method, uri, entry.nc, cnonce, bytes)
        return send(HttpClientRequest.setHeader(request, "authorization", value))
      })
    }

    /** The Digest challenge of a 401, undefined when it offers none. */
    const challengeOf = (response: HttpClientResponse.HttpClientResponse) => {
      const header = response.headers["www-authenticate"]
      if (header === undefined) return Effect.succeed(undefined)
      const parsed = parseChallenges(header, "WWW-Authenticate header")
      if (Either.isLeft(parsed)) return fail(`could not read the challenge: ${parsed.left}`)
      const chosen = chooseChallenge(parsed.right)
      if (chosen === undefined) return Effect.succeed(undefined)
      return Either.isLeft(chosen) ? fail(chosen.left) : Effect.succeed(chosen.right)
    }

    /** RFC 7616 section 3.5: a `nextnonce` replaces the nonce for the next request. */
    const followNextNonce = (origin: string, response: HttpClientResponse.HttpClientResponse) => {
      const info = response.headers["authentication-info"]
      const entry = reuse.get(origin)
      if (info === undefined || entry === undefined) return
      const params = parseParams(info)
      if (Either.isRight(params) && params.right.nextnonce !== undefined) {
        remember(origin, { ...entry.prepared.challenge, nonce: params.right.nextnonce, stale: false })
      }
    }

    /**
     * The first request to an origin learns its challenge: requests made
     * meanwhile wait for it rather than each taking a 401 of its own.
     */
    const firsts = yield* SingleFlight.make<string>()

    const exchange = <E, R>(
      request: HttpClientRequest.HttpClientRequest,
      uri: string,
      origin: string,
      send: (
        request: HttpClientRequest.HttpClientRequest
      ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
      first?: HttpClientResponse.HttpClientResponse
    ) =>
      Effect.gen(function* () {
        const known = reuse.get(origin)
        let response = first ?? (yield* known === undefined ? send(request) : sendAuthorized(request, uri, known, send))
        // At most: the preemptive try, the answer to a fresh challenge, one retry for a stale nonce.
        let answered = false
        let staleRetried = false
        for (;;) {
          if (response.status !== 401) {
            if (reuse.has(origin)) followNextNonce(origin, response)
            return response
          }
          const challenge = yield* challengeOf(response)
          if (challenge === undefined) return response
          const retry = !answered || (challenge.stale && !staleRetried)
          if (!retry) return response
          if (answered) staleRetried = true
          answered = true
          const entry = remember(origin, challenge)
          yield* discard(response)
          response = yield* sendAuthorized(request, uri, entry, send)
        }
      })

    /**
     * The usual request once the origin's challenge is known: one flat chain
     * (no generator) that answers it, sends, and hands any 401 to `exchange`.
     */
    const reused = <E, R>(
      request: HttpClientRequest.HttpClientRequest,
      uri: string,
      origin: string,
      entry: Reuse,
      send: HttpAuth.Send<E, R>
    ) =>
      Effect.flatMap(
        sendAuthorized(request, uri, entry, send),
        (response): Effect.Effect<HttpClientResponse.HttpClientResponse, E | DigestError, R> => {
          if (response.status === 401) return exchange(request, uri, origin, send, response)
          followNextNonce(origin, response)
          return Effect.succeed(response)
        }
      )

    const exchangeOf = <E, R>(original: HttpClientRequest.HttpClientRequest, send: HttpAuth.Send<E, R>) => {
      // the origin and request-target without a URL parse when the request's URL is plain already
      const fast =
        original.urlParams.length === 0 && original.hash._tag === "None" ? fastTarget(original.url) : undefined
      let origin: string
      let uri: string
      if (fast !== undefined) {
        origin = fast.origin
        uri = fast.uri
      } else {
        const url = requestUrl(original)
        if (url === undefined) return send(original)
        origin = url.origin
        uri = `${url.pathname}${url.search}`
      }
      const known = reuse.get(origin)
      if (known !== undefined && original.body._tag !== "Stream") return reused(original, uri, origin, known, send)
      return Effect.flatMap(replayable(original), (request) => first(request, uri, origin, send))
    }

    const first = <E, R>(
      request: HttpClientRequest.HttpClientRequest,
      uri: string,
      origin: string,
      send: HttpAuth.Send<E, R>
    ) =>
      Effect.gen(function* () {
        if (reuse.has(origin)) return yield* exchange(request, uri, origin, send)
        // One request per origin goes first, unauthenticated; its 401 teaches the challenge
        // (kept in `reuse`) before the requests waiting on it go on.
        const context = yield* Effect.context<R>()
        const ticket = {}
        const first = yield* firsts
          .run(
            origin,
            Effect.map(
              Effect.exit(
                Effect.tap(Effect.provide(send(request), context), (response) =>
                  response.status === 401
                    ? Effect.map(challengeOf(response), (challenge) => {
                        if (challenge !== undefined && !reuse.has(origin)) remember(origin, challenge)
                      })
                    : Effect.void
                )
              ),
              (exit) => ({ ticket, exit })
            ),
            // the first request is its caller's: interrupted with it, the others then go on by themselves
            { owned: true }
          )
          .pipe(Effect.exit)
        if (first._tag === "Failure" || first.value.ticket !== ticket)
          return yield* exchange(request, uri, origin, send)
        return yield* exchange(request, uri, origin, send, yield* first.value.exit)
      })

    return HttpAuth.fromExchange(exchangeOf, { headers: ["authorization"], params: [] })
  })
