/**
 * Reading a server's answer within a size bound.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
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
