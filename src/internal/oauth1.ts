/**
 * OAuth 1.0a request signing (RFC 5849 section 3): the signature base
 * string over the request as it goes on the wire, the six signature methods,
 * the three placements, and the reading of a provider's problem reports.
 */
import { createHmac, createPrivateKey, KeyObject, sign as rsaSign } from "node:crypto"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { AuthenticationFailed, type InvalidOptions, OAuth1Error, SigningError } from "../AuthError.js"
import type { SigningOptions } from "../OAuth1.js"
import * as SecureRandom from "../SecureRandom.js"
import { parseChallenges } from "./challenge.js"
import { collectStream, rebuild, wireUrl } from "./client.js"
import { hashText } from "./hash.js"
import { readLimited } from "./http.js"
import { hasLineBreak, invalid, resolveSecret, resolveText, type SecretInput } from "./options.js"
import { canonicalQuery, parseQuery, percentEncode as encode, type QueryParam } from "./percentEncoding.js"

export const signatureMethods = [
  "HMAC-SHA1",
  "HMAC-SHA256",
  "HMAC-SHA512",
  "RSA-SHA1",
  "RSA-SHA256",
  "PLAINTEXT"
] as const
export type SignatureMethod = (typeof signatureMethods)[number]
export const signatureTypes = ["header", "query", "body"] as const
export type SignatureType = (typeof signatureTypes)[number]

/** Every parameter a signed request may carry, for redirects to drop. */
export const oauthParams = [
  "oauth_consumer_key",
  "oauth_token",
  "oauth_signature_method",
  "oauth_timestamp",
  "oauth_nonce",
  "oauth_version",
  "oauth_callback",
  "oauth_verifier",
  "oauth_body_hash",
  "oauth_signature"
]

// --- encoding ----------------------------------------------------------------
// RFC 5849's percent-encoding (section 3.6) is RFC 3986's, which SigV4 uses too,
// and its query and form parsing (section 3.4.1.3.1, "+" a space) is the one
// SigV4 reads a query with: one implementation of each, in percentEncoding.ts.

/**
 * RFC 5849 section 3.6: UTF-8, then every octet but ALPHA, DIGIT, "-", ".",
 * "_" and "~" as "%" and two upper-case hex digits.
 */
export const percentEncode: (text: string) => string = encode

export type Pair = QueryParam

/**
 * The name/value pairs of a query or a form body, decoded as W3C HTML 4.01
 * section 17.13.4 says (which section 3.4.1.3.1 names): "+" is a space, and
 * "c2" without "=" is ("c2", "").
 */
export const parseForm: (text: string) => Array<Pair> = parseQuery

/** Pairs encoded (section 3.6) and joined as `name=value&...`, in the given order. */
export const encodePairs = (pairs: ReadonlyArray<Pair>): string =>
  pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join("&")

// --- the signature base string (section 3.4.1) -------------------------------

/** Section 3.4.1.2: scheme and host in lower case, the port only when not the default, no query. */
export const baseStringUri = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`

/** Section 3.4.1.3.2: encoded, sorted by name then value (byte order: the encoded text is ASCII), joined. */
export const normalizeParameters: (params: ReadonlyArray<Pair>) => string = canonicalQuery

/** Section 3.4.1.1. */
export const signatureBaseString = (method: string, url: URL, params: ReadonlyArray<Pair>): string =>
  `${percentEncode(method.toUpperCase())}&${percentEncode(baseStringUri(url))}&${percentEncode(normalizeParameters(params))}`

// --- the signature (sections 3.4.2 to 3.4.4) ---------------------------------

export interface Keys {
  readonly clientSecret: Redacted.Redacted<string> | undefined
  readonly tokenSecret: Redacted.Redacted<string> | undefined
  readonly rsaKey: KeyObject | undefined
}

/** Sections 3.4.2 and 3.4.4: the encoded secrets joined by "&" (the "&" even without a token secret). */
const hmacKey = (keys: Keys) =>
  `${percentEncode(keys.clientSecret === undefined ? "" : Redacted.value(keys.clientSecret))}&${percentEncode(
    keys.tokenSecret === undefined ? "" : Redacted.value(keys.tokenSecret)
  )}`

const digestOf: Record<SignatureMethod, string> = {
  "HMAC-SHA1": "sha1",
  "HMAC-SHA256": "sha256",
  "HMAC-SHA512": "sha512",
  "RSA-SHA1": "sha1",
  "RSA-SHA256": "sha256",
  PLAINTEXT: "sha1"
}

/** The `oauth_signature` of a base string, before its encoding for the wire. */
export const signBaseString = (method: SignatureMethod, baseString: string, keys: Keys): string => {
  switch (method) {
    case "PLAINTEXT":
      return hmacKey(keys)
    case "RSA-SHA1":
    case "RSA-SHA256":
      // Section 3.4.3: RSASSA-PKCS1-v1_5 (RFC 3447 section 8.2), the default padding of an RSA key
      return rsaSign(digestOf[method], Buffer.from(baseString, "utf8"), keys.rsaKey!).toString("base64")
    default:
      return createHmac(digestOf[method], hmacKey(keys)).update(baseString, "utf8").digest("base64")
  }
}

// --- options -------------------------------------------------------------------

/** What signs every request of an auth: checked when the auth is built. */
export interface Signer {
  readonly scheme: string
  readonly clientId: string
  readonly keys: Omit<Keys, "tokenSecret">
  readonly method: SignatureMethod
  readonly type: SignatureType
  readonly realm: string | undefined
  readonly bodyHash: boolean
  readonly allowInsecurePlaintext: boolean
}

/** The token of one request, and the token steps' own parameters. */
export interface TokenParams {
  readonly token?: string | undefined
  readonly tokenSecret?: Redacted.Redacted<string> | undefined
  readonly callback?: string | undefined
  readonly verifier?: string | undefined
}

/** The signing options shared by `make`, the token steps and `authorize` (the public `OAuth1.SigningOptions`). */
export type SignerOptions = SigningOptions

const resolveRsaKey = (input: SecretInput | KeyObject, scheme: string): Effect.Effect<KeyObject, InvalidOptions> => {
  if (input instanceof KeyObject) {
    return input.type !== "private"
      ? Effect.fail(invalid(scheme, "rsaKey", `must be a private key, not a ${input.type} one`))
      : input.asymmetricKeyType === "rsa"
        ? Effect.succeed(input)
        : Effect.fail(invalid(scheme, "rsaKey", `must be an RSA private key, not ${input.asymmetricKeyType}`))
  }
  // not resolveSecret: a PEM has line breaks
  const read = Config.isConfig(input)
    ? Effect.mapError(input as Config.Config<string | Redacted.Redacted<string>>, (error) =>
        invalid(scheme, "rsaKey", `could not be read from the configuration: ${error}`)
      )
    : Effect.succeed(input as string | Redacted.Redacted<string>)
  return Effect.flatMap(read, (pem) => {
    try {
      const key = createPrivateKey(typeof pem === "string" ? pem : Redacted.value(pem))
      return key.asymmetricKeyType === "rsa"
        ? Effect.succeed(key)
        : Effect.fail(invalid(scheme, "rsaKey", `must be an RSA private key, not ${key.asymmetricKeyType}`))
    } catch {
      // never the key, nor the parser's message (which may quote it)
      return Effect.fail(invalid(scheme, "rsaKey", "is not a PEM private key that can be read"))
    }
  })
}

const oneOf = <A extends string>(value: unknown, allowed: ReadonlyArray<A>, scheme: string, option: string) =>
  typeof value === "string" && (allowed as ReadonlyArray<string>).includes(value)
    ? Effect.succeed(value as A)
    : Effect.fail(
        invalid(
          scheme,
          option,
          `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, not ${JSON.stringify(value)}`
        )
      )

/** Checks the signing options; `InvalidOptions` never holds a secret or the key. */
export const makeSigner = (options: SignerOptions, scheme: string): Effect.Effect<Signer, InvalidOptions> =>
  Effect.gen(function* () {
    const clientId = yield* resolveText(options.clientId, scheme, "clientId")
    if (clientId === "") return yield* Effect.fail(invalid(scheme, "clientId", "must not be empty"))
    if (hasLineBreak(clientId)) {
      return yield* Effect.fail(invalid(scheme, "clientId", "must not contain CR, LF or NUL characters"))
    }
    const method = yield* oneOf(options.signatureMethod ?? "HMAC-SHA1", signatureMethods, scheme, "signatureMethod")
    const type = yield* oneOf(options.signatureType ?? "header", signatureTypes, scheme, "signatureType")
    const isRsa = method.startsWith("RSA-")
    if (isRsa && options.rsaKey === undefined) {
      return yield* Effect.fail(invalid(scheme, "rsaKey", `is needed with signatureMethod "${method}"`))
    }
    if (!isRsa && options.clientSecret === undefined) {
      return yield* Effect.fail(invalid(scheme, "clientSecret", `is needed with signatureMethod "${method}"`))
    }
    const rsaKey = options.rsaKey === undefined || !isRsa ? undefined : yield* resolveRsaKey(options.rsaKey, scheme)
    // An empty consumer secret is legal (the key is then "&" and the token secret).
    const clientSecret =
      options.clientSecret === undefined
        ? undefined
        : yield* resolveSecret(options.clientSecret, scheme, "clientSecret", { allowEmpty: true })
    if (options.realm !== undefined && (hasLineBreak(options.realm) || options.realm.includes('"'))) {
      return yield* Effect.fail(invalid(scheme, "realm", "must not contain a double quote, CR, LF or NUL"))
    }
    return {
      scheme,
      clientId,
      keys: { clientSecret, rsaKey },
      method,
      type,
      realm: options.realm,
      bodyHash: options.bodyHash ?? false,
      allowInsecurePlaintext: options.allowInsecurePlaintext ?? false
    }
  })

// --- signing a request ---------------------------------------------------------

const FORM = "application/x-www-form-urlencoded"

const contentTypeOf = (request: HttpClientRequest.HttpClientRequest) => {
  const body = request.body
  const type = request.headers["content-type"] ?? ("contentType" in body ? body.contentType : undefined)
  return type?.toLowerCase()
}

const isForm = (request: HttpClientRequest.HttpClientRequest) =>
  request.body._tag !== "Empty" &&
  request.body._tag !== "FormData" &&
  contentTypeOf(request)?.split(";")[0]?.trim() === FORM

/** The body's bytes when they can be had now; `undefined` for a Stream (collect it first). */
const bytesNow = (body: HttpBody.HttpBody, scheme: string): Uint8Array | SigningError | undefined => {
  switch (body._tag) {
    case "Empty":
      return new Uint8Array(0)
    case "Uint8Array":
      return body.body
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string") return Buffer.from(raw, "utf8")
      if (raw instanceof Uint8Array) return raw
      if (raw instanceof ArrayBuffer) return new Uint8Array(raw)
      return new SigningError({
        scheme,
        reason:
          "the request's Raw body is neither a string nor bytes, so it cannot be read: give a Uint8Array or Stream body"
      })
    }
    case "FormData":
      return new SigningError({
        scheme,
        reason:
          "a FormData body cannot be hashed (its multipart boundary is chosen only when it is sent): encode it to bytes first, or leave bodyHash off"
      })
    case "Stream":
      return undefined
  }
}

/** The request and its body's bytes, a Stream body read once and put back as bytes. */
const withBytes = (
  request: HttpClientRequest.HttpClientRequest,
  scheme: string
): Effect.Effect<
  { readonly request: HttpClientRequest.HttpClientRequest; readonly bytes: Uint8Array },
  SigningError
> => {
  const now = bytesNow(request.body, scheme)
  if (now instanceof SigningError) return Effect.fail(now)
  if (now !== undefined) return Effect.succeed({ request, bytes: now })
  return Effect.mapError(
    collectStream(request, request.body as HttpBody.Stream),
    (cause) => new SigningError({ scheme, reason: "the request's Stream body failed while it was read", cause })
  )
}

const isLoopback = (url: URL) =>
  url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)

/**
 * Signs `request` as it goes on the wire: the nonce from `SecureRandom`, the
 * timestamp from the `Clock`.
 */
export const signRequest = (
  signer: Signer,
  token: TokenParams,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientRequest.HttpClientRequest, SigningError> =>
  Effect.gen(function* () {
    const { scheme } = signer
    const url = yield* wireUrl(request, scheme)
    // Section 3.4.4: PLAINTEXT sends the secrets themselves
    if (
      signer.method === "PLAINTEXT" &&
      url.protocol !== "https:" &&
      !signer.allowInsecurePlaintext &&
      !isLoopback(url)
    ) {
      return yield* Effect.fail(
        new SigningError({
          scheme,
          reason: `PLAINTEXT sends the secrets as they are, so RFC 5849 section 3.4.4 requires TLS: ${url.protocol}//${url.host} is not https. Use https, an HMAC or RSA method, or set allowInsecurePlaintext`
        })
      )
    }
    const form = isForm(request)
    if (signer.type === "body" && !form) {
      return yield* Effect.fail(
        new SigningError({
          scheme,
          reason: `signatureType "body" puts the OAuth parameters in a form body (RFC 5849 section 3.5.2), and this ${request.method} request has ${
            request.body._tag === "Empty" ? "no body" : `a body of type ${contentTypeOf(request) ?? request.body._tag}`
          }: use signatureType "header"`
        })
      )
    }
    let current = request
    let formText: string | undefined
    let bodyHash: string | undefined
    if (form) {
      const read = yield* withBytes(current, scheme)
      current = read.request
      formText = Buffer.from(read.bytes).toString("utf8")
    } else if (signer.bodyHash) {
      // OAuth Request Body Hash: never for a form body, whose parameters are signed themselves
      const read = yield* withBytes(current, scheme)
      current = read.request
      bodyHash = Buffer.from(hashText(digestOf[signer.method], read.bytes, "latin1"), "latin1").toString("base64")
    }

    const nonce = yield* SecureRandom.hex(15)
    const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const oauth: Array<Pair> = [["oauth_consumer_key", signer.clientId]]
    if (token.token !== undefined) oauth.push(["oauth_token", token.token])
    oauth.push(
      ["oauth_signature_method", signer.method],
      ["oauth_timestamp", String(timestamp)],
      ["oauth_nonce", nonce],
      ["oauth_version", "1.0"]
    )
    if (token.callback !== undefined) oauth.push(["oauth_callback", token.callback])
    if (token.verifier !== undefined) oauth.push(["oauth_verifier", token.verifier])
    if (bodyHash !== undefined) oauth.push(["oauth_body_hash", bodyHash])

    const query = url.search.slice(1)
    const params = [...parseForm(query), ...(formText === undefined ? [] : parseForm(formText)), ...oauth]
    const baseString = signatureBaseString(current.method, url, params)
    const signature = signBaseString(signer.method, baseString, { ...signer.keys, tokenSecret: token.tokenSecret })
    oauth.push(["oauth_signature", signature])

    switch (signer.type) {
      case "header": {
        // Section 3.5.1: realm (not signed) first, each value encoded and quoted
        const fields = oauth.map(([name, value]) => `${name}="${percentEncode(value)}"`)
        if (signer.realm !== undefined) fields.unshift(`realm="${signer.realm}"`)
        return HttpClientRequest.setHeader(current, "authorization", `OAuth ${fields.join(", ")}`)
      }
      case "query": {
        // Section 3.5.3: after the request's own parameters, which keep their order and encoding
        const bare = new URL(url.href)
        bare.search = ""
        bare.hash = ""
        const added = encodePairs(oauth)
        return rebuild(current, {
          headers: current.headers,
          url: `${bare.href}?${query === "" ? "" : `${query}&`}${added}`,
          urlParams: UrlParams.empty
        })
      }
      case "body": {
        const added = encodePairs(oauth)
        const text = formText === undefined || formText === "" ? added : `${formText}&${added}`
        return HttpClientRequest.setBody(current, HttpBody.text(text, contentTypeOf(current) ?? FORM))
      }
    }
  })

// --- responses -----------------------------------------------------------------

/** The URL without its query and fragment, for an error. */
export const endpointOf = (url: string | URL): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return "(unreadable URL)"
  }
}

const list = (value: string | undefined) =>
  value === undefined || value === "" ? undefined : value.split("&").filter((name) => name !== "")

/** An `OAuth1Error` of problem-report fields (OAuth Problem Reporting, or OAuth 2-style `error`). */
export const problemOf = (
  fields: Readonly<Record<string, string>>,
  status: number | undefined,
  endpoint: string
): OAuth1Error | undefined => {
  const problem = fields.oauth_problem ?? fields.error
  if (problem === undefined || problem === "") return undefined
  return new OAuth1Error({
    problem,
    advice: fields.oauth_problem_advice ?? fields.error_description,
    status,
    endpoint,
    parametersAbsent: list(fields.oauth_parameters_absent),
    parametersRejected: list(fields.oauth_parameters_rejected),
    acceptableTimestamps: fields.oauth_acceptable_timestamps
  })
}

/** The problem report of a `WWW-Authenticate: OAuth ...` challenge, if any. */
const challengeFields = (response: HttpClientResponse.HttpClientResponse): Record<string, string> | undefined => {
  const header = response.headers["www-authenticate"]
  if (header === undefined) return undefined
  const parsed = parseChallenges(header)
  if (Either.isLeft(parsed)) return undefined
  const challenge = parsed.right.find((c) => c.scheme.toLowerCase() === "oauth" && "oauth_problem" in c.params)
  return challenge === undefined ? undefined : { ...challenge.params }
}

const isFormResponse = (response: HttpClientResponse.HttpClientResponse) =>
  (response.headers["content-type"] ?? "").toLowerCase().split(";")[0]!.trim() === FORM

/** Truncated, with anything that looks like a token secret or signature removed. */
export const safeBody = (text: string): string => {
  const cleaned = text.replace(/(oauth_token_secret|oauth_signature|oauth_verifier)=[^&\s]*/g, "$1=<redacted>")
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}…` : cleaned
}

/**
 * The problem a 4xx answer whose body is `text` reports, in its
 * `WWW-Authenticate` challenge or its form body (the body's report has the
 * advice and parameter lists; the challenge may have only the problem).
 */
export const problemIn = (
  response: HttpClientResponse.HttpClientResponse,
  text: string | undefined
): OAuth1Error | undefined => {
  const fromBody = text !== undefined && isFormResponse(response) ? Object.fromEntries(parseForm(text)) : undefined
  return problemOf({ ...challengeFields(response), ...fromBody }, response.status, endpointOf(response.request.url))
}

/** The most bytes of a resource's form body read for its problem report. */
const MAX_REPORT_BYTES = 1024 * 1024

/**
 * The problem a resource's 4xx response reports; `undefined` when it reports
 * none. The body is read only when it is a form, at most 1 MiB (a larger one
 * fails, unread), and then given back in a new response.
 */
export const responseProblem = (
  response: HttpClientResponse.HttpClientResponse,
  scheme: string
): Effect.Effect<
  { readonly problem: OAuth1Error | undefined; readonly response: HttpClientResponse.HttpClientResponse },
  AuthenticationFailed
> => {
  if (!isFormResponse(response)) return Effect.succeed({ problem: problemIn(response, undefined), response })
  return Effect.flatMap(
    Effect.orElseSucceed(readLimited(response, MAX_REPORT_BYTES), () => ""),
    (text) => {
      if (text === undefined) {
        return Effect.fail(
          new AuthenticationFailed({
            scheme,
            reason: `${endpointOf(response.request.url)} answered HTTP ${response.status} with a form body larger than ${MAX_REPORT_BYTES} bytes: not read for its oauth_problem`
          })
        )
      }
      const again = new Response(text, { status: response.status, headers: response.headers as Record<string, string> })
      return Effect.succeed({
        problem: problemIn(response, text),
        response: HttpClientResponse.fromWeb(response.request, again)
      })
    }
  )
}
