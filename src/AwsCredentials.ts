/**
 * AWS credentials for `AwsSigV4`, as a service with layers: static values,
 * the environment, the shared credentials file, and a refreshable provider
 * from any `Effect` (what httpx-auth's README does with boto3 by hand).
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Redacted from "effect/Redacted"
import { type InvalidOptions, SigningError } from "./AuthError.js"
import * as internal from "./internal/awsCredentials.js"
import { parseIni } from "./internal/sigv4Ini.js"
import { invalid, type SecretInput, type TextInput } from "./internal/options.js"
import * as SingleFlight from "./internal/singleFlight.js"

/**
 * Resolved credentials. Secrets are `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: Redacted.Redacted<string>
  readonly sessionToken?: Redacted.Redacted<string> | undefined
  /** When they stop working, in epoch milliseconds; `layerRefreshable` renews them before. */
  readonly expiration?: number | undefined
}

/**
 * Credentials as a user gives them: values, `Redacted`s or `Config`s.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  readonly accessKeyId: TextInput
  readonly secretAccessKey: SecretInput
  readonly sessionToken?: SecretInput | undefined
}

/**
 * The credentials service: `get` gives the credentials to sign the next
 * request with.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const keyId = Effect.map(AwsCredentials.AwsCredentials, (service) => service.get)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class AwsCredentials extends Context.Tag("effect-http-auth/AwsCredentials")<
  AwsCredentials,
  { readonly get: Effect.Effect<Credentials, SigningError> }
>() {}

/**
 * Resolves credentials given as values or `Config`s, failing with
 * `InvalidOptions` naming the option.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const credentials = AwsCredentials.make({
 *   accessKeyId: "AKIDEXAMPLE",
 *   secretAccessKey: Config.redacted("AWS_SECRET_ACCESS_KEY")
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input): Effect.Effect<Credentials, InvalidOptions> =>
  internal.resolve(input, "AwsCredentials.make")

/**
 * Fixed credentials.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 * import { Config } from "effect"
 *
 * const CredentialsLive = AwsCredentials.layer({
 *   accessKeyId: Config.string("MY_KEY_ID"),
 *   secretAccessKey: Config.redacted("MY_SECRET")
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: Input): Layer.Layer<AwsCredentials, InvalidOptions> =>
  Layer.effect(
    AwsCredentials,
    Effect.map(internal.resolve(input, "AwsCredentials.layer"), (credentials) => ({ get: Effect.succeed(credentials) }))
  )

/**
 * Credentials from the environment, through `Config`: `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and, when set, `AWS_SESSION_TOKEN`. Read once,
 * when the layer is built.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 *
 * const CredentialsLive = AwsCredentials.layerEnv
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEnv: Layer.Layer<AwsCredentials, InvalidOptions> = Layer.effect(
  AwsCredentials,
  Effect.gen(function* () {
    const token = yield* Effect.mapError(Config.option(Config.redacted("AWS_SESSION_TOKEN")), (error) =>
      invalid("AwsCredentials.layerEnv", "sessionToken", `could not be read from the configuration: ${error}`)
    )
    const credentials = yield* internal.resolve(
      {
        accessKeyId: Config.string("AWS_ACCESS_KEY_ID"),
        secretAccessKey: Config.redacted("AWS_SECRET_ACCESS_KEY"),
        sessionToken: Option.getOrUndefined(token)
      },
      "AwsCredentials.layerEnv"
    )
    return { get: Effect.succeed(credentials) }
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface SharedFileOptions {
  /** The profile to read. Default: `AWS_PROFILE` from the configuration, else `"default"`. */
  readonly profile?: string | undefined
  /** The file. Default: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` (`HOME` from the configuration). */
  readonly path?: string | undefined
}

/**
 * Credentials from the shared credentials file (`~/.aws/credentials`, an INI
 * file with `aws_access_key_id`, `aws_secret_access_key` and
 * `aws_session_token` per profile), read once through `FileSystem` when the
 * layer is built. A missing file, profile or key fails with a
 * `SigningError` that names the file and profile, never a value.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const CredentialsLive = AwsCredentials.layerSharedFile({ profile: "ci" }).pipe(Layer.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSharedFile = (
  options?: SharedFileOptions
): Layer.Layer<AwsCredentials, SigningError | InvalidOptions, FileSystem.FileSystem> =>
  Layer.effect(
    AwsCredentials,
    Effect.map(readSharedFile(options), (credentials) => ({ get: Effect.succeed(credentials) }))
  )

const scheme = "AwsCredentials.layerSharedFile"

/**
 * Reads one profile of the shared credentials file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readSharedFile = (
  options?: SharedFileOptions
): Effect.Effect<Credentials, SigningError | InvalidOptions, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const setting = (name: string) =>
      Effect.mapError(Config.option(Config.string(name)), (error) =>
        invalid(scheme, name, `could not be read from the configuration: ${error}`)
      ).pipe(Effect.map(Option.getOrUndefined))
    const profile = options?.profile ?? (yield* setting("AWS_PROFILE")) ?? "default"
    let path = options?.path ?? (yield* setting("AWS_SHARED_CREDENTIALS_FILE"))
    if (path === undefined) {
      const home = (yield* setting("HOME")) ?? (yield* setting("USERPROFILE"))
      if (home === undefined) {
        return yield* Effect.fail(invalid(scheme, "path", "is needed: neither HOME nor USERPROFILE is set"))
      }
      path = `${home.replace(/[/\\]$/, "")}/.aws/credentials`
    }
    const fs = yield* FileSystem.FileSystem
    const text = yield* Effect.mapError(
      fs.readFileString(path),
      (cause) => new SigningError({ scheme, reason: `could not read ${path}: ${cause.message}`, cause })
    )
    const section = parseIni(text).get(profile)
    if (section === undefined) {
      return yield* Effect.fail(new SigningError({ scheme, reason: `${path} has no profile [${profile}]` }))
    }
    const required = (key: string) =>
      section.get(key) === undefined || section.get(key) === ""
        ? Effect.fail(new SigningError({ scheme, reason: `profile [${profile}] in ${path} has no ${key}` }))
        : Effect.succeed(section.get(key)!)
    const accessKeyId = yield* required("aws_access_key_id")
    const secretAccessKey = yield* required("aws_secret_access_key")
    const sessionToken = section.get("aws_session_token")
    return yield* Effect.mapError(
      internal.resolve(
        {
          accessKeyId,
          secretAccessKey: Redacted.make(secretAccessKey),
          sessionToken: sessionToken === undefined || sessionToken === "" ? undefined : Redacted.make(sessionToken)
        },
        scheme
      ),
      (error) =>
        new SigningError({ scheme, reason: `profile [${profile}] in ${path}: ${error.option} ${error.reason}` })
    )
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface RefreshOptions {
  /** How long before their `expiration` credentials are renewed. Default 5 minutes. */
  readonly margin?: Duration.DurationInput | undefined
}

/**
 * A provider that runs `fetch` for credentials and keeps them until their
 * `expiration` minus `margin` (on the `Clock`); credentials without an
 * expiration are kept for good. Concurrent requests on expired credentials
 * make one fetch (single-flight); a failed fetch is not kept, so the next
 * request tries again.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 * import { Effect, Redacted } from "effect"
 *
 * // e.g. an STS AssumeRole call
 * const assumeRole = Effect.succeed({
 *   accessKeyId: "ASIAEXAMPLE",
 *   secretAccessKey: Redacted.make("secret"),
 *   sessionToken: Redacted.make("token"),
 *   expiration: Date.now() + 3_600_000
 * })
 * const service = AwsCredentials.refreshable(assumeRole, { margin: "1 minute" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const refreshable = <E, R>(
  fetch: Effect.Effect<Credentials, E, R>,
  options?: RefreshOptions
): Effect.Effect<AwsCredentials["Type"], InvalidOptions, R | Scope.Scope> =>
  Effect.gen(function* () {
    const margin = Duration.decodeUnknown(options?.margin ?? "5 minutes")
    if (Option.isNone(margin) || !Duration.isFinite(margin.value)) {
      return yield* Effect.fail(invalid("AwsCredentials.refreshable", "margin", "must be a finite duration"))
    }
    const marginMillis = Duration.toMillis(margin.value)
    const context = yield* Effect.context<R>()
    const cached = yield* Ref.make(Option.none<Credentials>())
    const flights = yield* SingleFlight.make<"credentials">()
    const fresh = (credentials: Credentials, now: number) =>
      credentials.expiration === undefined || now < credentials.expiration - marginMillis
    const load = Effect.provide(fetch, context).pipe(
      Effect.mapError(
        (cause) =>
          new SigningError({ scheme: "AwsCredentials.refreshable", reason: "the credentials provider failed", cause })
      )
    )
    // the first fiber to find them stale fetches; the others wait for its result
    const renew = flights.run(
      "credentials",
      Effect.flatMap(Effect.zip(Clock.currentTimeMillis, Ref.get(cached)), ([now, held]) =>
        Option.isSome(held) && fresh(held.value, now)
          ? Effect.succeed(held.value)
          : Effect.tap(load, (credentials) => Ref.set(cached, Option.some(credentials)))
      )
    )
    const get = Effect.flatMap(Effect.zip(Clock.currentTimeMillis, Ref.get(cached)), ([now, current]) =>
      Option.isSome(current) && fresh(current.value, now) ? Effect.succeed(current.value) : renew
    )
    return { get }
  })

/**
 * `refreshable` as a layer.
 *
 * @example
 * ```ts
 * import { AwsCredentials } from "effect-http-auth"
 * import { Effect, Redacted } from "effect"
 *
 * const CredentialsLive = AwsCredentials.layerRefreshable(
 *   Effect.succeed({ accessKeyId: "ASIAEXAMPLE", secretAccessKey: Redacted.make("secret") })
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRefreshable = <E, R>(
  fetch: Effect.Effect<Credentials, E, R>,
  options?: RefreshOptions
): Layer.Layer<AwsCredentials, InvalidOptions, Exclude<R, Scope.Scope>> =>
  Layer.scoped(AwsCredentials, refreshable(fetch, options))
