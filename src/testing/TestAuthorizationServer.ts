/**
 * An authorization server and a resource server in memory, for a user's
 * tests: an `HttpClient` (no socket) that answers the token endpoint from a
 * script and checks bearer tokens on every other URL, with expiry on the
 * `Clock`, so refresh and 401 paths run under `TestClock`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { jwks, signingKey } from "../internal/testSigning.js"
import { BrowserTest } from "./BrowserTest.js"
import { createToken } from "./createToken.js"

/**
 * One scripted answer of the token endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export type Step =
  | {
      readonly _tag: "Token"
      readonly accessToken?: string | undefined
      /** Seconds; `null` leaves `expires_in` out of the response. Default 3600. */
      readonly expiresIn?: number | null | undefined
      /** `null` leaves `refresh_token` out. Default a fresh one, but none for client credentials (RFC 6749 section 4.4.3). */
      readonly refreshToken?: string | null | undefined
      readonly scope?: string | undefined
      readonly tokenType?: string | undefined
    }
  | {
      readonly _tag: "Error"
      readonly error: string
      readonly description?: string | undefined
      readonly status: number
    }
  | {
      readonly _tag: "Status"
      readonly status: number
      readonly body: string
      readonly headers: Record<string, string>
    }

/**
 * A token response. Unset fields get defaults: `access-N`, 3600 s, a fresh
 * refresh token (none for the client credentials grant, which RFC 6749
 * section 4.4.3 says should not get one).
 *
 * @example
 * ```ts
 * import { TestAuthorizationServer } from "effect-http-auth/testing"
 *
 * TestAuthorizationServer.token({ expiresIn: 60, refreshToken: null })
 * ```
 *
 * @since 0.1.0
 * @category steps
 */
export const token = (fields: Omit<Extract<Step, { _tag: "Token" }>, "_tag"> = {}): Step => ({
  _tag: "Token",
  ...fields
})

/**
 * An RFC 6749 section 5.2 error response (status 400 unless given).
 *
 * @since 0.1.0
 * @category steps
 */
export const error = (code: string, options?: { readonly description?: string; readonly status?: number }): Step => ({
  _tag: "Error",
  error: code,
  description: options?.description,
  status: options?.status ?? 400
})

/**
 * Any other answer: a 503 with `Retry-After`, an HTML page, a 500.
 *
 * @since 0.1.0
 * @category steps
 */
export const status = (
  code: number,
  body = "",
  headers: Record<string, string> = { "content-type": "text/plain" }
): Step => ({ _tag: "Status", status: code, body, headers })

/** The scripted refresh token, else a fresh one, but none for client credentials (RFC 6749 section 4.4.3). */
const refreshTokenField = (scripted: string | null | undefined, grantType: string | undefined, n: number) => {
  if (scripted === null || (scripted === undefined && grantType === "client_credentials")) return {}
  return { refresh_token: scripted ?? `refresh-${n}` }
}

/** The code a redirect carried, in its query or its fragment. */
const codeOf = (redirect: string) => {
  const url = new URL(redirect)
  return url.searchParams.get("code") ?? new URLSearchParams(url.hash.slice(1)).get("code") ?? undefined
}

/**
 * A request the token endpoint received, its form fields decoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRequest {
  readonly params: Readonly<Record<string, string>>
  readonly authorization: string | undefined
}

/**
 * What the servers saw and issued, and levers for a test.
 *
 * @since 0.1.0
 * @category tags
 */
export class TestAuthorizationServer extends Context.Tag("effect-http-auth/testing/TestAuthorizationServer")<
  TestAuthorizationServer,
  {
    /** Every token request, in order. */
    readonly tokenRequests: Effect.Effect<ReadonlyArray<TokenRequest>>
    /** Every resource request, with the status it got. */
    readonly resourceRequests: Effect.Effect<
      ReadonlyArray<{ readonly url: string; readonly authorization: string | undefined; readonly status: number }>
    >
    /** Makes the resource server refuse a token from now on (a revoked or rotated token). */
    readonly revoke: (accessToken: string) => Effect.Effect<void>
    /** Appends answers to the script. */
    readonly script: (...steps: ReadonlyArray<Step>) => Effect.Effect<void>
  }
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The token endpoint's URL. Default `"https://auth.test/token"`. */
  readonly tokenUrl?: string | undefined
  /** The first answers of the token endpoint; past them each request gets a fresh default token. */
  readonly script?: ReadonlyArray<Step> | undefined
  /**
   * An OpenID Connect issuer: its metadata (`authorization_endpoint`
   * `<issuer>/authorize`, this `tokenUrl`, `jwks_uri` `<issuer>/jwks`) and
   * `BrowserTest.jwks` are served, and the token endpoint's answers to a
   * code carry an id_token signed as BrowserTest's are, with the `nonce` of
   * the `BrowserTest` visit that gave the code (when this layer is built
   * with `BrowserTest.layer` in its context: `Layer.provideMerge`).
   */
  readonly issuer?: string | undefined
}

interface Issued {
  readonly expiresAt: number | undefined
}

const json = (request: HttpClientRequest.HttpClientRequest, status: number, body: unknown, headers = {}) =>
  HttpClientResponse.fromWeb(
    request,
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })
  )

const formOf = (request: HttpClientRequest.HttpClientRequest): Record<string, string> => {
  const body = request.body
  const text =
    body._tag === "Uint8Array" ? new TextDecoder().decode(body.body) : body._tag === "Raw" ? String(body.body) : ""
  return Object.fromEntries(new URLSearchParams(text))
}

/**
 * The servers as a layer: an `HttpClient` that reaches them, and the
 * `TestAuthorizationServer` service to script and inspect them.
 *
 * @example
 * ```ts
 * import { TestAuthorizationServer } from "effect-http-auth/testing"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const Servers = TestAuthorizationServer.layer({
 *   script: [TestAuthorizationServer.status(503, "", { "retry-after": "1" }), TestAuthorizationServer.token()]
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<HttpClient.HttpClient | TestAuthorizationServer> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const tokenUrl = new URL(options?.tokenUrl ?? "https://auth.test/token").toString()
      const issuer = options?.issuer?.replace(/\/+$/, "")
      const browser = yield* Effect.serviceOption(BrowserTest)
      const script = yield* Ref.make<ReadonlyArray<Step>>(options?.script ?? [])
      const issued = yield* Ref.make(new Map<string, Issued>())
      const counter = yield* Ref.make(0)
      const tokenRequests = yield* Ref.make<ReadonlyArray<TokenRequest>>([])
      const resourceRequests = yield* Ref.make<
        ReadonlyArray<{ readonly url: string; readonly authorization: string | undefined; readonly status: number }>
      >([])

      const answerToken = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.gen(function* () {
          const params = formOf(request)
          yield* Ref.update(tokenRequests, (all) => [...all, { params, authorization: request.headers.authorization }])
          const step = yield* Ref.modify(script, (steps): [Step, ReadonlyArray<Step>] =>
            steps.length === 0 ? [token(), steps] : [steps[0]!, steps.slice(1)]
          )
          switch (step._tag) {
            case "Error":
              return json(request, step.status, {
                error: step.error,
                ...(step.description === undefined ? {} : { error_description: step.description })
              })
            case "Status":
              return HttpClientResponse.fromWeb(
                request,
                new Response(step.body, { status: step.status, headers: step.headers })
              )
            case "Token": {
              const n = yield* Ref.updateAndGet(counter, (n) => n + 1)
              const now = yield* Clock.currentTimeMillis
              const accessToken = step.accessToken ?? `access-${n}`
              const expiresIn = step.expiresIn === undefined ? 3600 : step.expiresIn
              yield* Ref.update(issued, (map) =>
                new Map(map).set(accessToken, {
                  expiresAt: expiresIn === null ? undefined : now + Duration.toMillis(Duration.seconds(expiresIn))
                })
              )
              return json(request, 200, {
                access_token: accessToken,
                token_type: step.tokenType ?? "Bearer",
                ...(expiresIn === null ? {} : { expires_in: expiresIn }),
                ...refreshTokenField(step.refreshToken, params.grant_type, n),
                ...(step.scope === undefined ? {} : { scope: step.scope }),
                ...(issuer !== undefined && params.grant_type === "authorization_code"
                  ? { id_token: yield* idToken(issuer, params) }
                  : {})
              })
            }
          }
        })

      const answerResource = (request: HttpClientRequest.HttpClientRequest, url: URL) =>
        Effect.gen(function* () {
          const authorization = request.headers.authorization
          const presented = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1]
          const now = yield* Clock.currentTimeMillis
          const record = presented === undefined ? undefined : (yield* Ref.get(issued)).get(presented)
          const valid = record !== undefined && (record.expiresAt === undefined || now < record.expiresAt)
          const status = valid ? 200 : 401
          yield* Ref.update(resourceRequests, (all) => [...all, { url: url.toString(), authorization, status }])
          return valid
            ? json(request, 200, { ok: true })
            : json(request, 401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' })
        })

      // OpenID Connect Core 3.1.3.3: the code's id_token, with the nonce of the authorization that gave the code
      const idToken = (issuer: string, params: Readonly<Record<string, string>>) =>
        Effect.gen(function* () {
          const visits = Option.isSome(browser) ? yield* browser.value.visits : []
          const visit = visits.find((visit) => visit.redirect !== undefined && codeOf(visit.redirect) === params.code)
          const claims: Record<string, unknown> = { iss: issuer, sub: "test-user" }
          const clientId = params.client_id ?? visit?.params.client_id
          if (clientId !== undefined) claims.aud = clientId
          if (visit?.params.nonce !== undefined) claims.nonce = visit.params.nonce
          return yield* createToken({ claims, privateKey: signingKey })
        })

      const discovery = (request: HttpClientRequest.HttpClientRequest, url: URL) => {
        const at = `${url.origin}${url.pathname}`
        if (issuer === undefined || request.method !== "GET") return undefined
        if (at === `${issuer}/.well-known/openid-configuration`) {
          return json(request, 200, {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: tokenUrl,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ["code", "id_token", "id_token token", "code id_token"],
            id_token_signing_alg_values_supported: ["ES256"]
          })
        }
        return at === `${issuer}/jwks` ? json(request, 200, jwks) : undefined
      }

      const client = HttpClient.make((request, url) =>
        Effect.catchAllDefect(
          `${url.origin}${url.pathname}` === tokenUrl && request.method === "POST"
            ? answerToken(request)
            : Effect.suspend(() => {
                const document = discovery(request, url)
                return document === undefined ? answerResource(request, url) : Effect.succeed(document)
              }),
          (cause) => Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))
        )
      )

      return Context.make(HttpClient.HttpClient, client).pipe(
        Context.add(TestAuthorizationServer, {
          tokenRequests: Ref.get(tokenRequests),
          resourceRequests: Ref.get(resourceRequests),
          revoke: (accessToken) =>
            Ref.update(issued, (map) => {
              const next = new Map(map)
              next.delete(accessToken)
              return next
            }),
          script: (...steps) => Ref.update(script, (all) => [...all, ...steps])
        })
      )
    })
  )
