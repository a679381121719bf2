/**
 * The transport under an auth: an `HttpClient` on undici with TLS
 * verification (httpx's `verify`), a client certificate (httpx's `cert`), a
 * forward proxy with credentials, and connection timeouts. Every option is
 * read and checked when the layer is built; the undici dispatcher lives in
 * the layer's scope and is destroyed when it closes.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { InvalidOptions } from "../AuthError.js"
import * as internal from "./internal/transport.js"

/**
 * Which servers to trust. `true` (the default) trusts the system's roots;
 * an object trusts the CAs it names, and only those unless
 * `withSystemRoots` is set (as httpx's `verify="ca.pem"`).
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /** A PEM file with one or more CA certificates. */
  readonly caFile?: string | undefined
  /** A directory whose files hold PEM CA certificates (every file is read; those without one are skipped). */
  readonly caDir?: string | undefined
  /** PEM text of one or more CA certificates. */
  readonly ca?: string | ReadonlyArray<string> | undefined
  /** Trust the system's roots as well (default `false`). */
  readonly withSystemRoots?: boolean | undefined
}

/**
 * A client certificate and its key from PEM files.
 *
 * @since 0.1.0
 * @category models
 */
export interface CertFileOptions {
  readonly certFile: string
  readonly keyFile: string
  /** Decrypts an encrypted key. */
  readonly passphrase?: string | Redacted.Redacted<string> | undefined
}

/**
 * A client certificate and its key as PEM text.
 *
 * @since 0.1.0
 * @category models
 */
export interface CertPemOptions {
  readonly cert: string
  readonly key: string | Redacted.Redacted<string>
  readonly passphrase?: string | Redacted.Redacted<string> | undefined
}

/**
 * A client certificate and its key as a PKCS#12 (`.p12`, `.pfx`) bundle.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pkcs12Options {
  readonly pfxFile: string
  readonly passphrase?: string | Redacted.Redacted<string> | undefined
}

/**
 * A forward proxy with credentials given apart from its URL.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProxyOptions {
  /** `http://proxy:3128` or `https://...`. */
  readonly url: string
  readonly username?: string | undefined
  readonly password?: string | Redacted.Redacted<string> | undefined
  /**
   * `"basic"` (default): Basic credentials sent with every CONNECT, unasked.
   * `"digest"`: none at first, then the answer to the proxy's Digest
   * challenge (407). `"auto"`: the answer to its Digest or Basic challenge.
   */
  readonly scheme?: "basic" | "digest" | "auto" | undefined
}

/**
 * The proxies of the environment, as `proxy: "env"`, answered with a scheme:
 * `{ env: true, scheme: "digest" }`. The credentials are those in the URLs of
 * the variables.
 *
 * @example
 * ```ts
 * import { NodeTransport } from "effect-http-auth/node"
 *
 * // HTTPS_PROXY=http://me:s3cret@proxy.corp:3128, a proxy that asks for Digest
 * const Transport = NodeTransport.layer({ proxy: { env: true, scheme: "digest" } })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EnvProxyOptions {
  /** Read `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (lower case first) when the layer is built. */
  readonly env: true
  /** As `ProxyOptions.scheme`, for every proxy the variables name; `"digest"` and `"auto"` need credentials in its URL. */
  readonly scheme?: "basic" | "digest" | "auto" | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `true` (system roots), `false` (no verification, a warning per host) or the CAs to trust. */
  readonly verify?: boolean | VerifyOptions | undefined
  /** The client certificate (mutual TLS). */
  readonly cert?: CertFileOptions | CertPemOptions | Pkcs12Options | undefined
  /** A proxy URL (credentials in it or not), `{ url, username, password, scheme }`, `"env"` or `{ env: true, scheme }`. */
  readonly proxy?: string | ProxyOptions | EnvProxyOptions | undefined
  /** Time to open a connection, TLS handshake included. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How long an idle kept-alive connection stays open. */
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
  /** The most a server's `Keep-Alive: timeout=` hint may keep a connection open. */
  readonly keepAliveMaxTimeout?: Duration.DurationInput | undefined
}

const isTransportError = (error: unknown): error is HttpClientError.RequestError =>
  HttpClientError.isHttpClientError(error) && error._tag === "RequestError" && error.reason === "Transport"

/**
 * The client of `layer`, in a scope: for a client that a program holds
 * itself, such as one for an identity provider that needs its own CA.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeTransport } from "effect-http-auth/node"
 *
 * const program = Effect.gen(function* () {
 *   const client = yield* NodeTransport.make({ verify: { caFile: "/etc/idp/ca.pem" } })
 *   return yield* client.get("https://idp.internal/.well-known/openid-configuration")
 * })
 * Effect.scoped(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<HttpClient.HttpClient, InvalidOptions, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = yield* internal.resolve(options)
    const alerts = new internal.Alerts(settings.tls.cert !== undefined || settings.tls.pfx !== undefined)
    const dispatcher = yield* Effect.acquireRelease(
      Effect.sync(() => internal.dispatcher(settings, alerts)),
      (dispatcher) => Effect.promise(() => dispatcher.destroy())
    )
    const proxyFor = internal.proxyFor(settings.proxy)
    const client = HttpClient.transformResponse(NodeHttpClient.makeUndici(dispatcher), (response) =>
      Effect.catchIf(response, isTransportError, (error) => {
        let url: URL
        try {
          url = new URL(error.request.url)
        } catch {
          return Effect.fail(error)
        }
        const cause = internal.classify(error.cause, url, proxyFor, alerts)
        return Effect.fail(
          cause === undefined
            ? error
            : new HttpClientError.RequestError({
                request: error.request,
                reason: "Transport",
                cause,
                description: cause.message
              })
        )
      })
    )
    if (settings.verify) return client
    const warned = new Set<string>()
    return HttpClient.tapRequest(client, (request) =>
      Effect.suspend(() => {
        const url = URL.canParse(request.url) ? new URL(request.url) : undefined
        if (url === undefined || url.protocol !== "https:" || warned.has(url.host)) return Effect.void
        warned.add(url.host)
        return Effect.logWarning(
          `NodeTransport: verify is false, so the certificate of ${url.host} is not checked: anyone on the path can read and change this traffic; trust the server's CA with verify: { caFile } instead`
        )
      })
    )
  })

/**
 * An `HttpClient` on undici with TLS verification, a client certificate, a
 * proxy and timeouts. Bad options (a CA file that cannot be read or holds no
 * certificate, a key that does not match its certificate, a wrong
 * passphrase, a proxy URL that is not http(s)) fail the layer with
 * `InvalidOptions` before any request. A refused certificate reaches the
 * program as a `RequestError` (reason `"Transport"`) whose cause is a
 * `TlsError`; a proxy's refusal, a `ProxyError`. Proxy credentials go to the
 * proxy only, in its CONNECT request (for http targets too).
 *
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 * import { Bearer, HttpAuth } from "effect-http-auth"
 * import { NodeTransport } from "effect-http-auth/node"
 *
 * const Transport = NodeTransport.layer({
 *   verify: { caFile: "/etc/corp/ca.pem" },
 *   cert: { certFile: "client.pem", keyFile: "client.key" },
 *   proxy: { url: "http://proxy.corp:3128", username: "me", password: Redacted.make("s3cret") }
 * })
 * const AuthLive = HttpAuth.layer(Bearer.make("token")).pipe(Layer.provide(Transport))
 *
 * const program = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("https://api.corp/me"))
 * program.pipe(Effect.provide(AuthLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient, InvalidOptions> =>
  Layer.scoped(HttpClient.HttpClient, make(options))
