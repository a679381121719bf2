/**
 * Google service accounts (httpx_auth#18, Authlib's `AssertionClient`): the
 * JWT bearer grant (RFC 7523 section 2.1) with a service account key file,
 * for Google APIs (`serviceAccount`) and for Cloud Run / IAP, which want an
 * OpenID Connect id_token (`idToken`).
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { InvalidOptions } from "../AuthError.js"
import type * as HttpAuth from "../HttpAuth.js"
import * as assertionGrants from "../internal/oauth2Assertion.js"
import { validateScope } from "../internal/oauth2Options.js"
import { invalid } from "../internal/options.js"
import type * as OAuth2 from "../OAuth2.js"

/**
 * The fields of a service account key file that the grants read (the file
 * has more; they are ignored).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceAccountKey {
  readonly type?: string | undefined
  readonly client_email: string
  /** The RSA private key, a PKCS #8 PEM. */
  readonly private_key: string | Redacted.Redacted<string>
  /** The key's id: the assertion's `kid`. */
  readonly private_key_id?: string | undefined
  /** Default `https://oauth2.googleapis.com/token`. */
  readonly token_uri?: string | undefined
  readonly [field: string]: unknown
}

/**
 * The key: its JSON as an object, a `Config` of its text (an environment
 * variable holding the file), or the path of the file, read through
 * `FileSystem` when the auth is built.
 *
 * @since 0.1.0
 * @category models
 */
export type Credentials = ServiceAccountKey | Config.Config<string> | Config.Config<Redacted.Redacted<string>> | string

/**
 * Options shared with every grant that Google's presets pass on.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions
  extends OAuth2.EngineOptions,
    Pick<OAuth2.TokenEndpointOptions, "tokenTimeout" | "retry" | "defaultLifetime" | "tokenRequest" | "tokenResponse"> {
  /** The service account key. */
  readonly credentials: Credentials
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ServiceAccountOptions extends CommonOptions {
  /** The OAuth scopes, such as `https://www.googleapis.com/auth/cloud-platform`. */
  readonly scopes: ReadonlyArray<string>
  /** The user to act as (domain-wide delegation): the assertion's `sub`. */
  readonly subject?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IdTokenOptions extends CommonOptions {
  /** The `target_audience`: the Cloud Run service URL, or the IAP client id. */
  readonly audience: string
}

/**
 * @since 0.1.0
 * @category constants
 */
export const tokenUrl = "https://oauth2.googleapis.com/token"

/** The key, read and checked when the auth is built; no error quotes it. */
const readKey = (scheme: string, credentials: Credentials): Effect.Effect<ServiceAccountKey, InvalidOptions> =>
  Effect.gen(function* () {
    let value: unknown = credentials
    if (typeof credentials === "string" || Config.isConfig(credentials)) {
      const text =
        typeof credentials === "string"
          ? yield* readFile(scheme, credentials)
          : yield* Effect.mapError(credentials as Config.Config<string | Redacted.Redacted<string>>, () =>
              invalid(scheme, "credentials", "could not be read from the configuration")
            )
      try {
        value = JSON.parse(Redacted.isRedacted(text) ? Redacted.value(text) : text)
      } catch {
        return yield* Effect.fail(invalid(scheme, "credentials", "is not JSON: give a service account key file"))
      }
    }
    if (!Predicate.isRecord(value)) {
      return yield* Effect.fail(invalid(scheme, "credentials", "is not a service account key (a JSON object)"))
    }
    const key = value as unknown as ServiceAccountKey
    if (key.type !== undefined && key.type !== "service_account") {
      return yield* Effect.fail(
        invalid(scheme, "credentials", `is a ${JSON.stringify(key.type)} key, not a service_account key`)
      )
    }
    const privateKey = key.private_key
    if (typeof key.client_email !== "string" || key.client_email === "") {
      return yield* Effect.fail(invalid(scheme, "credentials", "has no client_email"))
    }
    if (typeof privateKey !== "string" && !Redacted.isRedacted(privateKey)) {
      return yield* Effect.fail(invalid(scheme, "credentials", "has no private_key"))
    }
    return key
  })

const readFile = (scheme: string, path: string) =>
  Effect.flatMap(Effect.serviceOption(FileSystem.FileSystem), (fs) =>
    Option.isNone(fs)
      ? Effect.fail(
          invalid(scheme, "credentials", "is a file path, which needs a FileSystem in context (NodeFileSystem.layer)")
        )
      : Effect.mapError(fs.value.readFileString(path), (error) =>
          invalid(
            scheme,
            "credentials",
            `could not be read from ${path} (${error._tag === "SystemError" ? error.reason : error._tag})`
          )
        )
  )

const grant = (
  scheme: string,
  options: CommonOptions,
  key: ServiceAccountKey,
  fields: {
    readonly claims: Readonly<Record<string, unknown>>
    readonly subject?: string | undefined
    readonly tokenField?: string
  }
) => {
  const { credentials: _, ...common } = options
  const tokenUri = key.token_uri ?? tokenUrl
  return assertionGrants.jwtBearer(
    scheme,
    {
      ...common,
      tokenUrl: tokenUri,
      tokenField: fields.tokenField,
      assertion: {
        issuer: key.client_email,
        subject: fields.subject,
        audience: tokenUri,
        privateKey: typeof key.private_key === "string" ? Redacted.make(key.private_key) : key.private_key,
        algorithm: "RS256",
        keyId: key.private_key_id,
        claims: fields.claims,
        lifetime: "1 hour"
      }
    },
    // Google wants sub only for domain-wide delegation
    { subjectOptional: true, option: "credentials" }
  )
}

/**
 * A Google service account's access token (Google's "OAuth 2.0 for Server
 * to Server Applications"): an RS256 assertion with `iss` the key's
 * `client_email`, `scope` the scopes joined with spaces, `aud` its
 * `token_uri`, `exp` an hour after `iat` and the `kid` header its
 * `private_key_id`, signed with its private key for each token request.
 * `subject` acts as a user of the domain (domain-wide delegation).
 *
 * @example
 * ```ts
 * import { Google, HttpAuth } from "effect-http-auth"
 * import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const AuthLive = HttpAuth.layer(
 *   Google.serviceAccount({
 *     credentials: "/etc/keys/robot.json",
 *     scopes: ["https://www.googleapis.com/auth/cloud-platform"]
 *   })
 * ).pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const serviceAccount = (
  options: ServiceAccountOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "Google.serviceAccount"
    const key = yield* readKey(scheme, options.credentials)
    const scope = yield* validateScope(options.scopes, scheme, "scopes")
    if (scope === undefined) return yield* Effect.fail(invalid(scheme, "scopes", "must name at least one scope"))
    if (options.subject === "") return yield* Effect.fail(invalid(scheme, "subject", "must not be empty"))
    const { scopes: _, subject: __, ...rest } = options
    return yield* grant(scheme, rest, key, { claims: { scope }, subject: options.subject })
  })

/**
 * A Google-signed OpenID Connect id_token for a service account, the bearer
 * that Cloud Run and Identity-Aware Proxy want: the assertion carries
 * `target_audience` (the service URL, or IAP's client id) instead of a
 * scope, and the answer's `id_token` is sent as the bearer, renewed before
 * its `exp`.
 *
 * @example
 * ```ts
 * import { Google } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const auth = Google.idToken({
 *   credentials: Config.redacted("GOOGLE_CREDENTIALS_JSON"),
 *   audience: "https://my-service-abc123-ew.a.run.app"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const idToken = (
  options: IdTokenOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const scheme = "Google.idToken"
    const key = yield* readKey(scheme, options.credentials)
    if (typeof options.audience !== "string" || options.audience === "") {
      return yield* Effect.fail(invalid(scheme, "audience", "must not be empty"))
    }
    const { audience, ...rest } = options
    return yield* grant(scheme, rest, key, { claims: { target_audience: audience }, tokenField: "id_token" })
  })
