/**
 * Validation of the OAuth 2 options shared by the grants, and cache keys.
 */
import { createHash } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { CacheKeyParts } from "../OAuth2.js"
import { invalid } from "./options.js"

export const validateUrl = (value: string, scheme: string, option: string) => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Effect.fail(invalid(scheme, option, `is not a URL (${JSON.stringify(value)})`))
  }
  return url.protocol === "https:" || url.protocol === "http:"
    ? Effect.succeed(url.toString())
    : Effect.fail(invalid(scheme, option, `must be an http or https URL, not ${url.protocol}`))
}

/** RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by spaces. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export const validateScope = (
  scope: string | ReadonlyArray<string> | undefined,
  scheme: string,
  option = "scope"
): Effect.Effect<string | undefined, ReturnType<typeof invalid>> => {
  if (scope === undefined) return Effect.succeed(undefined)
  const tokens = typeof scope === "string" ? scope.split(" ").filter((s) => s !== "") : scope
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      return Effect.fail(
        invalid(scheme, option, `holds ${JSON.stringify(token)}, which is not a scope token (RFC 6749 section 3.3)`)
      )
    }
  }
  return Effect.succeed(tokens.length === 0 ? undefined : tokens.join(" "))
}

export const validateDuration = (
  value: Duration.DurationInput | undefined,
  fallback: Duration.DurationInput,
  scheme: string,
  option: string,
  options?: { readonly positive?: boolean }
) => {
  // Duration clamps a negative number to 0, and makes NaN 0: refuse them before
  if (typeof value === "number" && value < 0) return Effect.fail(invalid(scheme, option, "must not be negative"))
  if (typeof value === "number" && Number.isNaN(value)) return Effect.fail(invalid(scheme, option, "is not a Duration"))
  const decoded = Duration.decodeUnknown(value ?? fallback)
  if (decoded._tag === "None") return Effect.fail(invalid(scheme, option, "is not a Duration"))
  const millis = Duration.toMillis(decoded.value)
  if (Number.isNaN(millis) || millis < 0 || (options?.positive && millis === 0)) {
    return Effect.fail(invalid(scheme, option, options?.positive ? "must be more than 0" : "must not be negative"))
  }
  return Effect.succeed(decoded.value)
}

/** A size bound: a whole number of bytes from 1 up, `fallback` when not given. */
export const validateByteCount = (value: number | undefined, fallback: number, scheme: string, option: string) =>
  value === undefined
    ? Effect.succeed(fallback)
    : Number.isSafeInteger(value) && value >= 1
      ? Effect.succeed(value)
      : Effect.fail(invalid(scheme, option, `must be a whole number of bytes from 1 up, not ${value}`))

export const validateNonEmpty = (value: string, scheme: string, option: string) =>
  value === "" ? Effect.fail(invalid(scheme, option, "must not be empty")) : Effect.succeed(value)

/** A short hash of a secret, so that a cache key differs per secret without holding it. */
export const secretHash = (secret: Redacted.Redacted<string> | undefined) =>
  secret === undefined ? "-" : createHash("sha256").update(Redacted.value(secret)).digest("base64url").slice(0, 22)

/**
 * A cache key: the grant, the token URL and the client id in clear (to read a
 * cache file), then a hash of everything else that makes a token differ.
 */
export const cacheKey = (parts: CacheKeyParts) => {
  const scope = [...new Set((parts.scope ?? "").split(" ").filter((s) => s !== ""))].sort()
  const sorted = (record: Readonly<Record<string, unknown>> | undefined) =>
    Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const canonical = JSON.stringify([
    parts.grant,
    parts.tokenUrl,
    parts.clientId ?? null,
    secretHash(parts.clientSecret),
    scope,
    sorted(parts.params),
    sorted(parts.secrets).map(([name, value]) => [name, secretHash(value as Redacted.Redacted<string>)])
  ])
  const digest = createHash("sha256").update(canonical).digest("base64url").slice(0, 22)
  return `${parts.grant} ${parts.tokenUrl} ${parts.clientId ?? "-"} ${digest}`
}
