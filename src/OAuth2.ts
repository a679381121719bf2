/**
 * OAuth 2 (RFC 6749) as an `HttpAuth`: the client credentials and resource
 * owner password grants, refresh (section 6), and the token engine they run
 * on (`make`): caching, one token request for many concurrent requests,
 * refresh before the full grant, a fresh token after a 401, and `onToken`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { AuthError, DiscoveryError, InvalidOptions } from "./AuthError.js"
import type * as ClientAuth from "./ClientAuth.js"
import * as Discovery from "./Discovery.js"
import type * as DPoP from "./DPoP.js"
import type * as HttpAuth from "./HttpAuth.js"
import * as assertionGrants from "./internal/oauth2Assertion.js"
import * as browserGrants from "./internal/oauth2Browser.js"
import * as deviceGrant from "./internal/oauth2Device.js"
import * as idTokens from "./internal/idToken.js"
import * as manage from "./internal/oauth2Manage.js"
import * as engine from "./internal/oauth2Engine.js"
import * as grants from "./internal/oauth2Grant.js"
import { cacheKey as makeCacheKey, validateNonEmpty } from "./internal/oauth2Options.js"
import { resolveSecret, resolveText, type SecretInput, type TextInput } from "./internal/options.js"
import type * as RedirectListener from "./RedirectListener.js"
import type * as Token from "./Token.js"
import type * as TokenCache from "./TokenCache.js"
import type * as TokenEndpoint from "./TokenEndpoint.js"

/**
 * What the engine needs: a way to get a token, and how to use it.
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions extends EngineOptions {
  /** The cache key: everything that makes this auth's token differ from another's (`OAuth2.cacheKey`). */
  readonly cacheKey: string
  /** The full grant: gets a new token (a token request, a browser login). */
  readonly grant: Effect.Effect<Token.Token, AuthError>
  /**
   * Renews an expired token that has a refresh token. A refresh the server
   * refuses with any RFC 6749 error drops the token and runs `grant` once.
   */
  readonly refresh?: ((expired: Token.Token) => Effect.Effect<Token.Token, AuthError>) | undefined
  /**
   * RFC 9449: the DPoP key of `grant`'s token requests (`DPoP.make`), for
   * the proofs on resource requests, `Authorization: DPoP <token>`, and the
   * nonces; a cached token bound to another key is not used.
   */
  readonly dpop?: DPoP.Prover | undefined
}

/**
 * The token engine, for grants of your own (the browser grants are built on
 * it): turns `grant` (an `Effect` that gets a token) into an `HttpAuth` that
 * reads the cached token without a lock, makes one token request for all
 * the requests that find it missing or expired, refreshes with `refresh`
 * when the expired token has a refresh token (falling back to `grant` once
 * when the server refuses the refresh), drops the token on a 401 and sends again with a fresh
 * one as `retryUnauthorized` allows, and calls `onToken` with each new token.
 *
 * @example
 * ```ts
 * import { OAuth2, TokenEndpoint } from "effect-http-auth"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const jwtBearer = (assertion: string) =>
 *   Effect.gen(function* () {
 *     const client = yield* HttpClient.HttpClient
 *     const tokenUrl = "https://issuer.example/token"
 *     return yield* OAuth2.make({
 *       cacheKey: OAuth2.cacheKey({ grant: "jwt-bearer", tokenUrl, params: { assertion } }),
 *       grant: TokenEndpoint.request(client, {
 *         tokenUrl,
 *         params: { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }
 *       })
 *     })
 *   })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: MakeOptions): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, Scope.Scope> =>
  engine.make("OAuth2.make", options)

/**
 * A cache key for `make`: the grant, token URL and client id in clear, then
 * a hash of the client secret, the scope (order-insensitive), the extra
 * parameters and any other secret (a password). Two auths that differ only
 * in a secret never share a token.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const key = OAuth2.cacheKey({
 *   grant: "authorization_code",
 *   tokenUrl: "https://issuer.example/token",
 *   clientId: "web",
 *   clientSecret: Redacted.make("s3cret"),
 *   scope: "openid profile"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const cacheKey: (parts: CacheKeyParts) => string = makeCacheKey

/**
 * What makes one token differ from another, for `cacheKey`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheKeyParts {
  /** The grant type, such as `"client_credentials"`. */
  readonly grant: string
  readonly tokenUrl: string
  readonly clientId?: string | undefined
  /** Only its hash goes into the key. */
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  /** Space-separated; the order does not matter. */
  readonly scope?: string | undefined
  /** Further request parameters; their order does not matter. */
  readonly params?: Readonly<Record<string, string>> | undefined
  /** Further secrets, such as the password grant's password: only their hashes go into the key. */
  readonly secrets?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
}

/**
 * How a grant's token is used and kept: every grant takes these.
 *
 * @since 0.1.0
 * @category models
 */
export interface EngineOptions {
  /** The header to set. Default `"Authorization"`. */
  readonly headerName?: string | undefined
  /** The header's value, `{token}` standing for the token. Default `"Bearer {token}"`. */
  readonly headerValue?: string | undefined
  /**
   * How long before its expiry a token is renewed. Default 30 seconds; 0
   * means 0. At most half the token's lifetime, so that a short-lived token
   * is used rather than fetched again on every request.
   */
  readonly earlyExpiry?: Duration.DurationInput | undefined
  /** When to send again with a fresh token after a 401 (the schedule gets the 401 response). Default `Schedule.once`. */
  readonly retryUnauthorized?: Schedule.Schedule<unknown, HttpClientResponse.HttpClientResponse> | undefined
  /** Called with each new token (Authlib's `update_token`), to keep it elsewhere. */
  readonly onToken?: ((token: Token.Token) => Effect.Effect<void>) | undefined
  /** The cache for this auth. Default: the `TokenCache` in context, else a memory cache of its own. */
  readonly cache?: TokenCache.Service | undefined
}

/**
 * Who the client is, and what it asks for: every grant takes these.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions {
  /** The client id; a `ClientAuth` value in `clientAuth` carries its own. */
  readonly clientId?: TextInput | undefined
  /** The client secret, for `client_secret_basic` and `client_secret_post`. */
  readonly clientSecret?: SecretInput | undefined
  /**
   * How the client authenticates to the token endpoint: a method name, or a
   * `ClientAuth` value, or an `Effect` of one (`ClientAuth.privateKeyJwt`,
   * which checks its key when the auth is built); a value carries the
   * client id, and no `clientSecret` is needed. Default
   * `"client_secret_basic"` with a secret, else `"none"` (`client_id` in the form).
   */
  readonly clientAuth?:
    | ClientAuth.Method
    | ClientAuth.ClientAuth
    | Effect.Effect<ClientAuth.ClientAuth, InvalidOptions>
    | undefined
  /** A string, or a list joined with spaces. Sent with the grant and with each refresh. */
  readonly scope?: string | ReadonlyArray<string> | undefined
}

/**
 * The token endpoint and its answers: every grant that makes a token request takes these.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenEndpointOptions extends IssuerOptions {
  /** The token endpoint; or give `issuer` and it is discovered. */
  readonly tokenUrl?: TextInput | undefined
  /** The token response's field that holds the token. Default `"access_token"`. */
  readonly tokenField?: string | undefined
  /** Lifetime of a token whose response says nothing of its expiry. Default 1 hour. */
  readonly defaultLifetime?: Duration.DurationInput | undefined
  /** Time allowed to each token request. Default 60 seconds. */
  readonly tokenTimeout?: Duration.DurationInput | undefined
  /** Retries of transient token endpoint failures. Default `TokenEndpoint.defaultRetry`. */
  readonly retry?: Schedule.Schedule<unknown, TokenEndpoint.TransientFailure> | undefined
  /** Further form fields of every token request, refreshes included (an `audience`, a `resource`). */
  readonly tokenParams?: Readonly<Record<string, string>> | undefined
  /** The longest `Retry-After` waited for; past it the request fails at once, saying what was asked. Default 60 seconds. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** The largest token response read, in bytes; a larger one is refused unread. Default 1 MiB. */
  readonly maxResponseBytes?: number | undefined
  /**
   * Compliance hook (Authlib's `access_token_request`): adjusts the form and
   * headers of each token request, after client authentication.
   */
  readonly tokenRequest?: TokenEndpoint.RequestHook | undefined
  /**
   * Compliance hook (Authlib's `access_token_response`): repairs a
   * provider's non-standard answer (a nested token, `expires` for
   * `expires_in`) before it is read; gets the decoded fields and the response.
   */
  readonly tokenResponse?: TokenEndpoint.ResponseHook | undefined
  /**
   * DPoP (RFC 9449): `true` for a fresh ES256 key per auth, kept in memory;
   * `{ key, alg? }` for a key of your own (a private JWK, `KeyObject`,
   * `CryptoKey` or PEM); or a `DPoP.make` prover. A proof on every token and
   * resource request, and `Authorization: DPoP <token>`. Default: off.
   */
  readonly dpop?: DPoP.Option | undefined
  /**
   * The identity provider's own client (its CA, client certificate or
   * proxy): the token, discovery, JWKS, device authorization, revocation
   * and introspection requests of the grant go through it, the API
   * requests through the client the auth wraps. An `HttpClient`, or a
   * `Layer` of one (`NodeTransport.layer(...)`), built in the auth's scope
   * so that it lives exactly as long as the auth. Default: the
   * `HttpClient` in context.
   */
  readonly tokenClient?: HttpClient.HttpClient | Layer.Layer<HttpClient.HttpClient, InvalidOptions> | undefined
}

/**
 * The options core that every grant shares; each grant adds only its own.
 *
 * @since 0.1.0
 * @category models
 */
export interface GrantOptions extends EngineOptions, ClientOptions, TokenEndpointOptions {}

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsOptions extends GrantOptions, RevokeOnCloseOptions {}

/**
 * @since 0.1.0
 * @category models
 */
export interface PasswordOptions extends GrantOptions, RevokeOnCloseOptions {
  readonly username: TextInput
  readonly password: SecretInput
}

/**
 * The client credentials grant (RFC 6749 section 4.4), httpx-auth's
 * `OAuth2ClientCredentials`: the application's own token, cached until it
 * expires.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth2 } from "effect-http-auth"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Config, Layer } from "effect"
 *
 * const AuthLive = HttpAuth.layer(
 *   OAuth2.clientCredentials({
 *     tokenUrl: "https://issuer.example/oauth/token",
 *     clientId: "my-app",
 *     clientSecret: Config.redacted("CLIENT_SECRET"),
 *     scope: ["read", "write"]
 *   })
 * ).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientCredentials = (
  options: ClientCredentialsOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "OAuth2.clientCredentials"
    const located = yield* grants.issuer(scheme, options)
    const endpoint = yield* grants.endpoint(scheme, options, { clientId: true, clientSecret: true }, located)
    const key = endpoint.cacheKey("client_credentials")
    return yield* engine.make(scheme, {
      ...(yield* manage.revokeOnClose(scheme, options, endpoint, located, key)),
      cacheKey: key,
      grant: endpoint.request({
        grant_type: "client_credentials",
        ...(endpoint.scope === undefined ? {} : { scope: endpoint.scope })
      }),
      // RFC 6749 section 4.4.3: no refresh token should come; if one does, it is used
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient("OAuth2.clientCredentials", options))

/**
 * The resource owner password credentials grant (RFC 6749 section 4.3),
 * httpx-auth's `OAuth2ResourceOwnerPasswordCredentials`. With a refresh
 * token (ask for `offline_access` where the server wants it), an expired
 * token is refreshed first.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = OAuth2.password({
 *   tokenUrl: "https://issuer.example/oauth/token",
 *   username: "alice",
 *   password: Config.redacted("PASSWORD"),
 *   clientId: "cli",
 *   scope: "openid offline_access"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const password = (
  options: PasswordOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "OAuth2.password"
    const located = yield* grants.issuer(scheme, options)
    const endpoint = yield* grants.endpoint(scheme, options, { clientId: false, clientSecret: false }, located)
    const username = yield* Effect.flatMap(resolveText(options.username, scheme, "username"), (name) =>
      validateNonEmpty(name, scheme, "username")
    )
    const userPassword = yield* resolveSecret(options.password, scheme, "password")
    const key = endpoint.cacheKey("password", { username }, { password: userPassword })
    return yield* engine.make(scheme, {
      ...(yield* manage.revokeOnClose(scheme, options, endpoint, located, key)),
      cacheKey: key,
      grant: endpoint.request({
        grant_type: "password",
        username,
        password: Redacted.value(userPassword),
        ...(endpoint.scope === undefined ? {} : { scope: endpoint.scope })
      }),
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient("OAuth2.password", options))

// --- Browser grants (issue 4): authorization code, PKCE, implicit ----------
// Their engine is internal/oauth2Browser.ts; the listener and the browser are
// RedirectListener and Browser.

/**
 * Options of every browser grant beside the engine's and the client's: the
 * authorization endpoint, its extra parameters, and the redirect listener's
 * (`timeout` is the wait for the browser, as in httpx-auth).
 *
 * @since 0.1.0
 * @category models
 */
export interface BrowserGrantOptions extends EngineOptions, RedirectListener.Options {
  /**
   * The authorization endpoint. Parameters already in it are kept, `response_type` included.
   * The authorization code grants discover it from `issuer` when it is not given.
   */
  readonly authorizationUrl?: TextInput | undefined
  /** Further parameters of the authorization URL (httpx-auth's `**kwargs`): `audience`, `prompt`, `login_hint`... */
  readonly authorizationParams?: Readonly<Record<string, string>> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodeOptions
  extends BrowserGrantOptions,
    ClientOptions,
    TokenEndpointOptions,
    RevokeOnCloseOptions {
  /**
   * Default `"code"`, unless the authorization URL has a `response_type`.
   * `"code id_token"` (OpenID Connect's hybrid flow) needs `issuer`: the
   * redirect's id_token is validated, `c_hash` included, before the code is exchanged.
   */
  readonly responseType?: string | undefined
  /** The redirect parameter that holds the code. Default `"code"`. */
  readonly codeField?: string | undefined
  /**
   * Pushed authorization requests (RFC 9126): the parameters go to the
   * server with the client's authentication, and the browser gets only
   * `client_id` and a `request_uri`. `"auto"` pushes when the metadata says
   * `require_pushed_authorization_requests` or `pushedAuthorizationUrl` is
   * given. Default `"auto"`.
   */
  readonly pushedAuthorization?: boolean | "auto" | undefined
  /** The PAR endpoint; or give `issuer` and it is discovered (`pushed_authorization_request_endpoint`). */
  readonly pushedAuthorizationUrl?: TextInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodePkceOptions extends AuthorizationCodeOptions {
  /** Length of each code verifier, 43 to 128 characters (RFC 7636 section 4.1). Default 43. */
  readonly codeVerifierLength?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ImplicitOptions
  extends BrowserGrantOptions,
    IssuerOptions,
    RevokeOnCloseOptions,
    Pick<ClientOptions, "clientId" | "scope">,
    Pick<TokenEndpointOptions, "tokenField" | "defaultLifetime"> {
  /**
   * The authorization endpoint. Parameters already in it are kept, `response_type` included.
   * Discovered from `issuer` when not given.
   */
  readonly authorizationUrl?: TextInput | undefined
  /**
   * Default `"token"`, unless the authorization URL has a `response_type`;
   * `"id_token"` or `"id_token token"` for OpenID Connect (the token is then
   * read from `id_token` unless `tokenField` says otherwise).
   */
  readonly responseType?: string | undefined
  /** The `nonce` sent for an id_token. Default a fresh one per authorization. */
  readonly nonce?: string | undefined
}

/**
 * The authorization code grant (RFC 6749 section 4.1), httpx-auth's
 * `OAuth2AuthorizationCode`: the browser opens the authorization URL, the
 * person logs in, the `RedirectListener` on 127.0.0.1 receives the code (with
 * the `state` checked), and the code is exchanged at the token endpoint with
 * the same `redirect_uri`. A refresh token, when one comes, renews the token
 * without another login. The token is cached under a key that does not
 * depend on the listener's port.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth2 } from "effect-http-auth"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Config, Layer } from "effect"
 *
 * const AuthLive = HttpAuth.layer(
 *   OAuth2.authorizationCode({
 *     authorizationUrl: "https://issuer.example/authorize",
 *     tokenUrl: "https://issuer.example/token",
 *     clientId: "my-app",
 *     clientSecret: Config.redacted("CLIENT_SECRET"),
 *     scope: ["openid", "offline_access"],
 *     redirectUriPort: 5000
 *   })
 * ).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 * @category browser grants
 */
export const authorizationCode = (
  options: AuthorizationCodeOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  browserGrants.authorizationCodeGrant("OAuth2.authorizationCode", options, undefined)

/**
 * The authorization code grant with PKCE (RFC 7636, method S256), httpx-auth's
 * `OAuth2AuthorizationCodePKCE`: each authorization draws a fresh code
 * verifier from `SecureRandom` and sends its challenge; the verifier goes
 * with the code. For public clients (no secret), such as command-line tools.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 *
 * const auth = OAuth2.authorizationCodePkce({
 *   authorizationUrl: "https://issuer.example/authorize",
 *   tokenUrl: "https://issuer.example/token",
 *   clientId: "my-cli",
 *   scope: "openid offline_access",
 *   redirectUriPort: 0
 * })
 * ```
 *
 * @since 0.1.0
 * @category browser grants
 */
export const authorizationCodePkce = (
  options: AuthorizationCodePkceOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  browserGrants.authorizationCodeGrant("OAuth2.authorizationCodePkce", options, options.codeVerifierLength ?? 43)

/**
 * The implicit grant (RFC 6749 section 4.2), httpx-auth's `OAuth2Implicit`:
 * the token comes back in the redirect's fragment, which the listener's page
 * posts back. With `responseType: "id_token"` (OpenID Connect), a `nonce` is
 * sent (a fresh one per authorization unless given) and the id_token's
 * `nonce` claim must match it, else `InvalidToken`; given `issuer`, the
 * id_token is validated as the authorization code grant's is (`validateIdToken`,
 * with `at_hash` required for `"id_token token"`) and the authorization URL
 * may be left to the metadata. Expiry from `expires_in`
 * in the redirect, else the JWT's `exp`. OAuth 2.0 Security BCP advises the
 * authorization code with PKCE instead, where the server offers it.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 *
 * const idToken = OAuth2.implicit({
 *   authorizationUrl: "https://issuer.example/authorize",
 *   clientId: "my-app",
 *   responseType: "id_token",
 *   scope: "openid profile"
 * })
 * ```
 *
 * @since 0.1.0
 * @category browser grants
 */
export const implicit = (
  options: ImplicitOptions
): Effect.Effect<HttpAuth.HttpAuth, AuthError, HttpClient.HttpClient | Scope.Scope> =>
  browserGrants.implicitGrant("OAuth2.implicit", options)

// --- Assertion and exchange grants (issue 15): RFC 7523 section 2.1, RFC 8693 ---
// Their engine is internal/oauth2Assertion.ts; the signing is internal/jwt.ts.

/**
 * A JWT assertion signed for each token request (RFC 7523 section 3).
 *
 * @since 0.1.0
 * @category models
 */
export interface Assertion {
  /** `iss`: who issued the assertion, often the client id or a service account's email. */
  readonly issuer: TextInput
  /** `sub`: whom the token is for. Default the issuer. */
  readonly subject?: TextInput | undefined
  /** `aud`: the authorization server, a string or a list. Default the token endpoint URL. */
  readonly audience?: TextInput | ReadonlyArray<string> | undefined
  /** The signing key: a PEM, a `Redacted` PEM, a `Config`, a private JWK or a `KeyObject`. */
  readonly privateKey: ClientAuth.PrivateKey
  /** Default by key, as `ClientAuth.privateKeyJwt`'s. */
  readonly algorithm?: ClientAuth.PrivateKeyJwtOptions["algorithm"]
  /** The `kid` header. Default the JWK's `kid`. */
  readonly keyId?: string | undefined
  /** Further claims (a `scope`, a tenant); `iss`, `sub`, `aud`, `iat`, `exp` and `jti` are the grant's. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined
  /** `exp` - `iat`. Default 5 minutes; at most 1 hour. */
  readonly lifetime?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface JwtBearerOptions extends GrantOptions {
  /**
   * The assertion: claims and a key to sign a fresh one for each token
   * request, or an `Effect` that gives a ready one (from a workload
   * identity, a file), run for each token request.
   */
  readonly assertion: Assertion | Effect.Effect<string, AuthError>
}

/**
 * The JWT bearer grant (RFC 7523 section 2.1), Authlib's `AssertionClient`:
 * a signed JWT is the grant. For service accounts and workload identities;
 * the client authenticates only when `clientAuth` or `clientSecret` say so
 * (RFC 7523 section 2.1 leaves it optional). Tokens are cached and renewed
 * like every grant's, each renewal with a freshly signed assertion.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = OAuth2.jwtBearer({
 *   tokenUrl: "https://issuer.example/token",
 *   assertion: {
 *     issuer: "robot@example.com",
 *     subject: "robot@example.com",
 *     privateKey: Config.redacted("ROBOT_KEY_PEM"),
 *     keyId: "k1"
 *   },
 *   scope: "api:read"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const jwtBearer = (
  options: JwtBearerOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  assertionGrants.jwtBearer("OAuth2.jwtBearer", options)

/**
 * The token type identifiers of RFC 8693 section 3, for `tokenExchange`.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 *
 * OAuth2.tokenTypes.accessToken // "urn:ietf:params:oauth:token-type:access_token"
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenTypes: {
  readonly accessToken: "urn:ietf:params:oauth:token-type:access_token"
  readonly refreshToken: "urn:ietf:params:oauth:token-type:refresh_token"
  readonly idToken: "urn:ietf:params:oauth:token-type:id_token"
  readonly saml1: "urn:ietf:params:oauth:token-type:saml1"
  readonly saml2: "urn:ietf:params:oauth:token-type:saml2"
  readonly jwt: "urn:ietf:params:oauth:token-type:jwt"
} = assertionGrants.tokenTypes

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenExchangeOptions extends GrantOptions {
  /**
   * The token to exchange: a secret, or an `Effect` run for each token
   * request (a token from another auth, a Kubernetes service account file).
   */
  readonly subjectToken: SecretInput | Effect.Effect<string, AuthError>
  /** Its type, a URI (`OAuth2.tokenTypes`). */
  readonly subjectTokenType: string
  /** The token of the party that acts for the subject (delegation), as `subjectToken`. */
  readonly actorToken?: SecretInput | Effect.Effect<string, AuthError> | undefined
  /** Its type; mandatory with `actorToken`. */
  readonly actorTokenType?: string | undefined
  /** The logical name of the service the token is for. */
  readonly audience?: TextInput | undefined
  /** The URL of the resource the token is for (RFC 8707). */
  readonly resource?: TextInput | undefined
  /** The type of token wanted (`OAuth2.tokenTypes`). */
  readonly requestedTokenType?: string | undefined
}

/**
 * Token exchange (RFC 8693 section 2.1): a token from one place (another
 * auth, a Kubernetes service account, an identity provider) is traded for
 * one for this API. The answer's `issued_token_type` is kept in the token's
 * `fields`.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { FileSystem } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const auth = Effect.flatMap(FileSystem.FileSystem, (fs) =>
 *   OAuth2.tokenExchange({
 *     tokenUrl: "https://sts.example/token",
 *     subjectToken: Effect.orDie(fs.readFileString("/var/run/secrets/tokens/sa-token")),
 *     subjectTokenType: OAuth2.tokenTypes.jwt,
 *     audience: "backend",
 *     clientId: "exchanger",
 *     clientSecret: "s3cret"
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenExchange = (
  options: TokenExchangeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  assertionGrants.tokenExchange("OAuth2.tokenExchange", options)

// --- Discovery (issue 17): RFC 8414, OpenID Connect Discovery 1.0 -----------

/**
 * An authorization server's metadata, as `discover` gives it.
 *
 * @since 0.1.0
 * @category models
 */
export type ServerMetadata = Discovery.ServerMetadata

/**
 * Where a grant finds its endpoints when they are not given one by one.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuerOptions {
  /**
   * The authorization server's issuer identifier, such as
   * `https://issuer.example`: the endpoints not given are read from its
   * metadata (`discover`), fetched once per issuer by the `Discovery`
   * service in context (else by one of the auth's own), and the default
   * `clientAuth` is one the server lists in `token_endpoint_auth_methods_supported`.
   */
  readonly issuer?: TextInput | undefined
}

/**
 * The metadata of `issuer` (RFC 8414, OpenID Connect Discovery 1.0): tries
 * `/.well-known/openid-configuration`, then
 * `/.well-known/oauth-authorization-server` (inserted before the issuer's
 * path, RFC 8414 section 3.1), decodes it, and refuses a document whose
 * `issuer` is not the one asked (section 3.3) with `DiscoveryError`. Through
 * the `Discovery` service when one is in context (cached per issuer).
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const tokenUrl = OAuth2.discover("https://issuer.example").pipe(
 *   Effect.map((metadata) => metadata.token_endpoint)
 * )
 * ```
 *
 * @since 0.1.0
 * @category discovery
 */
export const discover = (issuer: string): Effect.Effect<ServerMetadata, DiscoveryError, HttpClient.HttpClient> =>
  Effect.flatMap(Effect.serviceOption(Discovery.Discovery), (service) =>
    Option.isSome(service)
      ? service.value.get(issuer)
      : Effect.flatMap(HttpClient.HttpClient, (client) => Discovery.fetch(client, issuer))
  )

// --- Device authorization grant (issue 17): RFC 8628 ------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface DeviceCodeOptions extends GrantOptions, RevokeOnCloseOptions {
  /** The device authorization endpoint; or give `issuer` and it is discovered. */
  readonly deviceAuthorizationUrl?: TextInput | undefined
  /** The wait between polls when the server gives no `interval` (RFC 8628 section 3.2). Default 5 seconds. */
  readonly interval?: Duration.DurationInput | undefined
  /** Also open the verification URL (with the code when the server gives one) with the `Browser`. Default `false`. */
  readonly openBrowser?: boolean | undefined
}

/**
 * The device authorization grant (RFC 8628), for programs without a browser
 * at hand (a CLI over SSH, a TV): asks the device authorization endpoint
 * for a code, shows `user_code` and `verification_uri` through the
 * `DeviceDisplay` service (stderr by default), then polls the token
 * endpoint every `interval` (the server's, else the option's) on a
 * `Schedule`: `authorization_pending` goes on, `slow_down` adds 5 seconds,
 * `access_denied` and `expired_token` fail as `OAuth2Error`, and past
 * `expires_in` the grant fails with `AuthorizationTimeout`. Tokens are cached
 * and refreshed like every grant's: with a refresh token in a file cache, a
 * restart needs no new device login.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth2, TokenCache } from "effect-http-auth"
 * import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const AuthLive = HttpAuth.layer(
 *   OAuth2.deviceCode({ issuer: "https://issuer.example", clientId: "my-cli", scope: "openid offline_access" })
 * ).pipe(
 *   Layer.provide(TokenCache.layerFile({ path: "tokens.json" })),
 *   Layer.provide(NodeHttpClient.layerUndici),
 *   Layer.provide(NodeFileSystem.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const deviceCode = (
  options: DeviceCodeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  deviceGrant.deviceCodeGrant("OAuth2.deviceCode", options)

// --- Revocation (RFC 7009) and introspection (RFC 7662), issue 17 -----------

/**
 * Who asks, and about which token: `revoke` and `introspect` take these.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenManagementOptions extends IssuerOptions, Omit<ClientOptions, "scope"> {
  /** The token (an access or a refresh token): string, `Redacted` or `Config`. */
  readonly token: SecretInput
  /** `"access_token"` or `"refresh_token"` (RFC 7009 section 2.1), to help the server find it. */
  readonly tokenTypeHint?: string | undefined
  /** Time allowed to the request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RevokeOptions extends TokenManagementOptions {
  /** The revocation endpoint; or give `issuer` and it is discovered (`revocation_endpoint`). */
  readonly revocationUrl?: TextInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IntrospectOptions extends TokenManagementOptions {
  /** The introspection endpoint; or give `issuer` and it is discovered (`introspection_endpoint`). */
  readonly introspectionUrl?: TextInput | undefined
}

/**
 * An introspection answer (RFC 7662 section 2.2): `active`, and the fields
 * an active token may have; other fields are kept as they came.
 *
 * @since 0.1.0
 * @category schemas
 */
export const IntrospectionResponse = Schema.Struct(
  {
    active: Schema.Boolean,
    scope: Schema.optional(Schema.String),
    client_id: Schema.optional(Schema.String),
    username: Schema.optional(Schema.String),
    token_type: Schema.optional(Schema.String),
    exp: Schema.optional(Schema.Number),
    iat: Schema.optional(Schema.Number),
    nbf: Schema.optional(Schema.Number),
    sub: Schema.optional(Schema.String),
    aud: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
    iss: Schema.optional(Schema.String),
    jti: Schema.optional(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * @since 0.1.0
 * @category models
 */
export type IntrospectionResponse = Schema.Schema.Type<typeof IntrospectionResponse>

/**
 * Revokes an access or a refresh token (RFC 7009): a form POST of `token`
 * (and `token_type_hint`) to the revocation endpoint, with the client's
 * authentication. The server answers 200 whether or not the token was
 * valid; an error answer is `OAuth2Error` (`unsupported_token_type`, ...).
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const logout = OAuth2.revoke({
 *   issuer: "https://issuer.example",
 *   token: Config.redacted("REFRESH_TOKEN"),
 *   tokenTypeHint: "refresh_token",
 *   clientId: "my-cli"
 * })
 * ```
 *
 * @since 0.1.0
 * @category token management
 */
export const revoke = (options: RevokeOptions): Effect.Effect<void, AuthError, HttpClient.HttpClient> =>
  manage.revoke(options)

/**
 * Asks the authorization server about a token (RFC 7662): whether it is
 * `active`, and its `scope`, `exp`, `sub`, `client_id`... The answer is
 * decoded with `IntrospectionResponse`; an error answer is `OAuth2Error`.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const active = (token: string) =>
 *   OAuth2.introspect({ issuer: "https://issuer.example", token, clientId: "api", clientSecret: "s" }).pipe(
 *     Effect.map((answer) => answer.active)
 *   )
 * ```
 *
 * @since 0.1.0
 * @category token management
 */
export const introspect = (
  options: IntrospectOptions
): Effect.Effect<IntrospectionResponse, AuthError, HttpClient.HttpClient> =>
  manage.introspect(options, IntrospectionResponse)

/**
 * Logout as a `Scope` finalizer: the grants that take these revoke their
 * cached tokens when the scope that built the auth (the layer's) closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface RevokeOnCloseOptions {
  /**
   * Revoke the cached refresh token and access token (RFC 7009) when the
   * auth's scope closes, and drop them from the cache. Default `false`.
   */
  readonly revokeOnClose?: boolean | undefined
  /** The revocation endpoint for `revokeOnClose`; or give `issuer` and it is discovered. */
  readonly revocationUrl?: TextInput | undefined
}

// --- id_token validation (OpenID Connect Core section 3.1.3.7), userinfo ---

/**
 * @since 0.1.0
 * @category models
 */
export interface ValidateIdTokenOptions {
  /** The issuer: `iss` must be it, and its metadata names the JWKS unless `jwksUrl` is given. */
  readonly issuer: TextInput
  /** The client: `aud` must hold it (and `azp`, when present, be it). */
  readonly clientId: TextInput
  /** The issuer's JWKS. Default: the metadata's `jwks_uri`. */
  readonly jwksUrl?: TextInput | undefined
  /** The nonce sent with the authorization request: the token's must be the same. */
  readonly nonce?: string | undefined
  /** The access token issued with it: checked against `at_hash` when the token has one. */
  readonly accessToken?: string | Redacted.Redacted<string> | undefined
  /** The authorization code: checked against `c_hash` when the token has one. */
  readonly code?: string | undefined
  /**
   * The `response_type` of the authorization response that carried the
   * id_token, when it came from the authorization endpoint: with `token` in
   * it, `at_hash` is required (OpenID Connect Core 3.2.2.10, 3.3.2.11), with
   * `code`, `c_hash`. Default none: a token endpoint's id_token, whose hashes
   * are checked when present.
   */
  readonly responseType?: string | undefined
  /** Clock skew allowed on `exp`, `iat` and `nbf`. Default 30 seconds. */
  readonly leeway?: Duration.DurationInput | undefined
}

/**
 * Validates an id_token (OpenID Connect Core 1.0 section 3.1.3.7) and gives
 * its claims: the signature against the issuer's JWKS (fetched through the
 * `HttpClient`, and once more on an unknown `kid`, for a rotated key),
 * `iss`, `aud` and `azp`, `exp` and `iat` within `leeway`, `nonce`, and
 * `at_hash` / `c_hash` (required where `responseType` says so, else checked
 * when present). With a `Discovery` service in context the JWKS is kept for
 * the program. A failure is `InvalidToken` saying which check failed.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const subject = (idToken: string) =>
 *   OAuth2.validateIdToken(idToken, { issuer: "https://issuer.example", clientId: "my-app" }).pipe(
 *     Effect.map((claims) => claims.sub)
 *   )
 * ```
 *
 * @since 0.1.0
 * @category OpenID Connect
 */
export const validateIdToken = (
  idToken: string | Redacted.Redacted<string>,
  options: ValidateIdTokenOptions
): Effect.Effect<Readonly<Record<string, unknown>>, AuthError, HttpClient.HttpClient> =>
  idTokens.validate(idToken, options)

/**
 * @since 0.1.0
 * @category models
 */
export interface UserinfoOptions extends IssuerOptions {
  /** The userinfo endpoint; or give `issuer` and it is discovered. */
  readonly userinfoUrl?: TextInput | undefined
  /** The access token. */
  readonly accessToken: SecretInput
}

/**
 * The claims of the userinfo endpoint (OpenID Connect Core section 5.3):
 * a GET with the access token as a bearer token; an error answer is
 * `OAuth2Error`.
 *
 * @example
 * ```ts
 * import { OAuth2 } from "effect-http-auth"
 *
 * const me = (accessToken: string) => OAuth2.userinfo({ issuer: "https://issuer.example", accessToken })
 * ```
 *
 * @since 0.1.0
 * @category OpenID Connect
 */
export const userinfo = (
  options: UserinfoOptions
): Effect.Effect<Readonly<Record<string, unknown>>, AuthError, HttpClient.HttpClient> => manage.userinfo(options)
