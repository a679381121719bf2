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
 * Microsoft Entra ID (Azure AD) presets.
 *
 * @since 0.1.0
 */
export * as AzureAD from "./providers/AzureAD.js"

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
 * How a client authenticates to a token endpoint.
 *
 * @since 0.1.0
 */
export * as ClientAuth from "./ClientAuth.js"

/**
 * Google service accounts: access tokens and id_tokens (JWT bearer grant).
 *
 * @since 0.1.0
 */
export * as Google from "./providers/Google.js"

/**
 * HTTP Digest (RFC 7616, RFC 2617), also for proxies.
 *
 * @since 0.1.0
 */
export * as Digest from "./Digest.js"

/**
 * How the device authorization grant (RFC 8628) shows its user code.
 *
 * @since 0.1.0
 */
export * as DeviceDisplay from "./DeviceDisplay.js"

/**
 * DPoP (RFC 9449): proofs of possession for sender-constrained tokens.
 *
 * @since 0.1.0
 */
export * as DPoP from "./DPoP.js"

/**
 * Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0),
 * fetched once per issuer.
 *
 * @since 0.1.0
 */
export * as Discovery from "./Discovery.js"

/**
 * The scheme type, layers, multi-auth, origin scoping and safe redirects.
 *
 * @since 0.1.0
 */
export * as HttpAuth from "./HttpAuth.js"

/**
 * Credentials per host from a .netrc file.
 *
 * @since 0.1.0
 */
export * as NetRc from "./NetRc.js"

/**
 * OAuth 1.0a (RFC 5849): signing and the three-legged flow.
 *
 * @since 0.1.0
 */
export * as OAuth1 from "./OAuth1.js"

/**
 * OAuth 2 grants and the token engine.
 *
 * @since 0.1.0
 */
export * as OAuth2 from "./OAuth2.js"

/**
 * Okta presets.
 *
 * @since 0.1.0
 */
export * as Okta from "./providers/Okta.js"

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

/**
 * The OAuth 2 token model.
 *
 * @since 0.1.0
 */
export * as Token from "./Token.js"

/**
 * Where tokens are kept.
 *
 * @since 0.1.0
 */
export * as TokenCache from "./TokenCache.js"

/**
 * Token requests.
 *
 * @since 0.1.0
 */
export * as TokenEndpoint from "./TokenEndpoint.js"

/**
 * WakaTime preset.
 *
 * @since 0.1.0
 */
export * as WakaTime from "./providers/WakaTime.js"
