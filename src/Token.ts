/**
 * The OAuth 2 token model: what a token endpoint answered (RFC 6749 section
 * 5.1), with an absolute expiry, and the rules that decide when a token is
 * too old to send.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { bounded, storedLimits } from "./internal/json.js"

/**
 * A token as the cache keeps it. `expiresAt` is absolute (epoch
 * milliseconds on the `Clock`); the secrets are `Redacted`, and `fields`
 * holds the response's other fields (never the token values).
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const token = new Token.Token({ accessToken: Redacted.make("t"), tokenType: "Bearer", expiresAt: 60_000, fields: {} })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class Token extends Schema.Class<Token>("effect-http-auth/Token")({
  accessToken: Schema.Redacted(Schema.String),
  /** `"Bearer"` whatever the case the server wrote it in (RFC 6749 section 5.1 says case-insensitive). */
  tokenType: Schema.String,
  /** Epoch milliseconds after which the server no longer accepts the token. */
  expiresAt: Schema.Number,
  refreshToken: Schema.optional(Schema.Redacted(Schema.String)),
  scope: Schema.optional(Schema.String),
  idToken: Schema.optional(Schema.Redacted(Schema.String)),
  /** RFC 9449 section 6: the thumbprint of the DPoP key the token is bound to; absent for a bearer token. */
  jkt: Schema.optional(Schema.String),
  fields: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}) {}

/**
 * The token with the JSON shape of the file and `KeyValueStore` caches (the
 * secrets in clear: the token cache is the one place they are written).
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 * import { Schema } from "effect"
 *
 * const read = Schema.decodeUnknownEither(Token.TokenFromJson)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenFromJson = Schema.parseJson(Token)

/**
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /** The field that holds the token. Default `"access_token"`. */
  readonly tokenField?: string | undefined
  /** Lifetime of a token that says nothing of its expiry (no `expires_in`, not a JWT with `exp`). Default 1 hour. */
  readonly defaultLifetime?: Duration.DurationInput | undefined
}

/**
 * Response fields that hold secrets: never copied to `fields` or an error.
 *
 * @since 0.1.0
 * @category constants
 */
export const secretFields: ReadonlySet<string> = new Set(["access_token", "refresh_token", "id_token"])

/**
 * The `exp` claim of a JWT (RFC 7519 section 4.1.4), in seconds, without
 * checking the signature: only to know when the token expires.
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 *
 * Token.jwtExpiry("opaque") // Option.none()
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const jwtExpiry = (token: string): Option.Option<number> => {
  const parts = token.split(".")
  if (parts.length !== 3) return Option.none()
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown
    const exp = typeof payload === "object" && payload !== null ? (payload as { exp?: unknown }).exp : undefined
    return typeof exp === "number" && Number.isFinite(exp) ? Option.some(exp) : Option.none()
  } catch {
    return Option.none()
  }
}

/**
 * The longest lifetime a token is given, whatever the server says: one
 * year. A longer one (or `expires_in: 1e306`) is clamped, so that the token
 * is renewed and stored like any other.
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 *
 * Token.fromResponse({ access_token: "a", expires_in: 1e306 }, 0).expiresAt === Token.maxLifetimeSeconds * 1000 // true
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const maxLifetimeSeconds = 365 * 24 * 60 * 60

/** `expires_in` as a number of seconds, from a number or a numeric string. */
const expiresIn = (value: unknown): Option.Option<number> => {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? +value : NaN
  return Number.isFinite(number) && number >= 0 ? Option.some(number) : Option.none()
}

const optionalString = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined)

/**
 * Makes a `Token` of a decoded response's fields, `now` being the `Clock`'s
 * time when the response arrived. Expiry: `expires_in` (number or numeric
 * string), else the JWT `exp`, else `defaultLifetime`. The caller has checked
 * that the token field is a non-empty string.
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 *
 * const token = Token.fromResponse({ access_token: "abc", token_type: "bearer", expires_in: "60" }, 0)
 * // token.tokenType === "Bearer", token.expiresAt === 60_000
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResponse = (
  fields: Readonly<Record<string, unknown>>,
  now: number,
  options?: DecodeOptions
): Token => {
  const tokenField = options?.tokenField ?? "access_token"
  const accessToken = String(fields[tokenField])
  const lifetime = Option.getOrElse(
    Option.orElse(expiresIn(fields.expires_in), () =>
      Option.map(jwtExpiry(accessToken), (exp) => Math.max(0, exp - now / 1000))
    ),
    () => Duration.toSeconds(Duration.decode(options?.defaultLifetime ?? "1 hour"))
  )
  const tokenType = optionalString(fields.token_type) ?? "Bearer"
  const refreshToken = optionalString(fields.refresh_token)
  const idToken = optionalString(fields.id_token)
  const scope = optionalString(fields.scope)
  const others: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(fields)) {
    if (secretFields.has(name) || name === tokenField) continue
    // what is stored must survive JSON.stringify: a hostile nesting is cut, never kept whole
    const kept = bounded(value, storedLimits, 1)
    if (kept !== undefined) others[name] = kept
    if (Object.keys(others).length >= storedLimits.members) break
  }
  return new Token({
    accessToken: Redacted.make(accessToken),
    tokenType: tokenType.toLowerCase() === "bearer" ? "Bearer" : tokenType,
    // an expires_in of 1e306 would give Infinity: never renewed, and `null` in a JSON cache
    expiresAt: now + Math.min(lifetime, maxLifetimeSeconds) * 1000,
    ...(refreshToken === undefined ? {} : { refreshToken: Redacted.make(refreshToken) }),
    ...(idToken === undefined ? {} : { idToken: Redacted.make(idToken) }),
    ...(scope === undefined ? {} : { scope }),
    fields: others
  })
}

/**
 * Tells whether the token must be renewed at `now`: `earlyExpiry` before its
 * expiry (httpx-auth's `early_expiry`, default 30 s), so that a token does
 * not expire on its way to the server. An `earlyExpiry` of 0 means 0.
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 * import { Redacted } from "effect"
 *
 * const token = new Token.Token({ accessToken: Redacted.make("t"), tokenType: "Bearer", expiresAt: 60_000, fields: {} })
 * Token.isExpired(token, 40_000, "30 seconds") // true
 * Token.isExpired(token, 40_000, 0) // false
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isExpired = (
  token: Token,
  now: number,
  earlyExpiry: Duration.DurationInput = defaultEarlyExpiry
): boolean => now >= token.expiresAt - Duration.toMillis(Duration.decode(earlyExpiry))

/**
 * 30 seconds, as httpx-auth.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultEarlyExpiry: Duration.Duration = Duration.seconds(30)

/**
 * The token with the refresh token of `previous` when it has none: a refresh
 * response may leave `refresh_token` out, and the old one stays valid (RFC
 * 6749 section 6).
 *
 * @example
 * ```ts
 * import { Token } from "effect-http-auth"
 *
 * const old = Token.fromResponse({ access_token: "a", refresh_token: "r" }, 0)
 * const renewed = Token.keepRefreshToken(Token.fromResponse({ access_token: "b" }, 0), old)
 * // renewed.refreshToken holds "r"
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const keepRefreshToken = (token: Token, previous: Token): Token =>
  token.refreshToken !== undefined || previous.refreshToken === undefined
    ? token
    : new Token({ ...token, refreshToken: previous.refreshToken })
