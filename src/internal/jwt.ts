/**
 * Signed JWTs for client authentication (RFC 7523 section 2.2) and
 * assertion grants (RFC 7523 section 2.1): key import and checks when the
 * auth is built, signing with `jose` for each token request. No message,
 * cause or log line holds key material: errors say what is wrong with a key,
 * never quote it.
 */
import { createPrivateKey, createSecretKey, type KeyObject } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import { AuthenticationFailed, type InvalidOptions } from "../AuthError.js"
import * as SecureRandom from "../SecureRandom.js"
import { validateDuration } from "./oauth2Options.js"
import { jose } from "./jose.js"
import { invalid, resolveSecret, type SecretInput } from "./options.js"

export { invalid }

/** RFC 7523 section 3: an assertion lives a short time; 60 s unless told. */
export const defaultLifetime = Duration.seconds(60)

/** The asymmetric algorithms (RFC 7518 section 3.1, RFC 8037). */
export type AsymmetricAlgorithm =
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512"
  | "EdDSA"

/** The HMAC algorithms (RFC 7518 section 3.2). */
export type HmacAlgorithm = "HS256" | "HS384" | "HS512"

/** A private JWK (RFC 7517), as an object. */
export interface PrivateJwk {
  readonly kty: string
  readonly kid?: string | undefined
  readonly [name: string]: unknown
}

/** A private key as a user may give it. */
export type PrivateKeyInput = SecretInput | PrivateJwk | KeyObject

/** A key ready to sign with, its algorithm chosen and checked. */
export interface SigningKey {
  readonly key: KeyObject
  readonly algorithm: string
  readonly keyId: string | undefined
}

const asymmetric: ReadonlyArray<AsymmetricAlgorithm> = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA"
]
const hmac: ReadonlyArray<HmacAlgorithm> = ["HS256", "HS384", "HS512"]

const curveOf: Record<string, string> = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" }

/** The algorithm a key signs with by default, or why it signs with none of ours. */
const defaultAlgorithm = (key: KeyObject): string | undefined => {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return "RS256"
    case "rsa-pss":
      return "PS256"
    case "ec":
      return curveOf[key.asymmetricKeyDetails?.namedCurve ?? ""]
    case "ed25519":
    case "ed448":
      return "EdDSA"
    default:
      return undefined
  }
}

/** Whether `algorithm` fits `key` (RFC 7518 sections 3.3 to 3.5, RFC 8037 section 3.1). */
const fits = (key: KeyObject, algorithm: string): boolean => {
  const type = key.asymmetricKeyType
  if (algorithm.startsWith("RS")) return type === "rsa"
  if (algorithm.startsWith("PS")) return type === "rsa" || type === "rsa-pss"
  if (algorithm.startsWith("ES"))
    return type === "ec" && curveOf[key.asymmetricKeyDetails?.namedCurve ?? ""] === algorithm
  return algorithm === "EdDSA" && (type === "ed25519" || type === "ed448")
}

const isKeyObject = (u: unknown): u is KeyObject =>
  Predicate.isObject(u) && typeof (u as KeyObject).type === "string" && typeof (u as KeyObject).export === "function"

const isJwk = (u: unknown): u is PrivateJwk =>
  Predicate.isRecord(u) && !Redacted.isRedacted(u) && !Config.isConfig(u) && typeof u.kty === "string"

const keyShapes = "a PEM string (PKCS #8 or PKCS #1), a Redacted PEM, a Config of one, a private JWK or a KeyObject"

/**
 * The private key checked and its algorithm chosen: `RS256` for RSA, `PS256`
 * for RSA-PSS, `ES256`/`ES384`/`ES512` by curve, `EdDSA` for Ed25519, unless
 * `algorithm` says otherwise (and fits the key). A JWK's `kid` is the key id
 * unless `keyId` is given.
 */
export const importPrivateKey = (
  scheme: string,
  option: string,
  input: PrivateKeyInput,
  options: { readonly algorithm?: string | undefined; readonly keyId?: string | undefined }
): Effect.Effect<SigningKey, InvalidOptions> =>
  Effect.gen(function* () {
    if (options.algorithm !== undefined && !asymmetric.includes(options.algorithm as AsymmetricAlgorithm)) {
      return yield* Effect.fail(
        invalid(
          scheme,
          "algorithm",
          `must be one of ${asymmetric.join(", ")}, not ${JSON.stringify(options.algorithm)}`
        )
      )
    }
    let key: KeyObject
    let kid: string | undefined
    if (isKeyObject(input)) {
      key = input
    } else if (isJwk(input)) {
      kid = typeof input.kid === "string" ? input.kid : undefined
      const parsed = parse(() => createPrivateKey({ key: input as any, format: "jwk" }))
      if (parsed === undefined)
        return yield* Effect.fail(
          invalid(scheme, option, "is a JWK that is no private key (RFC 7517): is its private part (d) there?")
        )
      key = parsed
    } else {
      const pem = Redacted.value(yield* resolveSecret(input as SecretInput, scheme, option, { multiline: true }))
      // a PEM from an environment variable often has its line breaks escaped
      const parsed = parse(() => createPrivateKey(pem.includes("\\n") ? pem.replaceAll("\\n", "\n") : pem))
      if (parsed === undefined)
        return yield* Effect.fail(invalid(scheme, option, `does not parse as a private key: give ${keyShapes}`))
      key = parsed
    }
    if (key.type !== "private") {
      return yield* Effect.fail(
        invalid(scheme, option, `is a ${key.type} key: a private key signs (give ${keyShapes})`)
      )
    }
    const algorithm = options.algorithm ?? defaultAlgorithm(key)
    if (algorithm === undefined) {
      return yield* Effect.fail(
        invalid(scheme, option, `is a ${key.asymmetricKeyType} key, which signs with none of ${asymmetric.join(", ")}`)
      )
    }
    if (!fits(key, algorithm)) {
      return yield* Effect.fail(
        invalid(
          scheme,
          "algorithm",
          `${algorithm} does not fit the key (${describe(key)}); ${defaultAlgorithm(key) ?? "none"} does`
        )
      )
    }
    // RFC 7518 section 3.3: RSA keys of 2048 bits or more (jose refuses smaller ones when signing)
    const bits = key.asymmetricKeyDetails?.modulusLength
    if (bits !== undefined && bits < 2048) {
      return yield* Effect.fail(
        invalid(scheme, option, `is a ${bits}-bit RSA key: 2048 bits or more (RFC 7518 section 3.3)`)
      )
    }
    return { key, algorithm, keyId: options.keyId ?? kid }
  })

/** An HMAC key from a client secret (RFC 7523 section 2.2 with RFC 7518 section 3.2). */
export const hmacKey = (
  scheme: string,
  secret: Redacted.Redacted<string>,
  options: { readonly algorithm?: string | undefined; readonly keyId?: string | undefined }
): Either.Either<SigningKey, InvalidOptions> => {
  const algorithm = options.algorithm ?? "HS256"
  return hmac.includes(algorithm as HmacAlgorithm)
    ? Either.right({
        key: createSecretKey(Buffer.from(Redacted.value(secret), "utf8")),
        algorithm,
        keyId: options.keyId
      })
    : Either.left(invalid(scheme, "algorithm", `must be one of ${hmac.join(", ")}, not ${JSON.stringify(algorithm)}`))
}

const parse = (f: () => KeyObject): KeyObject | undefined => {
  try {
    return f()
  } catch {
    // the crypto error is dropped: it is about the key, and the key is secret
    return undefined
  }
}

const describe = (key: KeyObject) =>
  key.asymmetricKeyType === "ec" ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : `${key.asymmetricKeyType}`

/** Checks an assertion lifetime: more than 0, at most `max`. */
export const validateLifetime = (
  value: Duration.DurationInput | undefined,
  fallback: Duration.DurationInput,
  max: Duration.DurationInput,
  scheme: string,
  option: string
) =>
  Effect.flatMap(validateDuration(value, fallback, scheme, option, { positive: true }), (lifetime) =>
    Duration.greaterThan(lifetime, Duration.decode(max))
      ? Effect.fail(invalid(scheme, option, `must be at most ${Duration.format(Duration.decode(max))}`))
      : Effect.succeed(lifetime)
  )

/** What a signed assertion says; `iat`, `exp` and `jti` are added when signing. */
export interface AssertionClaims {
  readonly iss: string
  readonly sub?: string | undefined
  readonly aud: string | ReadonlyArray<string>
  readonly [claim: string]: unknown
}

/**
 * A signed JWT: `iat` now (from the `Clock`), `exp` `lifetime` ahead, and a
 * fresh `jti` (from `SecureRandom`, 128 bits) so that no two are alike
 * (RFC 7523 section 3, item 7).
 */
export const sign = (
  scheme: string,
  signingKey: SigningKey,
  claims: AssertionClaims,
  lifetime: Duration.Duration
): Effect.Effect<string, AuthenticationFailed> =>
  Effect.gen(function* () {
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const jti = yield* SecureRandom.token(16)
    const payload = {
      ...claims,
      jti,
      iat: now,
      exp: now + Math.ceil(Duration.toSeconds(lifetime))
    } as Record<string, unknown>
    const header = {
      alg: signingKey.algorithm,
      typ: "JWT",
      ...(signingKey.keyId === undefined ? {} : { kid: signingKey.keyId })
    }
    const { SignJWT } = yield* jose
    return yield* Effect.tryPromise({
      try: () => new SignJWT(payload).setProtectedHeader(header).sign(signingKey.key),
      // jose's message names the algorithm or the key type, never the key: the cause is still left out
      catch: (error) =>
        new AuthenticationFailed({
          scheme,
          reason: `could not sign the ${signingKey.algorithm} assertion (${error instanceof Error ? error.name : "error"})`
        })
    })
  })
