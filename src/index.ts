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
 * AWS credentials: static, environment, shared file, refreshable.
 *
 * @since 0.1.0
 */
export * as AwsCredentials from "./AwsCredentials.js"

/**
 * AWS Signature Version 4: header signing and presigned URLs.
 *
 * @since 0.1.0
 */
export * as AwsSigV4 from "./AwsSigV4.js"

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
 * The scheme type, layers, multi-auth, origin scoping and safe redirects.
 *
 * @since 0.1.0
 */
export * as HttpAuth from "./HttpAuth.js"

/**
 * The randomness service.
 *
 * @since 0.1.0
 */
export * as SecureRandom from "./SecureRandom.js"
