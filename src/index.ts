/**
 * @since 0.1.0
 */

/**
 * API keys in a header or the query.
 *
 * @since 0.1.0
 */
export * as ApiKey from "./ApiKey.js"

/**
 * Tagged errors.
 *
 * @since 0.1.0
 */
export * as AuthError from "./AuthError.js"

/**
 * HTTP Basic (RFC 7617).
 *
 * @since 0.1.0
 */
export * as Basic from "./Basic.js"

/**
 * Bearer tokens (RFC 6750).
 *
 * @since 0.1.0
 */
export * as Bearer from "./Bearer.js"

/**
 * Opening the authorization URL of a browser grant.
 *
 * @since 0.1.0
 */
export * as Browser from "./Browser.js"

/**
 * The scheme type, layers, multi-auth, origin scoping and safe redirects.
 *
 * @since 0.1.0
 */
export * as HttpAuth from "./HttpAuth.js"

/**
 * The one-shot loopback listener of the browser grants.
 *
 * @since 0.1.0
 */
export * as RedirectListener from "./RedirectListener.js"

/**
 * The randomness service.
 *
 * @since 0.1.0
 */
export * as SecureRandom from "./SecureRandom.js"
