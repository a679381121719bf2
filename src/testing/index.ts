/**
 * The users' test kit: layers that stand in for the network, the browser and
 * the authorization server in the tests of a program that uses
 * effect-http-auth.
 *
 * @since 0.1.0
 */

export {
  /**
   * Fixed randomness: every draw gives the same bytes, so computed values
   * (state, nonce, PKCE verifier, cnonce) are values a test can check.
   *
   * @since 0.1.0
   */
  layerFixed as randomFixed
} from "../SecureRandom.js"

export {
  /**
   * Randomness from a list: each draw takes the next bytes.
   *
   * @since 0.1.0
   */
  layerSequence as randomSequence
} from "../SecureRandom.js"

/**
 * A stand-in for the person and the authorization server of a browser grant.
 *
 * @since 0.1.0
 */
export * as BrowserTest from "./BrowserTest.js"

/**
 * A stand-in for the person and the authorization server of the device grant.
 *
 * @since 0.1.0
 */
export * as DeviceTest from "./DeviceTest.js"

export {
  /**
   * JWTs for tests.
   *
   * @since 0.1.0
   */
  createToken
} from "./createToken.js"

export type {
  /**
   * The claims, lifetime and signing secret of `createToken`.
   *
   * @since 0.1.0
   */
  CreateTokenOptions
} from "./createToken.js"

/**
 * A stand-in for any auth layer that records what it authenticated.
 *
 * @since 0.1.0
 */
export * as MockAuth from "./MockAuth.js"

/**
 * An in-memory authorization and resource server, scripted.
 *
 * @since 0.1.0
 */
export * as TestAuthorizationServer from "./TestAuthorizationServer.js"

/**
 * Token caches for tests: seeded with a fixed token, or empty and inspectable.
 *
 * @since 0.1.0
 */
export * as TokenCacheTest from "./TokenCacheTest.js"
