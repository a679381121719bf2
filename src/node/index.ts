/**
 * `effect-http-auth/node`: what needs the optional peer `@effect/platform-node`.
 *
 * @since 0.1.0
 */

/**
 * An auth over Node's HTTP client and file system; the file token cache on Node.
 *
 * @since 0.1.0
 */
export * as NodeHttpAuth from "./NodeHttpAuth.js"

/**
 * The transport under an auth: TLS verification, client certificates,
 * proxies and timeouts on undici.
 *
 * @since 0.1.0
 */
export * as NodeTransport from "./NodeTransport.js"
