/**
 * How a client authenticates to the token endpoint (RFC 6749 section 2.3):
 * `client_secret_basic`, `client_secret_post`, `none`, and the signed
 * client assertions of RFC 7523 section 2.2, `client_secret_jwt` and
 * `private_key_jwt`. A `ClientAuth` is an `Effect` over the form and
 * headers of a token request, so the methods that sign fit the same shape.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import type { AuthenticationFailed, InvalidOptions } from "./AuthError.js"
import * as jwt from "./internal/jwt.js"
import { resolveSecret, resolveText, type SecretInput, type TextInput } from "./internal/options.js"

/**
 * A token request before client authentication.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRequest {
  readonly tokenUrl: string
  /** The form fields (`grant_type`, ...). */
  readonly params: Readonly<Record<string, string>>
  /** Extra headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * A client authentication method.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientAuth {
  /** The method's registered name (RFC 7591 section 2), such as `client_secret_basic`. */
  readonly method: string
  readonly clientId: string
  readonly apply: (request: TokenRequest) => Effect.Effect<TokenRequest, AuthenticationFailed>
}

/**
 * @since 0.1.0
 * @category models
 */
export type Method = "client_secret_basic" | "client_secret_post" | "client_secret_jwt" | "none"

// RFC 6749 appendix B: application/x-www-form-urlencoded, space as "+"
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

/**
 * `client_secret_basic` (RFC 6749 section 2.3.1): `Authorization: Basic`
 * with the id and secret each form-urlencoded before base64, so a `:` or a
 * non-ASCII character in either survives.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretBasic("app", Redacted.make("s3cret"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientSecretBasic = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth => ({
  method: "client_secret_basic",
  clientId,
  apply: (request) =>
    Effect.sync(() => ({
      ...request,
      headers: {
        ...request.headers,
        authorization: `Basic ${Buffer.from(
          `${formEncode(clientId)}:${formEncode(Redacted.value(clientSecret))}`,
          "utf8"
        ).toString("base64")}`
      }
    }))
})

/**
 * `client_secret_post` (RFC 6749 section 2.3.1): `client_id` and
 * `client_secret` in the form.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretPost("app", Redacted.make("s3cret"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientSecretPost = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth => ({
  method: "client_secret_post",
  clientId,
  apply: (request) =>
    Effect.succeed({
      ...request,
      params: { ...request.params, client_id: clientId, client_secret: Redacted.value(clientSecret) }
    })
})

/**
 * `none`: a public client sends only its `client_id` (RFC 6749 section 3.2.1).
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 *
 * const auth = ClientAuth.none("cli")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const none = (clientId: string): ClientAuth => ({
  method: "none",
  clientId,
  apply: (request) => Effect.succeed({ ...request, params: { ...request.params, client_id: clientId } })
})

/** RFC 8705 section 2: the certificate authenticates; the form names the client (RFC 6749 section 3.2.1). */
const byCertificate = (method: string, clientId: string): ClientAuth => ({
  ...none(clientId),
  method
})

/**
 * `tls_client_auth` (RFC 8705 section 2.1): the client proves itself with
 * its TLS client certificate, issued by a CA the server trusts; the form
 * carries only `client_id`. The certificate is the token client's
 * transport certificate (`NodeTransport.layer({ cert })` as the grant's
 * `tokenClient`). With an `issuer`, the token, revocation and
 * introspection requests go to the server's `mtls_endpoint_aliases`
 * (RFC 8705 section 5) where it has them.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 *
 * const auth = ClientAuth.tlsClientAuth("service-a")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const tlsClientAuth = (clientId: string): ClientAuth => byCertificate("tls_client_auth", clientId)

/**
 * `self_signed_tls_client_auth` (RFC 8705 section 2.2): as
 * `tlsClientAuth`, with a self-signed certificate the server knows by its
 * registered key (`jwks` with `x5c`).
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 *
 * const auth = ClientAuth.selfSignedTlsClientAuth("service-a")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const selfSignedTlsClientAuth = (clientId: string): ClientAuth =>
  byCertificate("self_signed_tls_client_auth", clientId)

/**
 * Options of the client assertions (RFC 7523 section 2.2).
 *
 * @since 0.1.0
 * @category models
 */
export interface JwtOptions {
  /** The `kid` header, telling the server which of its keys for this client to verify with. */
  readonly keyId?: string | undefined
  /**
   * The assertion's `aud`. Default the token endpoint URL; some newer
   * servers want the issuer identifier instead (RFC 7523bis).
   */
  readonly audience?: TextInput | undefined
  /** How long an assertion is valid (`exp` - `iat`). Default 60 seconds; at most 5 minutes. */
  readonly lifetime?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientSecretJwtOptions extends JwtOptions {
  /** The HMAC algorithm. Default `"HS256"`. */
  readonly algorithm?: jwt.HmacAlgorithm | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PrivateKeyJwtOptions extends JwtOptions {
  /**
   * The signing algorithm. Default by key: `RS256` for RSA, `PS256` for
   * RSA-PSS, `ES256`/`ES384`/`ES512` by curve, `EdDSA` for Ed25519.
   */
  readonly algorithm?: jwt.AsymmetricAlgorithm | undefined
}

/**
 * A private key: a PEM string (PKCS #8 or PKCS #1), a `Redacted` PEM, a
 * `Config` of one, a private JWK object or a `KeyObject`.
 *
 * @since 0.1.0
 * @category models
 */
export type PrivateKey = jwt.PrivateKeyInput

/**
 * A private JWK (RFC 7517) as an object: `kty`, its private members, and a
 * `kid` used as the assertion's key id when present.
 *
 * @since 0.1.0
 * @category models
 */
export type PrivateJwk = jwt.PrivateJwk

/** RFC 7523 section 2.2 */
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

const jwtAuth = (
  method: string,
  clientId: string,
  key: jwt.SigningKey,
  audience: string | undefined,
  lifetime: Duration.Duration
): ClientAuth => ({
  method,
  clientId,
  // iss = sub = client id, aud the token endpoint unless told, a fresh jti each time (RFC 7523 section 3);
  // client_id too, which RFC 7521 section 4.2 allows and Entra ID wants
  apply: (request) =>
    Effect.map(
      jwt.sign(
        `ClientAuth.${method}`,
        key,
        { iss: clientId, sub: clientId, aud: audience ?? request.tokenUrl },
        lifetime
      ),
      (assertion) => ({
        ...request,
        params: {
          ...request.params,
          client_id: clientId,
          client_assertion_type: assertionType,
          client_assertion: assertion
        }
      })
    )
})

const jwtSettings = (scheme: string, clientId: string, options: JwtOptions | undefined) =>
  Effect.all({
    clientId: Effect.flatMap(resolveText(clientId, scheme, "clientId"), (id) =>
      id === "" ? Effect.fail(jwt.invalid(scheme, "clientId", "must not be empty")) : Effect.succeed(id)
    ),
    audience:
      options?.audience === undefined ? Effect.succeed(undefined) : resolveText(options.audience, scheme, "audience"),
    lifetime: jwt.validateLifetime(options?.lifetime, "60 seconds", "5 minutes", scheme, "lifetime")
  })

/**
 * `client_secret_jwt` (RFC 7523 section 2.2, OpenID Connect Core section
 * 9): the client secret signs an HS256 (or HS384, HS512) client assertion
 * for each token request; the secret itself is never sent.
 *
 * @example
 * ```ts
 * import { ClientAuth, OAuth2 } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = OAuth2.clientCredentials({
 *   tokenUrl: "https://issuer.example/token",
 *   clientAuth: ClientAuth.clientSecretJwt("app", Config.redacted("CLIENT_SECRET"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientSecretJwt = (
  clientId: string,
  secret: SecretInput,
  options?: ClientSecretJwtOptions
): Effect.Effect<ClientAuth, InvalidOptions> =>
  Effect.gen(function* () {
    const scheme = "ClientAuth.clientSecretJwt"
    const settings = yield* jwtSettings(scheme, clientId, options)
    const key = yield* jwt.hmacKey(scheme, yield* resolveSecret(secret, scheme, "secret"), options ?? {})
    return jwtAuth("client_secret_jwt", settings.clientId, key, settings.audience, settings.lifetime)
  })

/**
 * `private_key_jwt` (RFC 7523 section 2.2, OpenID Connect Core section 9),
 * the certificate credentials of Entra ID and Okta: a private key signs a
 * client assertion for each token request. The key is checked when the auth
 * is built: one that does not parse, is public, or does not fit `algorithm`
 * fails with `InvalidOptions`, which never quotes it.
 *
 * @example
 * ```ts
 * import { ClientAuth, OAuth2 } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = OAuth2.clientCredentials({
 *   tokenUrl: "https://login.example/oauth2/v2.0/token",
 *   scope: "api://backend/.default",
 *   clientAuth: ClientAuth.privateKeyJwt("app", Config.redacted("CLIENT_KEY_PEM"), { keyId: "2024-01" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const privateKeyJwt = (
  clientId: string,
  key: PrivateKey,
  options?: PrivateKeyJwtOptions
): Effect.Effect<ClientAuth, InvalidOptions> =>
  Effect.gen(function* () {
    const scheme = "ClientAuth.privateKeyJwt"
    const settings = yield* jwtSettings(scheme, clientId, options)
    const signingKey = yield* jwt.importPrivateKey(scheme, "key", key, options ?? {})
    return jwtAuth("private_key_jwt", settings.clientId, signingKey, settings.audience, settings.lifetime)
  })

/**
 * The `ClientAuth` for a method name; without a secret, `none`.
 *
 * @example
 * ```ts
 * import { ClientAuth } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * ClientAuth.fromMethod("client_secret_post", "app", Redacted.make("s3cret")).method // "client_secret_post"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromMethod = (
  method: Method,
  clientId: string,
  clientSecret: Redacted.Redacted<string> | undefined
): ClientAuth =>
  method === "none" || clientSecret === undefined
    ? none(clientId)
    : method === "client_secret_jwt"
      ? jwtAuth(
          "client_secret_jwt",
          clientId,
          Either.getOrThrow(jwt.hmacKey("ClientAuth.clientSecretJwt", clientSecret, {})),
          undefined,
          jwt.defaultLifetime
        )
      : method === "client_secret_post"
        ? clientSecretPost(clientId, clientSecret)
        : clientSecretBasic(clientId, clientSecret)
