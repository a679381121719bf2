/**
 * One request to a server of the flow (token, discovery, revocation,
 * introspection, userinfo endpoints): its answer read within a size bound
 * and a time bound, the client's errors turned into the caller's.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * The body as text, or `undefined` when it is larger than `limit` bytes:
 * reading stops there (a hostile endpoint may send gigabytes).
 */
export const readLimited = (response: HttpClientResponse.HttpClientResponse, limit: number) => {
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > limit) return Effect.succeed(undefined)
  return Stream.runFoldWhile(
    response.stream,
    { chunks: [] as Array<Uint8Array>, size: 0 },
    (read) => read.size <= limit,
    (read, chunk) => {
      read.chunks.push(chunk)
      read.size += chunk.length
      return read
    }
  ).pipe(Effect.map((read) => (read.size > limit ? undefined : Buffer.concat(read.chunks, read.size).toString("utf8"))))
}

/**
 * Reads and drops at most 64 chunks of a body that is not wanted (a
 * redirect's, a refused request's), so that its connection can be reused.
 */
export const discard = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.ignore(Stream.runDrain(Stream.take(response.stream, 64)))

/** A failure of the client: it holds the request, whose headers and body may carry credentials. */
export type ClientFailure = HttpClientError.RequestError | HttpClientError.ResponseError

/** The transport's error code (`ECONNREFUSED`, undici's `UND_ERR_…`), when it has one. */
export const transportCode = (error: ClientFailure): unknown => {
  const inner = error.cause instanceof Error ? error.cause : undefined
  return (inner as { code?: unknown } | undefined)?.code ?? (inner?.cause as { code?: unknown } | undefined)?.code
}

/**
 * What an error may keep of the client's failure: its kind and the
 * transport's message (such as `connect ECONNREFUSED 127.0.0.1:1`), never
 * the request, whose headers and body carry the client's credentials.
 */
export const transportCause = (error: ClientFailure): Error => {
  const inner = error.cause instanceof Error ? error.cause : undefined
  const code = transportCode(error)
  const transport = new Error(
    `${error._tag} (${error.reason})${inner === undefined ? "" : `: ${inner.name}: ${inner.message}`}${typeof code === "string" ? ` [${code}]` : ""}`
  )
  transport.name = "TransportError"
  return transport
}

/** A server's answer: the response, and its body (`undefined` when larger than the bound: not read). */
export interface Answer {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly text: string | undefined
}

/** How `send` bounds a request and words its failures. */
export interface SendOptions<E> {
  readonly timeout: Duration.Duration
  /** The most bytes of the body read. */
  readonly maxBytes: number
  /**
   * The words each failure's reason starts with: `timeout` + " within 30s",
   * `unreachable` + " (Transport)", `unreadable` + " (Decode)" (the client
   * error's reason in parentheses).
   */
  readonly words: { readonly timeout: string; readonly unreachable: string; readonly unreadable: string }
  /**
   * The caller's error for a reason. `failure` is the client's error, not
   * to be kept as is (it holds the request): `transportCause` of it at most.
   */
  readonly error: (reason: string, failure?: ClientFailure) => E
}

/**
 * Sends `request`, reads at most `maxBytes` of the answer, all within
 * `timeout`; a timeout or a client error fails with the caller's `error`.
 */
export const send = <E>(
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  { error, maxBytes, timeout, words }: SendOptions<E>
): Effect.Effect<Answer, E> =>
  client.execute(request).pipe(
    Effect.flatMap((response) => Effect.map(readLimited(response, maxBytes), (text) => ({ response, text }))),
    Effect.mapError((failure: ClientFailure) =>
      error(`${failure._tag === "RequestError" ? words.unreachable : words.unreadable} (${failure.reason})`, failure)
    ),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => error(`${words.timeout} within ${Duration.format(timeout)}`)
    })
  )
