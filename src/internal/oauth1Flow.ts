/**
 * The three-legged flow of OAuth 1.0a (RFC 5849 section 2): temporary
 * credentials, the person's authorization through the browser and the
 * loopback listener, token credentials; and the auth that runs it once and
 * signs with what it got. Re-exported by `OAuth1`.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { AuthenticationFailed, type AuthError, type InvalidOptions, OAuth1Error } from "../AuthError.js"
import * as Browser from "../Browser.js"
import * as HttpAuth from "../HttpAuth.js"
import type {
  AuthorizeOptions,
  Credentials,
  FetchAccessTokenOptions,
  FetchRequestTokenOptions,
  TokenStepOptions
} from "../OAuth1.js"
import { makeFor as makeListener } from "./redirectListener.js"
import * as SecureRandom from "../SecureRandom.js"
import * as Token from "../Token.js"
import * as TokenCache from "../TokenCache.js"
import { withSend } from "./client.js"
import { discard, send, transportCause } from "./http.js"
import {
  encodePairs,
  endpointOf,
  makeSigner,
  oauthParams,
  parseForm,
  problemIn,
  responseProblem,
  safeBody,
  type Signer,
  signRequest,
  type TokenParams
} from "./oauth1.js"
import { validateByteCount, validateDuration, validateUrl } from "./oauth2Options.js"
import { invalid, resolveSecret, type SecretInput } from "./options.js"

const FORM = "application/x-www-form-urlencoded"

const readSecret = (input: SecretInput | undefined, scheme: string, option: string) =>
  input === undefined ? Effect.succeed(undefined) : resolveSecret(input, scheme, option)

/** `OAuth1.make`'s token options, read once. */
export const tokenParams = (
  options: {
    readonly token?: SecretInput | undefined
    readonly tokenSecret?: SecretInput | undefined
    readonly callback?: string | undefined
    readonly verifier?: SecretInput | undefined
  },
  scheme: string
): Effect.Effect<TokenParams, InvalidOptions> =>
  Effect.gen(function* () {
    const token = yield* readSecret(options.token, scheme, "token")
    const tokenSecret =
      options.tokenSecret === undefined
        ? undefined
        : yield* resolveSecret(options.tokenSecret, scheme, "tokenSecret", { allowEmpty: true })
    if (tokenSecret !== undefined && token === undefined) {
      return yield* Effect.fail(invalid(scheme, "token", "is needed with a tokenSecret"))
    }
    const verifier = yield* readSecret(options.verifier, scheme, "verifier")
    if (options.callback !== undefined && options.callback !== "oob") {
      yield* validateUrl(options.callback, scheme, "callback")
    }
    return {
      token: token === undefined ? undefined : Redacted.value(token),
      tokenSecret,
      callback: options.callback,
      verifier: verifier === undefined ? undefined : Redacted.value(verifier)
    }
  })

// --- responses ---------------------------------------------------------------

/** Token problems: the credentials are no good, and another authorization may help. */
const TOKEN_PROBLEMS = new Set([
  "token_used",
  "token_expired",
  "token_revoked",
  "token_rejected",
  "permission_unknown",
  "permission_denied",
  "additional_authorization_required"
])

/** Fails with the problem a 400 or 401 reports; other responses pass. */
export const checkResponse = (
  response: HttpClientResponse.HttpClientResponse,
  scheme: string
): Effect.Effect<HttpClientResponse.HttpClientResponse, OAuth1Error | AuthenticationFailed> =>
  response.status !== 400 && response.status !== 401
    ? Effect.succeed(response)
    : Effect.flatMap(responseProblem(response, scheme), ({ problem, response }) =>
        problem === undefined ? Effect.succeed(response) : Effect.fail(problem)
      )

/** A signing auth: each request signed, each reported problem a typed failure. */
export const signingAuth = (signer: Signer, token: TokenParams): HttpAuth.HttpAuth =>
  HttpAuth.make(
    <E, R>(client: HttpClient.HttpClient.With<E, R>) =>
      withSend(client, (request, send) =>
        signRequest(signer, token, request).pipe(
          Effect.flatMap(send),
          Effect.flatMap((response) => checkResponse(response, signer.scheme))
        )
      ) as HttpClient.HttpClient.With<E | AuthError, R>,
    { headers: ["authorization"], params: oauthParams }
  )

/** The fields of a credentials response (section 2.1, 2.3), or why there are none. */
const credentialsOf = (
  response: HttpClientResponse.HttpClientResponse,
  text: string,
  endpoint: string
): Effect.Effect<Credentials, OAuth1Error> =>
  Effect.gen(function* () {
    if (response.status < 200 || response.status >= 300) {
      const problem = problemIn(response, text)
      if (problem !== undefined) return yield* Effect.fail(problem)
      return yield* Effect.fail(
        new OAuth1Error({
          problem: `http_${response.status}`,
          advice:
            response.status === 401
              ? "The provider refused the request without saying why: check the consumer key and secret (or RSA key), and that this machine's clock is right."
              : undefined,
          status: response.status,
          endpoint,
          body: text === "" ? undefined : safeBody(text)
        })
      )
    }
    const fields = Object.fromEntries(parseForm(text))
    const token = fields.oauth_token
    const tokenSecret = fields.oauth_token_secret
    if (token === undefined || token === "" || tokenSecret === undefined) {
      return yield* Effect.fail(
        new OAuth1Error({
          problem: "invalid_response",
          advice: `The answer has no oauth_token and oauth_token_secret (it has: ${
            Object.keys(fields).join(", ") || "nothing"
          }): check the URL`,
          status: response.status,
          endpoint
        })
      )
    }
    const others: Record<string, string> = {}
    for (const [name, value] of Object.entries(fields)) {
      if (name !== "oauth_token" && name !== "oauth_token_secret") others[name] = value
    }
    return { token: Redacted.make(token), tokenSecret: Redacted.make(tokenSecret), fields: others }
  })

/** How long a token step may take and how much of its answer is read: `tokenTimeout`, `maxResponseBytes`. */
interface StepBounds {
  readonly timeout: Duration.Duration
  readonly maxBytes: number
}

/** The bounds of the token steps, checked when built; the OAuth 2 grants' defaults (60 seconds, 1 MiB). */
const stepBounds = (options: TokenStepOptions, scheme: string): Effect.Effect<StepBounds, InvalidOptions> =>
  Effect.all({
    timeout: validateDuration(options.tokenTimeout, "60 seconds", scheme, "tokenTimeout", { positive: true }),
    maxBytes: validateByteCount(options.maxResponseBytes, 1024 * 1024, scheme, "maxResponseBytes")
  })

/**
 * One token step: a signed POST (section 2.1, 2.3) through the one bounded
 * send, its answer read as credentials.
 */
const tokenStep = (
  client: HttpClient.HttpClient,
  signer: Signer,
  bounds: StepBounds,
  url: string,
  token: TokenParams
): Effect.Effect<Credentials, AuthError> => {
  const endpoint = endpointOf(url)
  const post = HttpClientRequest.post(url)
  // signatureType "body" needs a form body: an empty one
  const request = signer.type === "body" ? HttpClientRequest.setBody(post, HttpBody.text("", FORM)) : post
  const failed = (reason: string, cause?: Error) =>
    new AuthenticationFailed({ scheme: signer.scheme, reason, ...(cause === undefined ? {} : { cause }) })
  return signRequest(signer, token, request).pipe(
    Effect.flatMap((signed) =>
      send(client, signed, {
        timeout: bounds.timeout,
        maxBytes: bounds.maxBytes,
        words: {
          timeout: `${endpoint} gave no answer`,
          unreachable: `could not reach ${endpoint}`,
          unreadable: `could not read the answer of ${endpoint}`
        },
        // never the client's error: its request carries the signature (PLAINTEXT: the secrets)
        error: (reason, failure) =>
          failure === undefined
            ? failed(`${reason} (tokenTimeout): check the URL, or raise tokenTimeout for a slow provider`)
            : failed(reason, transportCause(failure))
      })
    ),
    Effect.flatMap(
      ({ response, text }): Effect.Effect<Credentials, AuthError> =>
        text === undefined
          ? Effect.fail(
              failed(
                `${endpoint} answered HTTP ${response.status} with a body larger than ${bounds.maxBytes} bytes (maxResponseBytes): not read`
              )
            )
          : credentialsOf(response, text, endpoint)
    )
  )
}

export const fetchRequestToken = (
  options: FetchRequestTokenOptions
): Effect.Effect<Credentials, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const scheme = "OAuth1.fetchRequestToken"
    const signer = yield* makeSigner(options, scheme)
    const bounds = yield* stepBounds(options, scheme)
    const url = yield* validateUrl(options.url, scheme, "url")
    const callback = options.callback ?? "oob"
    if (callback !== "oob") yield* validateUrl(callback, scheme, "callback")
    const client = yield* HttpClient.HttpClient
    return yield* requestTokenWith(client, signer, bounds, url, callback)
  })

const requestTokenWith = (
  client: HttpClient.HttpClient,
  signer: Signer,
  bounds: StepBounds,
  url: string,
  callback: string
) =>
  Effect.flatMap(tokenStep(client, signer, bounds, url, { callback }), (credentials) =>
    // Section 2.1: "MUST be present and set to true": a 1.0 provider, open to session fixation
    credentials.fields.oauth_callback_confirmed === "true"
      ? Effect.succeed(credentials)
      : Effect.fail(new OAuth1Error({ problem: "callback_not_confirmed", endpoint: endpointOf(url) }))
  )

export const fetchAccessToken = (
  options: FetchAccessTokenOptions
): Effect.Effect<Credentials, AuthError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const scheme = "OAuth1.fetchAccessToken"
    const signer = yield* makeSigner(options, scheme)
    const bounds = yield* stepBounds(options, scheme)
    const url = yield* validateUrl(options.url, scheme, "url")
    const token = yield* resolveSecret(options.token, scheme, "token")
    const tokenSecret = yield* resolveSecret(options.tokenSecret, scheme, "tokenSecret", { allowEmpty: true })
    const verifier = yield* resolveSecret(options.verifier, scheme, "verifier")
    const client = yield* HttpClient.HttpClient
    return yield* tokenStep(client, signer, bounds, url, {
      token: Redacted.value(token),
      tokenSecret,
      verifier: Redacted.value(verifier)
    })
  })

/** Section 2.2: the authorization URL with `oauth_token` added to any query it has. */
export const authorizationUrl = (
  url: string,
  requestToken: Credentials | string | Redacted.Redacted<string>,
  params?: Readonly<Record<string, string>>
): string => {
  const parsed = new URL(url)
  for (const [name, value] of Object.entries(params ?? {})) parsed.searchParams.set(name, value)
  const token =
    typeof requestToken === "string"
      ? requestToken
      : Redacted.isRedacted(requestToken)
        ? Redacted.value(requestToken)
        : Redacted.value(requestToken.token)
  parsed.searchParams.set("oauth_token", token)
  return parsed.toString()
}

// --- the three-legged auth ---------------------------------------------------

/** The credentials as the token cache keeps them: the provider's own form, Redacted. */
const toToken = (credentials: Credentials): Token.Token =>
  new Token.Token({
    accessToken: Redacted.make(
      encodePairs([
        ["oauth_token", Redacted.value(credentials.token)],
        ["oauth_token_secret", Redacted.value(credentials.tokenSecret)]
      ])
    ),
    tokenType: "OAuth1",
    // Token credentials do not expire by time (RFC 5849 section 2.3); a 401 drops them
    expiresAt: Number.MAX_SAFE_INTEGER,
    fields: credentials.fields
  })

const fromToken = (token: Token.Token): TokenParams => {
  const fields = Object.fromEntries(parseForm(Redacted.value(token.accessToken)))
  return { token: fields.oauth_token, tokenSecret: Redacted.make(fields.oauth_token_secret ?? "") }
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const withQuery = (uri: string, name: string, value: string) => {
  const url = new URL(uri)
  url.searchParams.set(name, value)
  return url.toString()
}

export const authorize = (
  options: AuthorizeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = options.scheme ?? "OAuth1.authorize"
    const signer = yield* makeSigner(options, scheme)
    const bounds = yield* stepBounds(options, scheme)
    const requestTokenUrl = yield* validateUrl(options.requestTokenUrl, scheme, "requestTokenUrl")
    const authorizationBase = yield* validateUrl(options.authorizationUrl, scheme, "authorizationUrl")
    const accessTokenUrl = yield* validateUrl(options.accessTokenUrl, scheme, "accessTokenUrl")
    const listener = yield* makeListener(options, scheme)
    // The browser, randomness and client of the program that builds the auth,
    // whatever fiber later finds the credentials missing.
    const browser = yield* Browser.Browser
    const random = yield* SecureRandom.SecureRandom
    const client = yield* HttpClient.HttpClient
    const cache =
      options.cache ??
      Option.getOrUndefined(yield* Effect.serviceOption(TokenCache.TokenCache)) ??
      (yield* TokenCache.make())
    const onToken = options.onToken ?? (() => Effect.void)
    const secretHash = createHash("sha256")
      .update(
        JSON.stringify([
          signer.keys.clientSecret === undefined ? null : Redacted.value(signer.keys.clientSecret),
          signer.keys.rsaKey?.export({ format: "jwk" }).n ?? null,
          requestTokenUrl,
          authorizationBase,
          signer.method
        ])
      )
      .digest("base64url")
      .slice(0, 22)
    const key = `oauth1 ${accessTokenUrl} ${signer.clientId} ${secretHash}`

    const dance: Effect.Effect<Token.Token, AuthError> = Effect.gen(function* () {
      const failed = yield* Deferred.make<never, AuthError>()
      let redirect: { readonly redirectUri: string; readonly state: string } | undefined
      let requestToken: Credentials | undefined
      // The listener knows its redirect URI (and port) only once it listens, and the
      // temporary credentials request must carry it as oauth_callback (section 2.1):
      // so the request is made when the listener asks the browser to open the URL.
      const open = (_: string) =>
        Effect.gen(function* () {
          // the listener's state rides in the callback's query, which section 2.2 keeps
          const callback = withQuery(redirect!.redirectUri, "state", redirect!.state)
          requestToken = yield* requestTokenWith(client, signer, bounds, requestTokenUrl, callback)
          // oauth_callback too, as OAuth Core 1.0 section 6.2.1 had it: ignored by 1.0a providers,
          // and it tells a test browser (BrowserTest) where the person returns
          yield* browser.open(
            authorizationUrl(authorizationBase, requestToken, {
              ...options.authorizationParams,
              oauth_callback: callback
            })
          )
        }).pipe(
          Effect.provideService(SecureRandom.SecureRandom, random),
          Effect.catchAll((error) => Effect.zipRight(Deferred.fail(failed, error), Effect.never))
        )
      const received = yield* Effect.raceFirst(
        listener
          .authorize({
            grantField: "oauth_verifier",
            url: (r) => {
              redirect = r
              return r.redirectUri
            }
          })
          .pipe(
            Effect.provideService(Browser.Browser, { open }),
            Effect.provideService(SecureRandom.SecureRandom, random),
            Effect.catchIf(
              (error): error is Extract<typeof error, { _tag: "GrantNotProvided" }> =>
                error._tag === "GrantNotProvided" && error.field === "oauth_verifier",
              (error) =>
                Effect.fail(
                  new OAuth1Error({
                    problem: "user_refused",
                    advice: `The person came back without an oauth_verifier (the callback had: ${
                      error.received.filter((name) => !name.startsWith("effect_http_auth")).join(", ") || "nothing"
                    }): the authorization was refused or cancelled`
                  })
                )
            )
          ),
        Deferred.await(failed)
      )
      // Section 2.2: the callback names the request token; another one is a forgery
      const named = received.fields.oauth_token
      if (requestToken === undefined || named === undefined || !sameText(named, Redacted.value(requestToken.token))) {
        return yield* Effect.fail(new OAuth1Error({ problem: "token_mismatch" }))
      }
      const access = yield* tokenStep(client, signer, bounds, accessTokenUrl, {
        token: Redacted.value(requestToken.token),
        tokenSecret: requestToken.tokenSecret,
        verifier: Redacted.value(received.grant)
      }).pipe(Effect.provideService(SecureRandom.SecureRandom, random))
      yield* onToken(access)
      return toToken(access)
    })

    const credentials = cache.getOrFetch(key, () => dance, { earlyExpiry: 0 })

    return HttpAuth.make(
      <E, R>(inner: HttpClient.HttpClient.With<E, R>) =>
        withSend(inner, (request, send) => {
          const attempt = Effect.flatMap(credentials, (token) =>
            signRequest(signer, fromToken(token), request).pipe(
              Effect.flatMap(send),
              Effect.map((response) => ({ response, token }))
            )
          )
          return Effect.flatMap(attempt, ({ response, token }) => {
            if (response.status !== 401) return checkResponse(response, scheme)
            return Effect.flatMap(responseProblem(response, scheme), ({ problem, response }) =>
              // a signature, nonce or clock problem is not the token's: no new authorization would help
              problem !== undefined && !TOKEN_PROBLEMS.has(problem.problem)
                ? Effect.fail(problem)
                : // the credentials were refused: dropped, one more authorization, never a loop
                  cache.invalidate(key, token).pipe(
                    Effect.zipRight(discard(response)),
                    Effect.zipRight(attempt),
                    Effect.flatMap(({ response }) => checkResponse(response, scheme))
                  )
            )
          })
        }) as HttpClient.HttpClient.With<E | AuthError, R>,
      { headers: ["authorization"], params: oauthParams }
    )
  })
