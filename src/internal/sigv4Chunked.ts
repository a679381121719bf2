/**
 * S3's chunked upload (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, content
 * encoding `aws-chunked`): the headers are signed with that constant as the
 * payload hash (the seed signature), then each chunk of the body goes out as
 * `hex-size;chunk-signature=<sig>\r\n<bytes>\r\n`, where each signature
 * chains on the previous one, and a last empty chunk ends it. The body is
 * signed as it streams: only one chunk is held at a time.
 *
 * Reference: Amazon S3 API, "Signature Calculations for the Authorization
 * Header: Transferring Payload in Multiple Chunks".
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { SigningError } from "../AuthError.js"
import { EMPTY_SHA256, hmacHex, type SigningKey, sha256Hex } from "./sigv4.js"

export const STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

const SIGNATURE_PART = ";chunk-signature=".length + 64

/** Bytes on the wire for one frame of `size` bytes. */
const frameLength = (size: number) => size.toString(16).length + SIGNATURE_PART + 2 + size + 2

/** The encoded length of `decoded` bytes sent in `chunkSize` chunks, the closing empty chunk included. */
export const encodedLength = (decoded: number, chunkSize: number): number => {
  const full = Math.floor(decoded / chunkSize)
  const rest = decoded % chunkSize
  return full * frameLength(chunkSize) + (rest > 0 ? frameLength(rest) : 0) + frameLength(0)
}

export interface ChunkSigning {
  readonly key: SigningKey
  readonly amzDate: string
  readonly scope: string
  readonly seedSignature: string
}

/** The signature of one chunk, chained on the previous signature. */
export const chunkSignature = (signing: ChunkSigning, previous: string, chunk: Uint8Array): string =>
  hmacHex(
    signing.key,
    `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${previous}\n${EMPTY_SHA256}\n${sha256Hex(chunk)}`
  )

const encoder = new TextEncoder()

/**
 * The aws-chunked body of `body`, cut into `chunkSize` chunks whatever the
 * sizes of the pieces it arrives in. Fails when the body's length is not
 * `decoded`, which the headers announced and signed.
 */
export const chunkedBody = <E>(
  body: Stream.Stream<Uint8Array, E>,
  signing: ChunkSigning,
  chunkSize: number,
  decoded: number,
  scheme: string
): Stream.Stream<Uint8Array, E | SigningError> =>
  Stream.suspend(() => {
    let previous = signing.seedSignature
    let pending: Array<Uint8Array> = []
    let pendingLength = 0
    let total = 0
    const frame = (chunk: Uint8Array): Array<Uint8Array> => {
      previous = chunkSignature(signing, previous, chunk)
      const head = encoder.encode(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`)
      return chunk.length === 0 ? [head, encoder.encode("\r\n")] : [head, chunk, encoder.encode("\r\n")]
    }
    const take = (size: number): Uint8Array => {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
      const chunk = all.subarray(0, size)
      const rest = all.subarray(size)
      pending = rest.length > 0 ? [rest] : []
      pendingLength = rest.length
      return chunk
    }
    const frames = Stream.mapConcat(body, (bytes) => {
      total += bytes.length
      pending.push(bytes)
      pendingLength += bytes.length
      const out: Array<Uint8Array> = []
      while (pendingLength >= chunkSize) out.push(...frame(take(chunkSize)))
      return out
    })
    const end = Stream.suspend(() => {
      if (total !== decoded) {
        return Stream.fail(
          new SigningError({
            scheme,
            reason: `the body had ${total} bytes, not the ${decoded} of decodedContentLength that were signed`
          })
        )
      }
      const out: Array<Uint8Array> = []
      if (pendingLength > 0) out.push(...frame(take(pendingLength)))
      out.push(...frame(new Uint8Array(0)))
      return Stream.fromChunk(Chunk.unsafeFromArray(out))
    })
    return Stream.concat(frames, end)
  })

/** A Uint8Array or Stream body as a Stream; other bodies cannot be streamed in chunks. */
export const bodyStream = (
  body: { readonly _tag: string; readonly body?: unknown; readonly stream?: unknown },
  scheme: string
): Effect.Effect<Stream.Stream<Uint8Array, unknown>, SigningError> => {
  if (body._tag === "Stream") return Effect.succeed(body.stream as Stream.Stream<Uint8Array, unknown>)
  if (body._tag === "Uint8Array") return Effect.succeed(Stream.succeed(body.body as Uint8Array))
  if (body._tag === "Empty") return Effect.succeed(Stream.empty)
  return Effect.fail(
    new SigningError({
      scheme,
      reason: `a ${body._tag} body cannot be sent in signed chunks: give a Stream or Uint8Array body`
    })
  )
}
