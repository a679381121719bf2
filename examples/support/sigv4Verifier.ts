/**
 * An independent SigV4 check: recomputes a received request's signature with
 * @smithy/signature-v4 (the AWS SDK's signer, node:crypto hashes) from what
 * a server saw on the wire, and compares.
 */
import { createHash, createHmac } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { SignatureV4 } from "@smithy/signature-v4"
import { Effect } from "effect"
import type { Handler, Seen } from "./loopback.js"

const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === "string"
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data)

/** A node:crypto hash in the shape @smithy wants (its default is a JS SHA-256). */
export class NodeSha256 {
  private readonly hash
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret))
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(bytes(data))
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.hash.digest()))
  }
}

export interface VerifierCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/

/** Decoded query parameters as @smithy takes them (a repeated name holds an array). */
export const queryRecord = (search: string) => {
  const query: Record<string, string | Array<string>> = {}
  for (const part of search.split("&")) {
    if (part === "") continue
    const at = part.indexOf("=")
    const name = decodeURIComponent(at === -1 ? part : part.slice(0, at))
    const value = decodeURIComponent(at === -1 ? "" : part.slice(at + 1))
    const previous = query[name]
    query[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return query
}

/** `20150830T123600Z` as a Date. */
export const dateOfAmz = (amzDate: string): Date =>
  new Date(
    Date.UTC(
      +amzDate.slice(0, 4),
      +amzDate.slice(4, 6) - 1,
      +amzDate.slice(6, 8),
      +amzDate.slice(9, 11),
      +amzDate.slice(11, 13),
      +amzDate.slice(13, 15)
    )
  )

/** @smithy's signer for a scope, with node:crypto hashes; S3 paths are not escaped again. */
export const smithySigner = (credentials: VerifierCredentials, region: string, service: string) =>
  new SignatureV4({
    credentials,
    region,
    service,
    sha256: NodeSha256,
    uriEscapePath: service !== "s3",
    applyChecksum: false
  })

/** A server handler from a check: 200 `verified`, else 403 with the reason. */
const handlerOf =
  (check: (seen: Seen, credentials: VerifierCredentials) => Promise<string | undefined>) =>
  (credentials: VerifierCredentials): Handler =>
  (seen) =>
    Effect.flatMap(
      Effect.promise(() => check(seen, credentials)),
      (problem) =>
        problem === undefined ? HttpServerResponse.text("verified") : HttpServerResponse.text(problem, { status: 403 })
    )

/** Why a request fails verification, or `undefined` when its signature is right. */
export const verify = async (seen: Seen, credentials: VerifierCredentials): Promise<string | undefined> => {
  const match = AUTHORIZATION.exec(seen.headers.authorization ?? "")
  if (match === null) return `no SigV4 Authorization header: ${seen.headers.authorization}`
  const [, accessKeyId, , region, service, signedHeaders, signature] = match
  if (accessKeyId !== credentials.accessKeyId) return `unknown access key ${accessKeyId}`
  const date = seen.headers["x-amz-date"]
  if (date === undefined) return "no x-amz-date"
  const payloadHash = seen.headers["x-amz-content-sha256"]
  // UNSIGNED-PAYLOAD and the STREAMING-* modes (aws-chunked) carry no hash of the body.
  if (payloadHash !== undefined && payloadHash !== "UNSIGNED-PAYLOAD" && !payloadHash.startsWith("STREAMING-")) {
    const actual = createHash("sha256").update(seen.body).digest("hex")
    if (actual !== payloadHash) return `x-amz-content-sha256 ${payloadHash} is not the body's hash ${actual}`
  }
  const headers: Record<string, string> = {}
  for (const name of signedHeaders!.split(";")) {
    const value = seen.headers[name]
    if (value === undefined) return `signed header ${name} was not received`
    headers[name] = value
  }
  const at = seen.url.indexOf("?")
  const signed = await smithySigner(credentials, region!, service!).sign(
    {
      method: seen.method,
      protocol: "http:",
      hostname: "127.0.0.1",
      path: at === -1 ? seen.url : seen.url.slice(0, at),
      query: at === -1 ? {} : queryRecord(seen.url.slice(at + 1)),
      headers,
      body: payloadHash === undefined ? seen.body : undefined
    } as never,
    { signingDate: dateOfAmz(date) }
  )
  const expected = /Signature=([0-9a-f]{64})/.exec(
    String((signed as unknown as { headers: Record<string, string> }).headers.authorization)
  )?.[1]
  return expected === signature ? undefined : `signature ${signature} is not @smithy's ${expected}`
}

/** A server handler that answers 200 `verified` to a rightly signed request, else 403 with the reason. */
export const verifying = handlerOf(verify)

/** Checks a presigned request (X-Amz-* in the query, S3's UNSIGNED-PAYLOAD) by presigning it again with @smithy. */
export const verifyPresigned = async (seen: Seen, credentials: VerifierCredentials): Promise<string | undefined> => {
  const at = seen.url.indexOf("?")
  const query = at === -1 ? {} : queryRecord(seen.url.slice(at + 1))
  const get = (name: string) => {
    const value = query[name]
    return typeof value === "string" ? value : undefined
  }
  const credential = /^([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/.exec(get("X-Amz-Credential") ?? "")
  const date = get("X-Amz-Date")
  const signature = get("X-Amz-Signature")
  if (credential === null || date === undefined || signature === undefined) return "not a presigned URL"
  const own: Record<string, string | Array<string>> = {}
  for (const [name, value] of Object.entries(query)) if (!name.startsWith("X-Amz-")) own[name] = value
  const signedHeaders = (get("X-Amz-SignedHeaders") ?? "host").split(";")
  const headers: Record<string, string> = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }
  for (const name of signedHeaders) headers[name] = seen.headers[name] ?? ""
  const presigned = await smithySigner(credentials, credential[2]!, credential[3]!).presign(
    {
      method: seen.method,
      protocol: "http:",
      hostname: "127.0.0.1",
      path: at === -1 ? seen.url : seen.url.slice(0, at),
      query: own,
      headers
    } as never,
    {
      signingDate: dateOfAmz(date),
      expiresIn: Number(get("X-Amz-Expires")),
      unhoistableHeaders: new Set(["x-amz-content-sha256"]),
      unsignableHeaders: new Set(["x-amz-content-sha256"])
    }
  )
  const expected = (presigned as { query: Record<string, string> }).query["X-Amz-Signature"]
  return expected === signature ? undefined : `signature ${signature} is not @smithy's ${expected}`
}

/** A server handler for presigned requests: 200 `verified`, else 403 with the reason. */
export const presignVerifier = handlerOf(verifyPresigned)

/**
 * An S3 stand-in on a loopback server: PUT stores an object when its header
 * signature verifies, GET returns it to a verified presigned URL (or a
 * verified signed request), anything else is a 403 with the reason.
 */
export const s3StandIn = (credentials: VerifierCredentials, now: () => number = Date.now): Handler => {
  const objects = new Map<string, string>()
  return (seen) =>
    Effect.gen(function* () {
      const path = seen.url.split("?")[0]!
      const presigned = seen.url.includes("X-Amz-Signature=")
      const problem = yield* Effect.promise(() =>
        presigned ? verifyPresigned(seen, credentials) : verify(seen, credentials)
      )
      if (problem !== undefined) return HttpServerResponse.text(problem, { status: 403 })
      if (presigned) {
        const query = new URL(`http://s3${seen.url}`).searchParams
        const issued = dateOfAmz(query.get("X-Amz-Date")!).getTime()
        if (now() > issued + Number(query.get("X-Amz-Expires")) * 1000) {
          return HttpServerResponse.text("Request has expired", { status: 403 })
        }
      }
      if (seen.method === "PUT") {
        objects.set(path, seen.body)
        return HttpServerResponse.empty({ status: 200 })
      }
      const object = objects.get(path)
      return object === undefined
        ? HttpServerResponse.text("NoSuchKey", { status: 404 })
        : HttpServerResponse.text(object)
    })
}
