/**
 * JWTs for tests (httpx-auth's `create_token`).
 *
 * @since 0.1.0
 */
import { createHmac, type KeyObject, sign } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateTokenOptions {
  /** Lifetime from now (the `Clock`'s now, so `TestClock` moves it): sets `exp`. Default 1 hour. */
  readonly expiresIn?: Duration.DurationInput | undefined
  /** Further claims (`sub`, `nonce`, `scope`, ...); they override `iat` and `exp`. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined
  /** With a secret the token is signed with HS256; without, it is unsigned (`alg: "none"`). */
  readonly secret?: string | Redacted.Redacted<string> | undefined
  /**
   * An EC P-256 private key: the token is signed with ES256 (as BrowserTest
   * signs its id_tokens), for a verifier that reads the public key from a JWKS.
   */
  readonly privateKey?: KeyObject | undefined
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")

/**
 * A JWT (RFC 7519) with `iat` and `exp` taken from the `Clock`: unsigned by
 * default, HS256 with a `secret`, ES256 with a `privateKey`. No dependency:
 * node:crypto signs.
 *
 * @example
 * ```ts
 * import { createToken } from "effect-http-auth/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const token = yield* createToken({ expiresIn: "5 minutes", claims: { sub: "alice" } })
 *   // eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpYXQiOj...
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const createToken = (options?: CreateTokenOptions): Effect.Effect<string> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const iat = Math.floor(now / 1000)
    const lifetime = Duration.toSeconds(Duration.decode(options?.expiresIn ?? "1 hour"))
    const payload = { iat, exp: iat + Math.floor(lifetime), ...options?.claims }
    const secret = options?.secret
    const privateKey = options?.privateKey
    const header = { alg: privateKey !== undefined ? "ES256" : secret === undefined ? "none" : "HS256", typ: "JWT" }
    const unsigned = `${base64url(header)}.${base64url(payload)}`
    // RFC 7518 section 3.4: ES256's signature is R and S side by side, not DER
    if (privateKey !== undefined) {
      // ES256 is a P-256 key's: another key would sign what its header does not say
      const details = privateKey.asymmetricKeyDetails
      if (
        privateKey.type !== "private" ||
        privateKey.asymmetricKeyType !== "ec" ||
        details?.namedCurve !== "prime256v1"
      ) {
        throw new TypeError(
          `createToken: privateKey must be a P-256 (prime256v1) EC private key for ES256, not a ${privateKey.type} ${privateKey.asymmetricKeyType ?? "secret"} key${details?.namedCurve === undefined ? "" : ` on ${details.namedCurve}`}`
        )
      }
      return `${unsigned}.${sign("sha256", Buffer.from(unsigned), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`
    }
    if (secret === undefined) return `${unsigned}.`
    const key = typeof secret === "string" ? secret : Redacted.value(secret)
    return `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`
  })
