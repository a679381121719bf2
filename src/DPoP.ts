/**
 * DPoP (RFC 9449): sender-constrained OAuth 2 tokens. A key pair of the
 * client's signs a proof (a JWT) for each token request and each resource
 * request; the server binds the token to the key's thumbprint, so that a
 * stolen token is useless without the key. The grants take a `dpop` option
 * and use this module; `make` is for `OAuth2.make` and
 * `TokenEndpoint.request` of your own.
 *
 * @since 0.1.0
 */
import { createPublicKey, generateKeyPairSync, KeyObject, type webcrypto } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import type { JWK, SignJWT } from "jose"
import { AuthenticationFailed, type InvalidOptions } from "./AuthError.js"
import { jose } from "./internal/jose.js"
import { type AsymmetricAlgorithm, importPrivateKey, type PrivateKeyInput } from "./internal/jwt.js"
import { invalid } from "./internal/options.js"
import { challengeS256 } from "./internal/pkce.js"
import * as SecureRandom from "./SecureRandom.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-http-auth/DPoP")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A key of the user's own: kept across restarts, so that a token cached in a
 * file stays usable.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyOptions {
  /** The private key: a private JWK, a `KeyObject`, a `CryptoKey`, or PEM text (a `Redacted` or `Config` of it). */
  readonly key: PrivateKeyInput | webcrypto.CryptoKey
  /** The signing algorithm. Default: the key's (`ES256` for a P-256 key, `RS256` for RSA, `EdDSA` for Ed25519). */
  readonly alg?: AsymmetricAlgorithm | undefined
}

/**
 * The `dpop` option of the grants: `true` for a fresh ES256 key per auth
 * (kept only in memory, and so are the tokens bound to it: a file or Redis
 * cache never holds them), a key of your own, or a prover made with `make`.
 *
 * @since 0.1.0
 * @category models
 */
export type Option = boolean | KeyOptions | Prover

/**
 * A request to prove: its method and absolute URL, and the access token it
 * carries (resource requests only).
 *
 * @since 0.1.0
 * @category models
 */
export interface ProofRequest {
  readonly method: string
  readonly url: string
  readonly accessToken?: Redacted.Redacted<string> | undefined
}

/**
 * A key ready to prove with: its public JWK and thumbprint computed once,
 * and the nonces the servers gave, one per origin (RFC 9449 section 8).
 *
 * @since 0.1.0
 * @category models
 */
export interface Prover {
  readonly [TypeId]: TypeId
  readonly algorithm: string
  /** The public key, as the proofs' `jwk` header carries it. */
  readonly publicJwk: Readonly<Record<string, string>>
  /** The JWK SHA-256 thumbprint (RFC 7638): the `cnf.jkt` of the tokens bound to this key. */
  readonly jkt: string
  /**
   * `true` for a key drawn by `make(true)`: it dies with the process, and
   * so does every token bound to it, so the grants keep those tokens in the
   * cache's memory only, never in its file or store (no later run could use
   * them). `false` for a key of the user's own; a prover of your own may
   * leave it out, which means `false`.
   */
  readonly ephemeral?: boolean | undefined
  /**
   * A proof for one request: `htm`, `htu` (without query and fragment),
   * `iat` from the `Clock`, `jti` from `SecureRandom`, `ath` when a token is
   * given, and the origin's nonce when one is known.
   */
  readonly proof: (request: ProofRequest) => Effect.Effect<string, AuthenticationFailed>
  /** The nonce remembered for the URL's origin. */
  readonly nonce: (url: string) => string | undefined
  /** Remembers a server's `DPoP-Nonce` for the URL's origin. */
  readonly rememberNonce: (url: string, nonce: string) => void
}

/**
 * @since 0.1.0
 * @category refinements
 */
export const isProver = (u: unknown): u is Prover => Predicate.hasProperty(u, TypeId)

/**
 * RFC 9449 section 4.2 and 4.3 (item 9): `htu` is the URL without its query
 * and fragment, normalised (RFC 3986 section 6: the scheme and host in lower
 * case, no default port), so that the server's comparison holds.
 *
 * @example
 * ```ts
 * import { DPoP } from "effect-http-auth"
 *
 * DPoP.htu("HTTPS://API.example:443/v1/items?page=2#top") // "https://api.example/v1/items"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const htu = (url: string): string | undefined => {
  if (!URL.canParse(url)) return undefined
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
}

const originOf = (url: string) => (URL.canParse(url) ? new URL(url).origin : url)

const isCryptoKey = (u: unknown): u is webcrypto.CryptoKey =>
  Predicate.isObject(u) &&
  !(u instanceof KeyObject) &&
  typeof (u as webcrypto.CryptoKey).algorithm === "object" &&
  "usages" in u

/**
 * A prover for the `dpop` option: `true` draws a fresh P-256 key (ES256),
 * kept only in memory; a key of your own is checked now (`InvalidOptions`
 * naming `dpop`), its public JWK and thumbprint computed once.
 *
 * @example
 * ```ts
 * import { DPoP, OAuth2, TokenEndpoint } from "effect-http-auth"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const auth = Effect.gen(function* () {
 *   const dpop = yield* DPoP.make(true)
 *   const client = yield* HttpClient.HttpClient
 *   const tokenUrl = "https://issuer.example/token"
 *   return yield* OAuth2.make({
 *     cacheKey: OAuth2.cacheKey({ grant: "client_credentials", tokenUrl, clientId: "app" }),
 *     grant: TokenEndpoint.request(client, { tokenUrl, params: { grant_type: "client_credentials", client_id: "app" }, dpop }),
 *     dpop
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (option: true | KeyOptions | Prover, scheme = "DPoP.make"): Effect.Effect<Prover, InvalidOptions> =>
  Effect.gen(function* () {
    if (isProver(option)) return option
    let key: KeyObject
    let algorithm: string
    const ephemeral = option === true
    if (option === true) {
      key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey
      algorithm = "ES256"
    } else {
      if (!Predicate.isRecord(option) || !("key" in option)) {
        return yield* Effect.fail(invalid(scheme, "dpop", "must be true, { key, alg? } or a DPoP.Prover"))
      }
      const given = isCryptoKey(option.key) ? KeyObject.from(option.key) : option.key
      // the key's own checks name `algorithm`; here it is `dpop`'s `alg`
      const signing = yield* Effect.mapError(
        importPrivateKey(scheme, "dpop", given, { algorithm: option.alg }),
        (error) => (error.option === "algorithm" ? invalid(scheme, "dpop", `alg: ${error.reason}`) : error)
      )
      key = signing.key
      algorithm = signing.algorithm
    }
    // jose loads here, at the first DPoP key, not with the core entry
    const { calculateJwkThumbprint, importJWK, SignJWT } = yield* jose
    const publicJwk = createPublicKey(key).export({ format: "jwk" }) as Record<string, string>
    const jkt = yield* Effect.promise(() => calculateJwkThumbprint(publicJwk, "sha256"))
    // jose signs with WebCrypto: the key imported once, not on every proof (a third of a proof's cost);
    // a key WebCrypto lacks (Ed448) stays a KeyObject
    const signing = yield* Effect.promise(() =>
      importJWK(key.export({ format: "jwk" }) as JWK, algorithm).then(
        (imported) => imported,
        () => key
      )
    )
    return makeProver(SignJWT, signing, algorithm, publicJwk, jkt, ephemeral)
  })

const makeProver = (
  Signer: typeof SignJWT,
  key: KeyObject | CryptoKey | Uint8Array,
  algorithm: string,
  publicJwk: Record<string, string>,
  jkt: string,
  ephemeral: boolean
): Prover => {
  // RFC 9449 section 4.2: the header is the same for every proof
  const header = { typ: "dpop+jwt", alg: algorithm, jwk: publicJwk }
  const nonces = new Map<string, string>()
  const nonce = (url: string) => nonces.get(originOf(url))
  return {
    [TypeId]: TypeId,
    algorithm,
    publicJwk,
    jkt,
    ephemeral,
    nonce,
    rememberNonce: (url, value) => {
      nonces.set(originOf(url), value)
    },
    proof: (request) =>
      Effect.gen(function* () {
        const target = htu(request.url)
        if (target === undefined) {
          return yield* Effect.fail(
            new AuthenticationFailed({
              scheme: "DPoP",
              reason: "a DPoP proof needs the request's absolute URL (RFC 9449 section 4.2): prepend a base URL"
            })
          )
        }
        const iat = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const jti = yield* SecureRandom.token(16)
        const known = nonce(request.url)
        const payload: Record<string, unknown> = { jti, htm: request.method.toUpperCase(), htu: target, iat }
        if (known !== undefined) payload.nonce = known
        // RFC 9449 section 4.2: ath, the base64url SHA-256 of the token's ASCII (as PKCE's S256 challenge)
        if (request.accessToken !== undefined) payload.ath = challengeS256(Redacted.value(request.accessToken))
        return yield* Effect.tryPromise({
          try: () => new Signer(payload).setProtectedHeader(header).sign(key),
          catch: (error) =>
            new AuthenticationFailed({
              scheme: "DPoP",
              reason: `could not sign the ${algorithm} proof (${error instanceof Error ? error.name : "error"})`
            })
        })
      })
  }
}
