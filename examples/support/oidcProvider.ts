/**
 * oidc-provider (npm), the OAuth 2 / OpenID Connect server the tests, the demo and the examples run
 * against, on 127.0.0.1 on an ephemeral port, closed with the scope.
 * Reusable: give it clients and features; `passwordGrant` registers the
 * resource owner password grant (which oidc-provider lacks), issuing refresh
 * tokens when `offline_access` is asked for.
 */
import { generateKeyPairSync, X509Certificate } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import type { AddressInfo } from "node:net"
import { HttpServerResponse } from "@effect/platform"
import { Effect, type Scope } from "effect"
import type { ClientMetadata, Configuration, default as Provider } from "oidc-provider"
import { type Server as Loopback, serve } from "./loopback.js"

type OidcProviderModule = typeof import("oidc-provider")

/**
 * oidc-provider, loaded on first use (the demo's first lines need not wait for it) and without the
 * "Unsupported runtime" warning it prints on import under Node 20, which it supports in fact (its
 * tests and ours pass there).
 */
const loadOidcProvider = (() => {
  let loaded: Promise<OidcProviderModule> | undefined
  return () => {
    loaded ??= (async () => {
      const warn = console.warn
      console.warn = (...args: Array<unknown>) => {
        if (!String(args[0]).includes("Unsupported runtime")) warn(...args)
      }
      try {
        return await import("oidc-provider")
      } finally {
        console.warn = warn
      }
    })()
    return loaded
  }
})()

/**
 * The signing key of every provider of this process: configuring one keeps oidc-provider from its
 * development-only keys (and the warning it prints about them).
 */
const signingKeys = (() => {
  let jwks: { keys: Array<Record<string, unknown>> } | undefined
  return () => {
    if (jwks === undefined) {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
      jwks = { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig", alg: "RS256" }] }
    }
    return jwks
  }
})()

/** What oidc-provider stores for a model instance (the fields the adapter looks up by). */
type AdapterPayload = Record<string, unknown> & { userCode?: string; uid?: string; grantId?: string; consumed?: number }

/** An in-memory storage adapter of our own, so that oidc-provider does not warn about its development one. */
const memoryAdapter = () => {
  const store = new Map<string, AdapterPayload>()
  const key = (model: string, id: string) => `${model}:${id}`
  return class MemoryAdapter {
    constructor(readonly model: string) {}
    async upsert(id: string, payload: AdapterPayload) {
      store.set(key(this.model, id), payload)
    }
    async find(id: string) {
      return store.get(key(this.model, id))
    }
    async findByUserCode(userCode: string) {
      return [...store.values()].find((payload) => payload.userCode === userCode)
    }
    async findByUid(uid: string) {
      return [...store.values()].find((payload) => payload.uid === uid)
    }
    async consume(id: string) {
      const payload = store.get(key(this.model, id))
      if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000)
    }
    async destroy(id: string) {
      store.delete(key(this.model, id))
    }
    async revokeByGrantId(grantId: string) {
      for (const [id, payload] of store) if (payload.grantId === grantId) store.delete(id)
    }
  }
}

export interface OidcProviderOptions {
  readonly clients: ReadonlyArray<ClientMetadata>
  /** Merged over `clientCredentials` and `introspection`, which are enabled. */
  readonly features?: Configuration["features"]
  /** Users (name -> password) of a registered `password` grant. */
  readonly passwordGrant?: Readonly<Record<string, string>> | undefined
  /** Token lifetimes in seconds, by oidc-provider model name (`AccessToken`, `ClientCredentials`, `RefreshToken`). */
  readonly ttl?: Readonly<Record<string, number>> | undefined
  /** Further configuration, merged last. */
  readonly configuration?: Configuration | undefined
  /** Serve over HTTPS with this certificate and key (PEM texts): the issuer is then `https://127.0.0.1:PORT`. */
  readonly https?: { readonly cert: string; readonly key: string } | undefined
  /**
   * A second HTTPS listener (with `https`) that asks for a client
   * certificate (RFC 8705): its handshake accepts any certificate,
   * `features.mTLS` reads it and trusts it when it chains to `ca`.
   * Enables `features.mTLS` (tls_client_auth, self_signed_tls_client_auth,
   * certificate-bound access tokens) and publishes the listener's token,
   * revocation and introspection endpoints as `mtls_endpoint_aliases`.
   */
  readonly mtls?: { readonly ca: string } | undefined
}

export interface OidcProvider {
  /** `http://127.0.0.1:PORT` */
  readonly issuer: string
  readonly tokenUrl: string
  readonly introspectionUrl: string
  /** The origin of the `mtls` listener, when there is one. */
  readonly mtlsOrigin?: string | undefined
  readonly provider: Provider
  /** How many requests the token endpoint received. */
  readonly tokenRequests: Effect.Effect<number>
  /** Every request, in order, as `METHOD /path` (no query); `mtls ` before those of the `mtls` listener. */
  readonly requests: Effect.Effect<ReadonlyArray<string>>
}

const passwordGrant = (
  provider: Provider,
  errors: OidcProviderModule["errors"],
  users: Readonly<Record<string, string>>
) => {
  provider.registerGrantType(
    "password",
    async (ctx: any) => {
      const params = ctx.oidc.params as Record<string, string | undefined>
      const username = params.username ?? ""
      if (users[username] === undefined || users[username] !== params.password) {
        throw new errors.InvalidGrant("invalid resource owner credentials")
      }
      const client = ctx.oidc.client!
      const scopes = (params.scope ?? "").split(" ").filter((s) => s !== "")
      const grant = new provider.Grant({ accountId: username, clientId: client.clientId })
      grant.addOIDCScope(scopes.join(" "))
      const grantId = await grant.save()
      const accessToken = new provider.AccessToken({
        accountId: username,
        client,
        grantId,
        gty: "password",
        scope: scopes.join(" ")
      })
      const body: Record<string, unknown> = {
        access_token: await accessToken.save(),
        expires_in: accessToken.expiration,
        token_type: accessToken.tokenType,
        scope: accessToken.scope
      }
      if (scopes.includes("offline_access") && client.grantTypeAllowed("refresh_token")) {
        const refreshToken = new provider.RefreshToken({
          accountId: username,
          client,
          grantId,
          gty: "password",
          scope: scopes.join(" ")
        })
        body.refresh_token = await refreshToken.save()
      }
      ctx.body = body
    },
    ["username", "password", "scope"]
  )
}

/** Starts oidc-provider; the scope stops it. */
export const startOidcProvider = (options: OidcProviderOptions): Effect.Effect<OidcProvider, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const { default: Provider, errors } = await loadOidcProvider()
      const server: Server = options.https === undefined ? createServer() : createHttpsServer({ ...options.https })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo
      const issuer = `${options.https === undefined ? "http" : "https"}://127.0.0.1:${port}`
      const mtls = options.https === undefined || options.mtls === undefined ? undefined : options.mtls
      // the handshake takes any certificate: tls_client_auth trusts it by its chain (certificateAuthorized),
      // self_signed_tls_client_auth by its registered thumbprint
      const mtlsServer =
        mtls === undefined
          ? undefined
          : createHttpsServer({ ...options.https, ca: mtls.ca, requestCert: true, rejectUnauthorized: false })
      if (mtlsServer !== undefined) await new Promise<void>((resolve) => mtlsServer.listen(0, "127.0.0.1", resolve))
      const mtlsOrigin =
        mtlsServer === undefined ? undefined : `https://127.0.0.1:${(mtlsServer.address() as AddressInfo).port}`
      const peer = (ctx: any) => {
        const socket = ctx.socket as { getPeerCertificate?: (detailed: boolean) => { raw?: Buffer } }
        const raw = socket.getPeerCertificate?.(true)?.raw
        return raw === undefined ? undefined : new X509Certificate(raw)
      }
      const mtlsFeatures: Configuration["features"] =
        mtls === undefined
          ? {}
          : {
              mTLS: {
                enabled: true,
                certificateBoundAccessTokens: true,
                tlsClientAuth: true,
                selfSignedTlsClientAuth: true,
                getCertificate: (ctx: any) => peer(ctx)?.toString(),
                certificateAuthorized: (ctx: any) => {
                  const ca = new X509Certificate(mtls.ca)
                  const certificate = peer(ctx)
                  return certificate?.checkIssued(ca) === true && certificate.verify(ca.publicKey)
                },
                certificateSubjectMatches: (ctx: any, property: string, expected: string) =>
                  property === "tls_client_auth_subject_dn" &&
                  (peer(ctx)?.subject ?? "").split("\n").reverse().join(",") === expected
              }
            }
      const provider = new Provider(issuer, {
        clients: [...options.clients],
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          introspection: { enabled: true, allowedPolicy: async () => true },
          ...mtlsFeatures,
          ...options.features
        },
        // numbers, not oidc-provider's default functions (which print a notice when called)
        ttl: {
          AccessToken: 3600,
          ClientCredentials: 3600,
          RefreshToken: 86400,
          Grant: 86400,
          IdToken: 3600,
          Session: 86400,
          Interaction: 3600,
          DeviceCode: 600,
          ...options.ttl
        },
        // refresh tokens for any client that may use them (oidc-provider's default wants a consent prompt)
        issueRefreshToken: async (_ctx: unknown, client: any) => client.grantTypeAllowed("refresh_token"),
        jwks: signingKeys(),
        adapter: memoryAdapter(),
        ...(mtlsOrigin === undefined
          ? {}
          : {
              clientAuthMethods: [
                "client_secret_basic",
                "client_secret_jwt",
                "client_secret_post",
                "private_key_jwt",
                "none",
                "tls_client_auth",
                "self_signed_tls_client_auth"
              ],
              discovery: {
                mtls_endpoint_aliases: {
                  token_endpoint: `${mtlsOrigin}/token`,
                  revocation_endpoint: `${mtlsOrigin}/token/revocation`,
                  introspection_endpoint: `${mtlsOrigin}/token/introspection`
                }
              }
            }),
        ...options.configuration
      })
      if (options.passwordGrant !== undefined) passwordGrant(provider, errors, options.passwordGrant)
      let tokenRequests = 0
      const callback = provider.callback()
      const requests: Array<string> = []
      const handle = (prefix: string) => (request: IncomingMessage, response: ServerResponse) => {
        if (request.method === "POST" && request.url === "/token") tokenRequests++
        requests.push(`${prefix}${request.method} ${(request.url ?? "").split("?")[0]}`)
        callback(request, response)
      }
      server.on("request", handle(""))
      mtlsServer?.on("request", handle("mtls "))
      return {
        server,
        mtlsServer,
        value: {
          issuer,
          tokenUrl: `${issuer}/token`,
          introspectionUrl: `${issuer}/token/introspection`,
          mtlsOrigin,
          provider,
          tokenRequests: Effect.sync(() => tokenRequests),
          requests: Effect.sync(() => [...requests])
        }
      }
    }),
    ({ mtlsServer, server }) =>
      Effect.promise(() =>
        Promise.all(
          [server, mtlsServer].map(
            (listener) =>
              new Promise<void>((resolve) => {
                if (listener === undefined) return resolve()
                listener.closeAllConnections()
                listener.close(() => resolve())
              })
          )
        )
      )
  ).pipe(Effect.map(({ value }) => value))

/**
 * A protected API (resource server) that asks the provider whether each
 * bearer token is active (RFC 7662 introspection, as `clientId`), and
 * answers `{ client, sub }` or 401 with `WWW-Authenticate: Bearer
 * error="invalid_token"`.
 */
export const protectedApi = (
  oidc: OidcProvider,
  resourceServer: { readonly clientId: string; readonly clientSecret: string }
): Effect.Effect<Loopback, unknown, Scope.Scope> =>
  serve((seen) =>
    Effect.gen(function* () {
      const token = /^Bearer (.+)$/.exec(seen.headers.authorization ?? "")?.[1]
      if (token === undefined) return HttpServerResponse.text("no token", { status: 401 })
      const basic = Buffer.from(`${resourceServer.clientId}:${resourceServer.clientSecret}`).toString("base64")
      const answer = yield* Effect.promise(() =>
        fetch(oidc.introspectionUrl, {
          method: "POST",
          headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token }).toString()
        }).then((response) => response.json() as Promise<{ active: boolean; client_id?: string; sub?: string }>)
      )
      return answer.active
        ? HttpServerResponse.unsafeJson({ client: answer.client_id, sub: answer.sub ?? null })
        : HttpServerResponse.text("inactive token", {
            status: 401,
            headers: { "www-authenticate": 'Bearer error="invalid_token"' }
          })
    })
  )
