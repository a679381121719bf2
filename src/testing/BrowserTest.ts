/**
 * A stand-in for the person and the authorization server of a browser
 * grant, in a user's tests: the `Browser` it provides "visits" each
 * authorization URL and answers the redirect listener over the loopback
 * socket as an authorization server would (code in the query, token in the
 * fragment, `form_post`, an error, a missing or wrong state, or no reply at
 * all), and records what happened for assertions afterwards.
 *
 * It answers an OAuth 1.0a authorization too (`OAuth1.authorize`): the URL's
 * `oauth_token` and `oauth_callback` tell it where the person returns, an
 * approval brings `oauth_verifier` back, a refusal `denied` (as X does).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Browser from "../Browser.js"
import { halfHash } from "../internal/idToken.js"
import { fragmentMarker } from "../internal/redirectPages.js"
import * as testSigning from "../internal/testSigning.js"
import type { ResponseMode } from "../RedirectListener.js"
import { createToken } from "./createToken.js"

/**
 * How a reply treats `state`: send back the one received (`"echo"`, as a
 * server does), leave it out (`"omit"`), or send another value.
 *
 * @since 0.1.0
 * @category models
 */
export type StateReply = "echo" | "omit" | { readonly value: string }

/**
 * @since 0.1.0
 * @category models
 */
export interface ReplyOptions {
  /** Fields of the redirect, added to (or replacing) the ones the reply makes up. */
  readonly fields?: Readonly<Record<string, string>> | undefined
  /** How the redirect carries them. Default from the URL's `response_mode`, else `query` for a code and `fragment` for tokens. */
  readonly responseMode?: ResponseMode | undefined
  /** Default `"echo"`. */
  readonly state?: StateReply | undefined
  /** The `iss` of the id_token the reply makes up: the grant's `issuer`. Default the authorization URL's origin. */
  readonly issuer?: string | undefined
  /**
   * Claims of the id_token the reply makes up, added to (or replacing) its
   * own (`iss`, `sub: "test-user"`, `aud`, `nonce`, `c_hash`, `at_hash`):
   * another person (`{ sub: "bob" }`), or a wrong claim a grant must refuse.
   */
  readonly claims?: Readonly<Record<string, unknown>> | undefined
}

/**
 * One scripted visit.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply =
  | { readonly _tag: "Approve"; readonly options: ReplyOptions }
  | {
      readonly _tag: "Error"
      readonly error: string
      readonly description?: string | undefined
      readonly uri?: string | undefined
      readonly options: ReplyOptions
    }
  | { readonly _tag: "NoReply" }

/**
 * The public key of BrowserTest's id_tokens, as a JWK Set: serve it as the
 * issuer's `jwks_uri` (`TestAuthorizationServer.layer({ issuer })` does), and
 * a grant given `issuer` validates the id_tokens BrowserTest makes up.
 *
 * @example
 * ```ts
 * import { BrowserTest } from "effect-http-auth/testing"
 *
 * const body = JSON.stringify(BrowserTest.jwks) // {"keys":[{"kty":"EC","crv":"P-256",...}]}
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const jwks: { readonly keys: ReadonlyArray<Readonly<Record<string, string>>> } = testSigning.jwks

/**
 * Approves as an authorization server would for the URL's `response_type`:
 * `code` gets `code=code-N` in the query; `token` gets `access_token=access-N`,
 * `token_type=Bearer` and `expires_in=3600` in the fragment; `id_token` gets
 * an id_token signed with the key of `jwks` (ES256): `iss` the reply's
 * `issuer`, `sub` `test-user`, `aud` the URL's `client_id`, its `nonce`, and
 * the `c_hash` and `at_hash` of the code and token beside it (OpenID Connect
 * Core 3.3.2.11).
 *
 * @example
 * ```ts
 * import { BrowserTest } from "effect-http-auth/testing"
 *
 * const AsAPerson = BrowserTest.layer(BrowserTest.approve(), BrowserTest.approve({ responseMode: "form_post" }))
 * ```
 *
 * @since 0.1.0
 * @category replies
 */
export const approve = (options: ReplyOptions = {}): Reply => ({ _tag: "Approve", options })

/**
 * A code in the query (`response_type=code`).
 *
 * @since 0.1.0
 * @category replies
 */
export const code = (value: string, options: ReplyOptions = {}): Reply =>
  approve({ responseMode: "query", ...options, fields: { code: value, ...options.fields } })

/**
 * A token in the fragment (implicit grant, RFC 6749 section 4.2.2).
 *
 * @since 0.1.0
 * @category replies
 */
export const token = (fields: Readonly<Record<string, string>>, options: ReplyOptions = {}): Reply =>
  approve({ responseMode: "fragment", ...options, fields: { ...fields, ...options.fields } })

/**
 * The approval posted as a form (OAuth 2.0 Form Post Response Mode).
 *
 * @since 0.1.0
 * @category replies
 */
export const formPost = (options: ReplyOptions = {}): Reply => approve({ ...options, responseMode: "form_post" })

/**
 * An OAuth 1.0a approval with this `oauth_verifier` (the default is
 * `verifier-N` for the Nth visit).
 *
 * @example
 * ```ts
 * import { BrowserTest } from "effect-http-auth/testing"
 *
 * const Approving = BrowserTest.layer(BrowserTest.verifier("hfdp7dh39dks9884"))
 * ```
 *
 * @since 0.1.0
 * @category replies
 */
export const verifier = (value: string, options: ReplyOptions = {}): Reply =>
  approve({ ...options, fields: { oauth_verifier: value, ...options.fields } })

/**
 * The person refuses: OAuth 2 gets an `access_denied` error redirect, OAuth
 * 1.0a a callback with `denied=<request token>` and no verifier.
 *
 * @since 0.1.0
 * @category replies
 */
export const deny = (options: ReplyOptions = {}): Reply => error("access_denied", options)

/**
 * An error redirect (RFC 6749 section 4.1.2.1), with the state echoed.
 *
 * @example
 * ```ts
 * import { BrowserTest } from "effect-http-auth/testing"
 *
 * const Refusing = BrowserTest.layer(BrowserTest.error("access_denied", { description: "the user said no" }))
 * ```
 *
 * @since 0.1.0
 * @category replies
 */
export const error = (
  code: string,
  options: ReplyOptions & { readonly description?: string | undefined; readonly uri?: string | undefined } = {}
): Reply => ({ _tag: "Error", error: code, description: options.description, uri: options.uri, options })

/**
 * An approval without `state`: the listener answers it with a 400 page
 * (`StateNotProvided`'s message) and waits on for the real callback, so the
 * authorization ends in `AuthorizationTimeout` unless another reply follows.
 *
 * @since 0.1.0
 * @category replies
 */
export const missingState = (options: ReplyOptions = {}): Reply => approve({ ...options, state: "omit" })

/**
 * An approval with another `state`: a 400 page (`StateMismatch`'s message),
 * and the listener waits on, as for `missingState`.
 *
 * @since 0.1.0
 * @category replies
 */
export const wrongState = (options: ReplyOptions = {}): Reply =>
  approve({ ...options, state: { value: "not-the-state-that-was-sent" } })

/**
 * No redirect at all: the person closed the tab (the listener times out).
 *
 * @since 0.1.0
 * @category replies
 */
export const noReply: Reply = { _tag: "NoReply" }

/**
 * What one visit did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Visit {
  /** The authorization URL that was opened. */
  readonly url: string
  /** Its query parameters. */
  readonly params: Readonly<Record<string, string>>
  /** The reply that was played. */
  readonly reply: Reply["_tag"]
  /** The redirect sent to the listener, fragment included (`undefined` for no reply). */
  readonly redirect: string | undefined
  readonly responseMode: ResponseMode | undefined
  /** The listener's answer: its status and page. */
  readonly status: number | undefined
  readonly page: string | undefined
  /** Why the visit could not reach the listener (no `redirect_uri`, connection refused). */
  readonly problem: string | undefined
}

/**
 * The record of the visits, for assertions.
 *
 * @since 0.1.0
 * @category tags
 */
export class BrowserTest extends Context.Tag("effect-http-auth/testing/BrowserTest")<
  BrowserTest,
  { readonly visits: Effect.Effect<ReadonlyArray<Visit>> }
>() {}

/**
 * Every visit so far, in order.
 *
 * @since 0.1.0
 * @category accessors
 */
export const visits: Effect.Effect<ReadonlyArray<Visit>, never, BrowserTest> = Effect.flatMap(
  BrowserTest,
  (test) => test.visits
)

const made = (
  responseType: string,
  params: Readonly<Record<string, string>>,
  n: number,
  issuer: string,
  overrides: Readonly<Record<string, string>>,
  claimOverrides: Readonly<Record<string, unknown>>
) =>
  Effect.gen(function* () {
    const types = responseType.split(" ").filter((type) => type !== "")
    const fields: Record<string, string> = {}
    if (types.includes("code")) fields.code = `code-${n}`
    if (types.includes("token")) {
      fields.access_token = `access-${n}`
      fields.token_type = "Bearer"
      fields.expires_in = "3600"
    }
    if (types.includes("id_token")) {
      const claims: Record<string, unknown> = { iss: issuer, sub: "test-user" }
      if (params.nonce !== undefined) claims.nonce = params.nonce
      if (params.client_id !== undefined) claims.aud = params.client_id
      // the hashes of what the redirect carries, a code or token of the reply's own included
      const sent = { ...fields, ...overrides }
      if (sent.code !== undefined) claims.c_hash = halfHash("ES256", sent.code)
      if (sent.access_token !== undefined) claims.at_hash = halfHash("ES256", sent.access_token)
      fields.id_token = yield* createToken({
        claims: { ...claims, ...claimOverrides },
        privateKey: testSigning.signingKey
      })
    }
    return { fields, codeOnly: types.length === 1 && types[0] === "code" }
  })

const send = (url: string, init?: RequestInit) =>
  Effect.tryPromise(() =>
    fetch(url, { redirect: "manual", ...init }).then(async (response) => ({
      status: response.status,
      page: await response.text()
    }))
  )

const post = (url: string, fields: URLSearchParams) =>
  send(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: fields.toString()
  })

const withQuery = (uri: string, fields: URLSearchParams) => `${uri}${uri.includes("?") ? "&" : "?"}${fields}`

const visit = (url: string, reply: Reply, n: number) =>
  Effect.gen(function* () {
    let params: Record<string, string> = {}
    try {
      params = Object.fromEntries(new URL(url).searchParams)
    } catch {
      // recorded below as a problem
    }
    const base = { url, params, reply: reply._tag }
    if (params.oauth_token !== undefined && params.redirect_uri === undefined && reply._tag !== "NoReply") {
      return yield* visitOAuth1(base, params, reply, n)
    }
    const redirectUri = params.redirect_uri
    if (reply._tag === "NoReply" || redirectUri === undefined) {
      return {
        ...base,
        redirect: undefined,
        responseMode: undefined,
        status: undefined,
        page: undefined,
        problem: reply._tag === "NoReply" ? undefined : "the authorization URL has no redirect_uri"
      } satisfies Visit
    }
    const issuer = reply.options.issuer ?? new URL(url).origin
    const { fields: madeUp, codeOnly } = yield* made(
      params.response_type ?? "code",
      params,
      n,
      issuer,
      reply.options.fields ?? {},
      reply.options.claims ?? {}
    )
    const fields = new URLSearchParams(
      reply._tag === "Error"
        ? {
            error: reply.error,
            ...(reply.description === undefined ? {} : { error_description: reply.description }),
            ...(reply.uri === undefined ? {} : { error_uri: reply.uri })
          }
        : madeUp
    )
    for (const [name, value] of Object.entries(reply.options.fields ?? {})) fields.set(name, value)
    const state = reply.options.state ?? "echo"
    if (state === "echo" && params.state !== undefined) fields.set("state", params.state)
    if (typeof state === "object") fields.set("state", state.value)
    const declared = params.response_mode
    const responseMode: ResponseMode =
      reply.options.responseMode ??
      (declared === "query" || declared === "fragment" || declared === "form_post"
        ? declared
        : codeOnly
          ? "query"
          : "fragment")

    const answer = yield* Effect.either(
      responseMode === "query"
        ? Effect.map(send(withQuery(redirectUri, fields)), (answer) => ({
            ...answer,
            redirect: withQuery(redirectUri, fields)
          }))
        : responseMode === "form_post"
          ? Effect.map(post(redirectUri, fields), (answer) => ({ ...answer, redirect: redirectUri }))
          : // A browser loads the redirect URI without the fragment, and the
            // listener's page posts the fragment back: do what its script does.
            Effect.zipRight(
              send(redirectUri),
              Effect.map(post(redirectUri, new URLSearchParams([...fields, [fragmentMarker, "1"]])), (answer) => ({
                ...answer,
                redirect: `${redirectUri}#${fields}`
              }))
            )
    )
    return answer._tag === "Right"
      ? ({ ...base, ...answer.right, responseMode, problem: undefined } satisfies Visit)
      : ({
          ...base,
          redirect: undefined,
          responseMode,
          status: undefined,
          page: undefined,
          problem: `the listener at ${redirectUri} could not be reached: ${String(answer.left.error)}`
        } satisfies Visit)
  })

/**
 * An OAuth 1.0a authorization (RFC 5849 section 2.2): back to
 * `oauth_callback` with `oauth_token` and `oauth_verifier` (or `denied`), as
 * a browser follows the provider's redirect: when the page it gets is the
 * listener's fragment page, it does what the page's script does.
 */
const visitOAuth1 = (
  base: { readonly url: string; readonly params: Readonly<Record<string, string>>; readonly reply: Reply["_tag"] },
  params: Readonly<Record<string, string>>,
  reply: Exclude<Reply, { readonly _tag: "NoReply" }>,
  n: number
) =>
  Effect.gen(function* () {
    const callback = params.oauth_callback
    if (callback === undefined || callback === "oob") {
      return {
        ...base,
        redirect: undefined,
        responseMode: undefined,
        status: undefined,
        page: undefined,
        problem: "the OAuth 1 authorization URL has no oauth_callback to return to"
      } satisfies Visit
    }
    const fields = new URLSearchParams(
      reply._tag === "Error"
        ? { denied: params.oauth_token! }
        : { oauth_token: params.oauth_token!, oauth_verifier: `verifier-${n}` }
    )
    for (const [name, value] of Object.entries(reply.options.fields ?? {})) fields.set(name, value)
    const redirect = withQuery(callback, fields)
    const answer = yield* Effect.either(
      Effect.flatMap(send(redirect), (answer) =>
        answer.page.includes(fragmentMarker)
          ? post(redirect, new URLSearchParams([[fragmentMarker, "1"]]))
          : Effect.succeed(answer)
      )
    )
    return answer._tag === "Right"
      ? ({ ...base, ...answer.right, redirect, responseMode: "query", problem: undefined } satisfies Visit)
      : ({
          ...base,
          redirect: undefined,
          responseMode: "query",
          status: undefined,
          page: undefined,
          problem: `the listener at ${callback} could not be reached: ${String(answer.left.error)}`
        } satisfies Visit)
  })

/**
 * Provides the `Browser` and the `BrowserTest` record: each authorization
 * URL opened gets the next reply; past the last one, `approve()`.
 *
 * @example
 * ```ts
 * import { BrowserTest } from "effect-http-auth/testing"
 * import { Effect } from "effect"
 *
 * const test = Effect.gen(function* () {
 *   // ... run the program that authorizes ...
 *   const [visit] = yield* BrowserTest.visits
 *   // visit.params.code_challenge_method === "S256", visit.status === 200
 * }).pipe(Effect.provide(BrowserTest.layer(BrowserTest.approve())))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (...replies: ReadonlyArray<Reply>): Layer.Layer<BrowserTest> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const log = yield* Ref.make<ReadonlyArray<Visit>>([])
      const open = (url: string) =>
        Effect.gen(function* () {
          const n = (yield* Ref.get(log)).length + 1
          const done = yield* visit(url, replies[n - 1] ?? approve(), n)
          yield* Ref.update(log, (all) => [...all, done])
        })
      return Layer.merge(Browser.layerFrom(open), Layer.succeed(BrowserTest, { visits: Ref.get(log) }))
    })
  )
