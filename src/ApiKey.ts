/**
 * API keys in a header or in the URL's query.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import type { InvalidOptions } from "./AuthError.js"
import type * as HttpAuth from "./HttpAuth.js"
import { fromTokenSource, headerScheme, tokenSource } from "./internal/tokenScheme.js"
import { validateParamName } from "./internal/options.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface HeaderOptions {
  /** The header's name. Default `"X-API-Key"`. */
  readonly headerName?: string | undefined
  /** The header's value, `{token}` standing for the key. Default `"{token}"`. */
  readonly headerValue?: string | undefined
}

/**
 * Sends the key in a header, `X-API-Key` unless `headerName` says otherwise.
 *
 * @example
 * ```ts
 * import { ApiKey } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = ApiKey.header(Config.redacted("API_KEY"), { headerName: "X-Custom-Key" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const header = <E = never, R = never>(
  key: HttpAuth.TokenInput<E, R>,
  options?: HeaderOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, R> =>
  headerScheme(
    "ApiKey.header",
    { headerName: options?.headerName ?? "X-API-Key", headerValue: options?.headerValue ?? "{token}" },
    { value: key, option: "key" }
  )

/**
 * @since 0.1.0
 * @category models
 */
export interface QueryOptions {
  /** The query parameter's name. Default `"api_key"`. */
  readonly parameterName?: string | undefined
}

/**
 * Sends the key as a query parameter, `api_key` unless `parameterName` says otherwise.
 * It is appended after the request's own parameters, whose order and
 * encoding stay as they were.
 *
 * A key in a URL is seen by anything that records URLs (proxies, server
 * logs, tracing spans' `url.full`): prefer a header where the API allows it.
 *
 * @example
 * ```ts
 * import { ApiKey } from "effect-http-auth"
 *
 * // GET https://api.example.com/items?page=2&api_key=...
 * const auth = ApiKey.query("key")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const query = <E = never, R = never>(
  key: HttpAuth.TokenInput<E, R>,
  options?: QueryOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, R> =>
  Effect.gen(function* () {
    const name = yield* validateParamName(options?.parameterName ?? "api_key", "ApiKey.query", "parameterName")
    const source = yield* tokenSource(key, "ApiKey.query", "key", "query")
    return fromTokenSource(source, (request, key) => appendQueryParameter(request, name, key), {
      headers: [],
      params: [name]
    })
  })

/**
 * Appends `name=value` to the request's URL text, so that the query the
 * request already has is sent byte for byte. When the request holds
 * `urlParams` (which Effect serialises itself), the key joins them instead.
 */
const appendQueryParameter = (request: HttpClientRequest.HttpClientRequest, name: string, value: string) => {
  if (request.urlParams.length > 0) return HttpClientRequest.appendUrlParam(request, name, value)
  const pair = `${encodeUnreserved(name)}=${encodeUnreserved(value)}`
  const hashAt = request.url.indexOf("#")
  const url = hashAt === -1 ? request.url : request.url.slice(0, hashAt)
  const fragment = hashAt === -1 ? "" : request.url.slice(hashAt)
  const separator = !url.includes("?") ? "?" : url.endsWith("?") || url.endsWith("&") ? "" : "&"
  return HttpClientRequest.setUrl(request, `${url}${separator}${pair}${fragment}`)
}

/**
 * Percent-encodes all but RFC 3986's unreserved characters (section 2.3):
 * `encodeURIComponent` leaves `!'()*` as they are, and the WHATWG URL parser
 * would then encode `'` itself, so the key on the wire would differ from the
 * text signed or logged.
 */
const encodeUnreserved = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
