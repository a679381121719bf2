/**
 * Node.js set-ups of the core: an auth over Node's HTTP client and file
 * system, and the file token cache on Node's file system. This module needs
 * the optional peer `@effect/platform-node`, which is why it lives behind
 * `effect-http-auth/node` and the core entry never imports it.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import * as HttpAuth from "../HttpAuth.js"
import * as TokenCache from "../TokenCache.js"

/**
 * `HttpAuth.layer(auth)` over Node's undici client: the `HttpClient` it
 * provides sends every request with the auth's credentials, and the auth is
 * built with Node's file system at hand (`NetRc.make`, the AWS shared
 * credentials file). What else the auth needs (a `TokenCache` for OAuth 2)
 * is still to be provided.
 *
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * import { Config, Effect } from "effect"
 * import { Bearer } from "effect-http-auth"
 * import { NodeHttpAuth } from "effect-http-auth/node"
 *
 * const AuthLive = NodeHttpAuth.layer(Bearer.make(Config.redacted("API_TOKEN")))
 *
 * const program = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("https://api.example.com/me"))
 * program.pipe(Effect.provide(AuthLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <E = never, R = never>(
  auth: HttpAuth.Input<E, R>
): Layer.Layer<HttpClient.HttpClient, E, Exclude<R, HttpClient.HttpClient | FileSystem.FileSystem>> =>
  HttpAuth.layer(auth).pipe(Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)))

/**
 * `TokenCache.layerFile` on Node's file system: tokens in one JSON file
 * (mode 0600) that survive a restart.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { OAuth2 } from "effect-http-auth"
 * import { NodeHttpAuth } from "effect-http-auth/node"
 *
 * const AuthLive = NodeHttpAuth.layer(
 *   OAuth2.clientCredentials({ tokenUrl: "https://issuer.example/token", clientId: "app", clientSecret: "s" })
 * ).pipe(Layer.provide(NodeHttpAuth.layerFileCache({ path: ".tokens.json" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFileCache = <const O extends TokenCache.FileOptions>(
  options: O
): Layer.Layer<TokenCache.TokenCache, TokenCache.FileError<O>> =>
  TokenCache.layerFile(options).pipe(Layer.provide(NodeFileSystem.layer))
