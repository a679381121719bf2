/**
 * oidc-provider (npm), the OAuth 2 / OpenID Connect server the tests, the demo and the examples run
 * against, on 127.0.0.1 on an ephemeral port, closed with the scope.
 * Reusable: give it clients and features; `passwordGrant` registers the
 * resource owner password grant (which oidc-provider lacks), issuing refresh
 * tokens when `offline_access` is asked for.
 */
import { generateKeyPairSync } from "node:crypto"
import { createServer, type Server } from "node:http"
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
}

export interface OidcProvider {
  /** `http://127.0.0.1:PORT` */
  readonly issuer: string
  readonly tokenUrl: string
  readonly introspectionUrl: string
  readonly provider: Provider
  /** How many requests the token endpoint received. */
  readonly tokenRequests: Effect.Effect<number>
  /** Every request it received, as `METHOD /path` (without the query), in order. */
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
      const server: Server = createServer()
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo
      const issuer = `http://127.0.0.1:${port}`
      const provider = new Provider(issuer, {
        clients: [...options.clients],
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          introspection: { enabled: true, allowedPolicy: async () => true },
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
        ...options.configuration
      })
      if (options.passwordGrant !== undefined) passwordGrant(provider, errors, options.passwordGrant)
      let tokenRequests = 0
      const requests: Array<string> = []
      const callback = provider.callback()
      server.on("request", (request, response) => {
        if (request.method === "POST" && request.url === "/token") tokenRequests++
        requests.push(`${request.method} ${(request.url ?? "").split("?")[0]}`)
        callback(request, response)
      })
      return {
        server,
        value: {
          issuer,
          tokenUrl: `${issuer}/token`,
          introspectionUrl: `${issuer}/token/introspection`,
          provider,
          tokenRequests: Effect.sync(() => tokenRequests),
          requests: Effect.sync(() => [...requests])
        }
      }
    }),
    ({ server }) =>
      Effect.promise(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections()
            server.close(() => resolve())
          })
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
