/**
 * AWS Signature Version 4: header signing of every request, and presigned
 * URLs. Credentials come from the options or from the `AwsCredentials`
 * service; time comes from `Clock`.
 *
 * @since 0.1.0
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type InvalidOptions, SigningError } from "./AuthError.js"
import * as AwsCredentials from "./AwsCredentials.js"
import { resolve as resolveCredentials } from "./internal/awsCredentials.js"
import { unreadableUrl, wireUrl, withHeaders } from "./internal/client.js"
import * as HttpAuth from "./HttpAuth.js"
import { invalid, validateHeaderName } from "./internal/options.js"
import { ALGORITHM, amzDate, sign as signParts, signingKey, UNSIGNED_PAYLOAD, uriEncode } from "./internal/sigv4.js"
import { parseQuery, type QueryParam } from "./internal/percentEncoding.js"
import { bodyStream, chunkedBody, encodedLength, STREAMING_PAYLOAD } from "./internal/sigv4Chunked.js"
import {
  collectBody,
  fieldsToSign,
  type HeaderSelection,
  hoisted,
  type Payload,
  payloadNow,
  payloadOf,
  queryOf,
  wirePath,
  withPathAndQuery
} from "./internal/sigv4Request.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The region, such as `"us-east-1"`. */
  readonly region: string
  /** The service's signing name, such as `"s3"`, `"execute-api"`, `"sts"`. */
  readonly service: string
  /** The credentials; when omitted, the `AwsCredentials` service gives them for each request. */
  readonly credentials?: AwsCredentials.Input | undefined
  /**
   * Headers to sign besides `host`, `content-type` and every `x-amz-*` (case-insensitive);
   * `"*"` signs every header the request has, but for hop-by-hop and trace headers. Default none.
   */
  readonly includeHeaders?: ReadonlyArray<string> | "*" | undefined
  /** Sign `UNSIGNED-PAYLOAD` instead of the body's SHA-256 (for a FormData body, or to skip hashing). Default `false`. */
  readonly unsignedPayload?: boolean | undefined
  /** Remove dot segments and merge slashes in the signed path. Default `true`; S3 paths are never normalised. */
  readonly normalizePath?: boolean | undefined
  /** Send the payload hash in `x-amz-content-sha256` (S3 requires it; most services ignore it). Default `true`. */
  readonly contentSha256Header?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PresignOptions {
  /** The region, such as `"us-east-1"`. */
  readonly region: string
  /** The service's signing name, such as `"s3"`. */
  readonly service: string
  /** The credentials; when omitted, the `AwsCredentials` service gives them. */
  readonly credentials?: AwsCredentials.Input | undefined
  /** How long the URL works, in seconds: 1 to 604800 (7 days). */
  readonly expires: number
  /** Headers to sign besides `host`, which whoever uses the URL must then send; `"*"` for all. Default none. */
  readonly includeHeaders?: ReadonlyArray<string> | "*" | undefined
  /** Sign `UNSIGNED-PAYLOAD` (S3's rule for presigned URLs) instead of the body's hash. Default `true`. */
  readonly unsignedPayload?: boolean | undefined
  /** Remove dot segments and merge slashes in the signed path. Default `true`; S3 paths are never normalised. */
  readonly normalizePath?: boolean | undefined
}

/** The services a set of options needs: `AwsCredentials` when it gives no credentials. */
type CredentialsService<O> = O extends { readonly credentials: AwsCredentials.Input }
  ? never
  : AwsCredentials.AwsCredentials

/** Seven days: the longest a SigV4 presigned URL may live. */
const MAX_EXPIRES = 604_800

const SIGNED_HEADERS = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]

interface Settings {
  readonly region: string
  readonly service: string
  readonly selection: HeaderSelection
  readonly normalizePath: boolean
  readonly credentials: Effect.Effect<AwsCredentials.Credentials, SigningError>
  /** Credentials given in the options, resolved once. */
  readonly fixed: AwsCredentials.Credentials | undefined
}

// A region or service becomes part of the credential scope `day/region/service/aws4_request`.
const SCOPE_PART = /^[A-Za-z0-9._-]+$/

const settings = (
  scheme: string,
  options: Pick<Options, "region" | "service" | "credentials" | "includeHeaders" | "normalizePath">
): Effect.Effect<Settings, InvalidOptions, AwsCredentials.AwsCredentials> =>
  Effect.gen(function* () {
    if (typeof options !== "object" || options === null) {
      return yield* Effect.fail(invalid(scheme, "options", "must be an object with region and service"))
    }
    for (const option of ["region", "service"] as const) {
      const value = options[option]
      if (typeof value !== "string" || !SCOPE_PART.test(value)) {
        return yield* Effect.fail(
          invalid(
            scheme,
            option,
            `must be a non-empty name of letters, digits, ".", "_" or "-", not ${JSON.stringify(value)}`
          )
        )
      }
    }
    let selection: HeaderSelection
    if (options.includeHeaders === "*") selection = { all: true }
    else if (options.includeHeaders === undefined) selection = { all: false, names: new Set() }
    else if (!Array.isArray(options.includeHeaders)) {
      return yield* Effect.fail(invalid(scheme, "includeHeaders", 'must be an array of header names or "*"'))
    } else {
      const names = new Set<string>()
      for (const name of options.includeHeaders) {
        if (name === "*")
          return yield* Effect.fail(invalid(scheme, "includeHeaders", 'takes "*" alone, not in an array'))
        names.add(yield* validateHeaderName(name, scheme, "includeHeaders"))
      }
      selection = { all: false, names }
    }
    const fixed = options.credentials === undefined ? undefined : yield* resolveCredentials(options.credentials, scheme)
    const credentials = fixed === undefined ? (yield* AwsCredentials.AwsCredentials).get : Effect.succeed(fixed)
    return {
      region: options.region,
      service: options.service,
      selection,
      normalizePath: options.normalizePath ?? options.service !== "s3",
      credentials,
      fixed
    }
  })

interface Flags {
  readonly unsignedPayload: boolean
  readonly contentSha256Header: boolean
}

const flagsOf = (options: Options): Flags => ({
  unsignedPayload: options.unsignedPayload ?? false,
  contentSha256Header: options.contentSha256Header ?? true
})

/**
 * Signs one request: the headers `x-amz-date`, `x-amz-content-sha256` (when
 * asked), `x-amz-security-token` (with a session token) and `Authorization`.
 * The query goes on the wire encoded as it was signed.
 */
const signRequest = (
  request: HttpClientRequest.HttpClientRequest,
  settings: Settings,
  options: Flags
): Effect.Effect<HttpClientRequest.HttpClientRequest, SigningError> => {
  // Plain code rather than Effect.gen: this runs for every request, and the
  // signature itself costs a few microseconds.
  const url = Option.getOrUndefined(HttpClientRequest.toUrl(request))
  if (url === undefined) return Effect.fail(unreadableUrl("AwsSigV4"))
  const payload = payloadNow(request, "AwsSigV4", options.unsignedPayload ? UNSIGNED_PAYLOAD : undefined)
  if (payload instanceof SigningError) return Effect.fail(payload)
  // The common case: no Stream to read and credentials at hand, so one Clock read and no other effect.
  if (payload !== undefined && settings.fixed !== undefined) {
    return finishNow(payload, url, settings.fixed, settings, options)
  }
  return Effect.flatMap(
    Effect.zip(
      settings.credentials,
      payload === undefined ? collectBody(request, "AwsSigV4") : Effect.succeed(payload)
    ),
    ([credentials, payload]) => finishNow(payload, url, credentials, settings, options)
  )
}

/** `finish` at the time of the `Clock`. */
const finishNow = (
  payload: Payload,
  url: URL,
  credentials: AwsCredentials.Credentials,
  settings: Settings,
  options: Flags
): Effect.Effect<HttpClientRequest.HttpClientRequest> =>
  Effect.clockWith((clock) =>
    Effect.succeed(finish(payload, url, credentials, clock.unsafeCurrentTimeMillis(), settings, options))
  )

const finish = (
  payload: Payload,
  url: URL,
  credentials: AwsCredentials.Credentials,
  now: number,
  settings: Settings,
  options: { readonly contentSha256Header: boolean }
): HttpClientRequest.HttpClientRequest => {
  const date = amzDate(now)
  const added: Record<string, string> = { "x-amz-date": date }
  if (options.contentSha256Header) added["x-amz-content-sha256"] = payload.hash
  if (credentials.sessionToken !== undefined) added["x-amz-security-token"] = Redacted.value(credentials.sessionToken)
  let request = payload.request
  const query = queryOf(url)
  const path = wirePath(url, settings.service)
  if (!query.asGiven || path !== url.pathname || request.urlParams.length > 0) {
    request = withPathAndQuery(request, url, path, query.encoded)
  }
  const signed = signParts({
    method: request.method,
    path,
    query: query.canonical,
    headers: fieldsToSign(request.headers, url, settings.selection, true, added),
    payloadHash: payload.hash,
    amzDate: date,
    region: settings.region,
    service: settings.service,
    secretAccessKey: Redacted.value(credentials.secretAccessKey),
    normalizePath: settings.normalizePath
  })
  added.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${signed.scope}, SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}`
  return withHeaders(request, added)
}

/**
 * Signs every request with AWS Signature Version 4, at the time of the
 * `Clock`. Signed: `host` (with its port when not the default),
 * `content-type`, every `x-amz-*` but `x-amz-client-context`, and
 * `includeHeaders`. The body is hashed (a Stream body is read once and sent
 * as the bytes read); a FormData body fails with `SigningError` unless
 * `unsignedPayload`.
 *
 * @example
 * ```ts
 * import { AwsSigV4, HttpAuth } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = AwsSigV4.make({
 *   region: "eu-west-1",
 *   service: "execute-api",
 *   credentials: { accessKeyId: Config.string("KEY_ID"), secretAccessKey: Config.redacted("SECRET") }
 * })
 * const AuthLive = HttpAuth.layer(auth)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const O extends Options>(
  options: O
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, CredentialsService<O>> =>
  Effect.map(settings("AwsSigV4.make", options), (settings) => {
    const flags = flagsOf(options)
    return HttpAuth.fromRequest((request) => signRequest(request, settings, flags), {
      headers: SIGNED_HEADERS,
      params: []
    })
  }) as never

/**
 * A signer built once from `options` (checked then, credentials resolved
 * then): a function that signs each request as `make` would. For signing
 * many requests outside an `HttpClient`, such as a queue of prepared
 * requests.
 *
 * @example
 * ```ts
 * import { AwsSigV4 } from "effect-http-auth"
 * import { HttpClientRequest } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const signRequest = yield* AwsSigV4.signer({
 *     region: "us-east-1",
 *     service: "sqs",
 *     credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }
 *   })
 *   return yield* signRequest(HttpClientRequest.get("https://sqs.us-east-1.amazonaws.com/"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const signer = <const O extends Options>(
  options: O
): Effect.Effect<
  (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientRequest.HttpClientRequest, SigningError>,
  InvalidOptions,
  CredentialsService<O>
> =>
  Effect.map(settings("AwsSigV4.signer", options), (settings) => {
    const flags = flagsOf(options)
    return (request: HttpClientRequest.HttpClientRequest) => signRequest(request, settings, flags)
  }) as never

/**
 * Signs one request without sending it: the request as `make` would send
 * it. Useful to hand a signed request to another client, or to test.
 *
 * @example
 * ```ts
 * import { AwsSigV4 } from "effect-http-auth"
 * import { HttpClientRequest } from "@effect/platform"
 *
 * const signed = AwsSigV4.sign(HttpClientRequest.get("https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"), {
 *   region: "us-east-1",
 *   service: "sts",
 *   credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }
 * })
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const sign: {
  <const O extends Options>(
    options: O
  ): (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidOptions | SigningError, CredentialsService<O>>
  <const O extends Options>(
    request: HttpClientRequest.HttpClientRequest,
    options: O
  ): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidOptions | SigningError, CredentialsService<O>>
} = dual(2, (request: HttpClientRequest.HttpClientRequest, options: Options) =>
  Effect.flatMap(settings("AwsSigV4.sign", options), (settings) => signRequest(request, settings, flagsOf(options)))
)

/**
 * A presigned URL: the request's URL with the `X-Amz-*` query parameters
 * that let whoever holds it make this request until it expires, without
 * credentials. The payload is `UNSIGNED-PAYLOAD` unless `unsignedPayload`
 * is `false`. The request's `x-amz-*` headers (such as
 * `x-amz-server-side-encryption`) go into the URL as signed query
 * parameters, unless `includeHeaders` names them. `expires` above 7 days
 * fails with `InvalidOptions`.
 *
 * @example
 * ```ts
 * import { AwsSigV4 } from "effect-http-auth"
 * import { HttpClientRequest } from "@effect/platform"
 *
 * const url = AwsSigV4.presign(HttpClientRequest.get("https://examplebucket.s3.amazonaws.com/test.txt"), {
 *   region: "us-east-1",
 *   service: "s3",
 *   expires: 86400,
 *   credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }
 * })
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const presign: {
  <const O extends PresignOptions>(
    options: O
  ): (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<URL, InvalidOptions | SigningError, CredentialsService<O>>
  <const O extends PresignOptions>(
    request: HttpClientRequest.HttpClientRequest,
    options: O
  ): Effect.Effect<URL, InvalidOptions | SigningError, CredentialsService<O>>
} = dual(2, (request: HttpClientRequest.HttpClientRequest, options: PresignOptions) =>
  Effect.gen(function* () {
    const scheme = "AwsSigV4.presign"
    const expires = options?.expires
    if (typeof expires !== "number" || !Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES) {
      return yield* Effect.fail(
        invalid(
          scheme,
          "expires",
          `must be a whole number of seconds from 1 to ${MAX_EXPIRES} (7 days), not ${expires}`
        )
      )
    }
    const config = yield* settings(scheme, options)
    const url = yield* wireUrl(request, scheme)
    const credentials = yield* config.credentials
    const now = yield* Clock.currentTimeMillis
    const payload = yield* payloadOf(request, scheme, (options.unsignedPayload ?? true) ? UNSIGNED_PAYLOAD : undefined)
    const date = amzDate(now)
    // Whoever uses the URL sends only what they choose: sign host and the headers asked for, nothing automatic.
    const fields = fieldsToSign(payload.request.headers, url, config.selection, false)
    const signedHeaders = [...new Set(fields.map(([name]) => name))].sort().join(";")
    const query: Array<QueryParam> = parseQuery(url.search.slice(1))
    query.push(...hoisted(payload.request.headers, config.selection))
    query.push(
      ["X-Amz-Algorithm", ALGORITHM],
      [
        "X-Amz-Credential",
        `${credentials.accessKeyId}/${date.slice(0, 8)}/${config.region}/${config.service}/aws4_request`
      ],
      ["X-Amz-Date", date],
      ["X-Amz-Expires", String(expires)],
      ["X-Amz-SignedHeaders", signedHeaders]
    )
    if (credentials.sessionToken !== undefined) {
      query.push(["X-Amz-Security-Token", Redacted.value(credentials.sessionToken)])
    }
    const path = wirePath(url, config.service)
    const signed = signParts({
      method: request.method,
      path,
      query,
      headers: fields,
      payloadHash: payload.hash,
      amzDate: date,
      region: config.region,
      service: config.service,
      secretAccessKey: Redacted.value(credentials.secretAccessKey),
      normalizePath: config.normalizePath
    })
    query.push(["X-Amz-Signature", signed.signature])
    const presigned = new URL(url.href)
    presigned.pathname = path
    presigned.search = `?${query.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join("&")}`
    return presigned
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ChunkedOptions {
  /** The region, such as `"us-east-1"`. */
  readonly region: string
  /** The service's signing name: `"s3"`. */
  readonly service: string
  /** The credentials; when omitted, the `AwsCredentials` service gives them. */
  readonly credentials?: AwsCredentials.Input | undefined
  /** The body's length in bytes (before the chunk framing), sent as `x-amz-decoded-content-length`. */
  readonly decodedContentLength: number
  /** Bytes per chunk; S3 takes at least 8192 (8 KiB). Default 65536. */
  readonly chunkSize?: number | undefined
  /** Headers to sign besides `host`, `content-type`, `content-encoding`, `content-length` and every `x-amz-*`; `"*"` for all. */
  readonly includeHeaders?: ReadonlyArray<string> | "*" | undefined
}

/**
 * An S3 upload of a body in signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`,
 * `Content-Encoding: aws-chunked`), for a Stream that should not be held in
 * memory: the headers carry the seed signature, and each chunk is signed as
 * it streams, chained on the one before. The body's length must be known
 * (`decodedContentLength`): S3 needs the encoded `Content-Length` up front.
 * Send the result with a client that does not sign again.
 *
 * @example
 * ```ts
 * import { AwsSigV4 } from "effect-http-auth"
 * import { HttpBody, HttpClientRequest } from "@effect/platform"
 * import { Stream } from "effect"
 *
 * const body = Stream.make(new Uint8Array(100_000))
 * const request = HttpClientRequest.put("https://bucket.s3.amazonaws.com/big.bin").pipe(
 *   HttpClientRequest.setBody(HttpBody.stream(body, "application/octet-stream"))
 * )
 * const signed = AwsSigV4.signChunked(request, {
 *   region: "us-east-1",
 *   service: "s3",
 *   decodedContentLength: 100_000,
 *   credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }
 * })
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const signChunked: {
  <const O extends ChunkedOptions>(
    options: O
  ): (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidOptions | SigningError, CredentialsService<O>>
  <const O extends ChunkedOptions>(
    request: HttpClientRequest.HttpClientRequest,
    options: O
  ): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidOptions | SigningError, CredentialsService<O>>
} = dual(2, (request: HttpClientRequest.HttpClientRequest, options: ChunkedOptions) =>
  Effect.gen(function* () {
    const scheme = "AwsSigV4.signChunked"
    const chunkSize = options?.chunkSize ?? 65_536
    if (!Number.isInteger(chunkSize) || chunkSize < 8192) {
      return yield* Effect.fail(
        invalid(scheme, "chunkSize", `must be a whole number of bytes from 8192 up, not ${chunkSize}`)
      )
    }
    const decoded = options.decodedContentLength
    if (!Number.isSafeInteger(decoded) || decoded < 0) {
      return yield* Effect.fail(
        invalid(scheme, "decodedContentLength", `must be a whole number of bytes from 0 up, not ${decoded}`)
      )
    }
    const includeHeaders =
      options.includeHeaders === "*" ? "*" : [...(options.includeHeaders ?? []), "content-encoding", "content-length"]
    const config = yield* settings(scheme, { ...options, includeHeaders })
    const body = yield* bodyStream(request.body, scheme)
    const credentials = config.fixed ?? (yield* config.credentials)
    const length = encodedLength(decoded, chunkSize)
    const encoding = request.headers["content-encoding"]
    const prepared = HttpClientRequest.setHeaders(request, {
      "content-encoding": encoding === undefined ? "aws-chunked" : `aws-chunked,${encoding}`,
      "content-length": String(length),
      "x-amz-content-sha256": STREAMING_PAYLOAD,
      "x-amz-decoded-content-length": String(decoded)
    })
    const signed = yield* signRequest(
      prepared,
      { ...config, fixed: credentials },
      {
        unsignedPayload: false,
        contentSha256Header: true
      }
    )
    const date = signed.headers["x-amz-date"]!
    const day = date.slice(0, 8)
    const signing = {
      key: signingKey(Redacted.value(credentials.secretAccessKey), day, config.region, config.service),
      amzDate: date,
      scope: `${day}/${config.region}/${config.service}/aws4_request`,
      seedSignature: signed.headers.authorization!.slice(-64)
    }
    const contentType = request.body._tag === "Empty" ? undefined : request.body.contentType
    const chunked = chunkedBody(body, signing, chunkSize, decoded, scheme)
    return HttpClientRequest.setBody(signed, HttpBody.stream(chunked, contentType, length))
  })
)
