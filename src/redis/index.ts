/**
 * `effect-http-auth/redis`: the token cache of a fleet, which needs the
 * optional peer `ioredis`.
 *
 * @since 0.1.0
 */

/**
 * Tokens shared in Redis by many processes, with a distributed single-flight.
 *
 * @since 0.1.0
 */
export * as RedisTokenCache from "./RedisTokenCache.js"
