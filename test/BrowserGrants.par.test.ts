/**
 * Pushed authorization requests (RFC 9126), the `iss` check (RFC 9207) and
 * DPoP on a browser grant (RFC 9449 section 10), against oidc-provider: a
 * real headless Chromium logs in, or BrowserTest answers as a mixed-up
 * server would.
 */
import { randomBytes } from "node:crypto"
import { HttpClient, type HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from "jose"
import type { ClientMetadata } from "oidc-provider"
import { type AuthError, Browser, ClientAuth, HttpAuth, OAuth2, type Token } from "../src/index.js"
import { BrowserTest } from "../src/testing/index.js"
import { launch } from "./fixtures/chromium.js"
import { dpopApi } from "./fixtures/dpopResource.js"
import { logIn, startOidcProvider } from "./fixtures/oidcProvider.js"
import { echo, freePort, serve } from "./fixtures/server.js"

const resourceServer: ClientMetadata = {
  client_id: "resource-server",
  client_secret: "rs-secret",
  grant_types: ["client_credentials"],
  response_types: [],
  redirect_uris: []
}

/** oidc-provider with PAR (required when `requirePar`); its DPoP proofs need its nonce when `dpopNonce`. */
const provider = (redirectUri: string, requirePar: boolean, dpopNonce = false) =>
  startOidcProvider({
    clients: [
      {
        client_id: "cli",
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [redirectUri]
      },
      {
        client_id: "web",
        client_secret: "web-secret",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [redirectUri]
      },
      resourceServer
    ],
    features: {
      devInteractions: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: requirePar },
      ...(dpopNonce ? { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } } : {})
    },
    configuration: { scopes: ["openid"] }
  })

const listener = (port: number) =>
  ({ redirectUriDomain: "127.0.0.1", redirectUriPort: port, redirectUriEndpoint: "callback" }) as const

/** A free port for the redirect listener, and oidc-provider with that redirect URI registered. */
const providerOnPort = (requirePar: boolean, dpopNonce = false) =>
  Effect.gen(function* () {
    const port = yield* Effect.promise(freePort)
    const redirectUri = `http://127.0.0.1:${port}/callback`
    return { port, redirectUri, oidc: yield* provider(redirectUri, requirePar, dpopNonce) }
  })

/** What the CLI client's code grants share here: the issuer, openid, the listener's address. */
const cliGrant = (issuer: string, port: number) => ({ issuer, clientId: "cli", scope: "openid", ...listener(port) })

const json = (body: unknown, status = 200) => Effect.succeed(HttpServerResponse.unsafeJson(body, { status }))

/** The metadata of a server of ours at `origin` that requires PAR. */
const parMetadata = (origin: string) => ({
  issuer: origin,
  authorization_endpoint: `${origin}/auth`,
  token_endpoint: `${origin}/token`,
  pushed_authorization_request_endpoint: `${origin}/par`,
  require_pushed_authorization_requests: true
})

describe("PAR, iss and DPoP on the browser grants against oidc-provider", () => {
  it.scopedLive(
    "PAR required by the metadata (auto), with DPoP: the browser gets only client_id and request_uri",
    () =>
      Effect.gen(function* () {
        const { oidc, port } = yield* providerOnPort(true)
        const api = yield* dpopApi(oidc, { clientId: "resource-server", clientSecret: "rs-secret" })
        const browser = yield* launch
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.authorizationCodePkce({
            ...cliGrant(oidc.issuer, port),
            authorizationParams: { prompt: "consent" },
            dpop: true,
            onToken: (token) => Effect.sync(() => tokens.push(token))
          })
        ).pipe(Effect.provide(browser.layer(logIn("alice"))))
        const me = yield* client.get(`${api.origin}/me`)
        expect(me.status).toBe(200)
        expect(browser.errors).toEqual([])
        const authorize = browser.exchanges.find((exchange) => exchange.url.startsWith(`${oidc.issuer}/auth?`))!
        const sent = new URL(authorize.url).searchParams
        expect([...sent.keys()].sort()).toEqual(["client_id", "request_uri"])
        expect(sent.get("client_id")).toBe("cli")
        expect(sent.get("request_uri")).toMatch(/^urn:ietf:params:oauth:request_uri:/)
        expect(tokens[0]!.tokenType).toBe("DPoP")
        expect((yield* me.json) as unknown).toEqual({ client: "cli", jkt: tokens[0]!.jkt })
        expect(yield* api.refusals).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )

  it.scopedLive(
    "PAR with DPoP (RFC 9449 section 10.1): the push carries a proof (the server's nonce after one refusal), no dpop_jkt",
    () =>
      Effect.gen(function* () {
        const { oidc, port } = yield* providerOnPort(true, true)
        const api = yield* dpopApi(oidc, { clientId: "resource-server", clientSecret: "rs-secret" })
        const browser = yield* launch
        // what the grant sends the provider, as its tokenClient sees it
        const sent: Array<HttpClientRequest.HttpClientRequest> = []
        const tokenClient = HttpClient.tapRequest(yield* HttpClient.HttpClient, (request) =>
          Effect.sync(() => sent.push(request))
        )
        const tokens: Array<Token.Token> = []
        const client = yield* HttpAuth.client(
          OAuth2.authorizationCodePkce({
            ...cliGrant(oidc.issuer, port),
            authorizationParams: { prompt: "consent" },
            dpop: true,
            tokenClient,
            onToken: (token) => Effect.sync(() => tokens.push(token))
          })
        ).pipe(Effect.provide(browser.layer(logIn("alice"))))
        const me = yield* client.get(`${api.origin}/me`)
        expect(me.status).toBe(200)
        expect(browser.errors).toEqual([])
        expect(tokens[0]!.tokenType).toBe("DPoP")
        expect((yield* me.json) as unknown).toEqual({ client: "cli", jkt: tokens[0]!.jkt })

        // the push: refused once for the nonce (400 use_dpop_nonce), then taken with it; the token request
        // had the nonce already
        const parUrl = `${oidc.issuer}/request`
        const pushes = sent.filter((request) => request.url === parUrl)
        expect(pushes.length).toBe(2)
        expect((yield* oidc.requests).filter((r) => r === "POST /request" || r === "POST /token")).toEqual([
          "POST /request",
          "POST /request",
          "POST /token"
        ])
        const proofs = pushes.map((request) => request.headers.dpop!)
        for (const proof of proofs) {
          const header = decodeProtectedHeader(proof)
          expect(header.typ).toBe("dpop+jwt")
          expect(yield* Effect.promise(() => calculateJwkThumbprint(header.jwk as JWK, "sha256"))).toBe(tokens[0]!.jkt)
          expect(decodeJwt(proof)).toMatchObject({ htm: "POST", htu: parUrl })
        }
        expect(decodeJwt(proofs[0]!).nonce).toBeUndefined()
        expect(decodeJwt(proofs[1]!).nonce).toEqual(expect.any(String))
        const body = pushes[1]!.body
        const form = new URLSearchParams(body._tag === "Uint8Array" ? new TextDecoder().decode(body.body) : "")
        expect(form.has("dpop_jkt")).toBe(false)
        expect(form.get("client_id")).toBe("cli")
        expect(form.get("code_challenge_method")).toBe("S256")
        expect(yield* api.refusals).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )

  it.scopedLive(
    "PAR offered, not required: pushedAuthorization true pushes with client_secret_basic; auto does not",
    () =>
      Effect.gen(function* () {
        const { oidc, port, redirectUri } = yield* providerOnPort(false)
        const api = yield* serve(echo)
        const browser = yield* launch
        const run = (pushedAuthorization: boolean | "auto") =>
          Effect.scoped(
            Effect.gen(function* () {
              const client = yield* HttpAuth.client(
                OAuth2.authorizationCode({
                  issuer: oidc.issuer,
                  clientId: "web",
                  clientSecret: Redacted.make("web-secret"),
                  scope: "openid",
                  // the browser keeps its session: the second run logs in again
                  authorizationParams: { prompt: "login consent" },
                  pushedAuthorization,
                  ...listener(port)
                })
              ).pipe(Effect.provide(browser.layer(logIn("alice"))))
              return (yield* client.get(`${api.origin}/me`)).status
            })
          )
        expect(yield* run(true)).toBe(200)
        expect(yield* run("auto")).toBe(200)
        const authorizations = browser.exchanges
          .filter((exchange) => exchange.url.startsWith(`${oidc.issuer}/auth?`))
          .map((exchange) => new URL(exchange.url).searchParams)
        expect(authorizations.length).toBe(2)
        expect([...authorizations[0]!.keys()].sort()).toEqual(["client_id", "request_uri"])
        expect(authorizations[1]!.get("redirect_uri")).toBe(redirectUri)
        expect(authorizations[1]!.has("request_uri")).toBe(false)
        expect(yield* oidc.tokenRequests).toBe(2)
        expect(browser.errors).toEqual([])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )

  it.scopedLive("the PAR endpoint's refusal is a typed OAuth2Error, before any browser opens", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const oidc = yield* provider(`http://127.0.0.1:${port}/callback`, true)
      const client = yield* HttpAuth.client(
        OAuth2.authorizationCode({
          issuer: oidc.issuer,
          clientId: "web",
          clientSecret: Redacted.make("not-the-secret"),
          ...listener(port)
        })
      )
      const error = yield* Effect.flip(client.get(`${oidc.issuer}/me`))
      expect(error._tag).toBe("OAuth2Error")
      expect((error as AuthError.OAuth2Error).error).toBe("invalid_client")
      expect(error.message).not.toContain("not-the-secret")
      expect(yield* BrowserTest.visits).toEqual([])
    }).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer(BrowserTest.approve()))))
  )

  it.scopedLive("an iss from another server, or none where the metadata promises one: IssuerMismatch (mix-up)", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const oidc = yield* provider(`http://127.0.0.1:${port}/callback`, false)
      const attempt = Effect.scoped(
        Effect.flatMap(
          HttpAuth.client(
            OAuth2.authorizationCodePkce({
              issuer: oidc.issuer,
              clientId: "cli",
              pushedAuthorization: false,
              ...listener(port)
            })
          ),
          (client) => Effect.flip(client.get(`${oidc.issuer}/me`))
        )
      )
      const other = yield* attempt
      const none = yield* attempt
      expect(other._tag).toBe("IssuerMismatch")
      expect(other.message).toBe(
        `The authorization redirect came from issuer "https://attacker.example", not ${oidc.issuer}: the grant was rejected as a possible mix-up attack (RFC 9207 section 2.4)`
      )
      expect(none._tag).toBe("IssuerMismatch")
      expect((none as AuthError.IssuerMismatch).received).toBeUndefined()
      // refused before the code went anywhere
      expect(yield* oidc.tokenRequests).toBe(0)
    }).pipe(
      Effect.provide(
        Layer.merge(
          NodeHttpClient.layerUndici,
          BrowserTest.layer(BrowserTest.approve({ fields: { iss: "https://attacker.example" } }), BrowserTest.approve())
        )
      )
    )
  )

  it.scopedLive(
    "an error redirect is checked for iss too: another issuer's or none is IssuerMismatch, this one's the OAuth2Error",
    () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const oidc = yield* provider(`http://127.0.0.1:${port}/callback`, false)
        const attempt = (grant: "code" | "implicit") =>
          Effect.scoped(
            Effect.flatMap(
              HttpAuth.client(
                grant === "code"
                  ? OAuth2.authorizationCodePkce({
                      issuer: oidc.issuer,
                      clientId: "cli",
                      pushedAuthorization: false,
                      ...listener(port)
                    })
                  : OAuth2.implicit({ issuer: oidc.issuer, clientId: "cli", ...listener(port) })
              ),
              (client) => Effect.flip(client.get(`${oidc.issuer}/me`))
            )
          )
        // per grant: an error from another issuer, one without iss (the metadata promises one), this issuer's
        const replies = [
          BrowserTest.deny({ fields: { iss: "https://attacker.example" } }),
          BrowserTest.deny(),
          BrowserTest.error("access_denied", { description: "the user said no", fields: { iss: oidc.issuer } })
        ]
        yield* Effect.gen(function* () {
          for (const grant of ["code", "implicit"] as const) {
            const other = yield* attempt(grant)
            expect(other).toMatchObject({
              _tag: "IssuerMismatch",
              expected: oidc.issuer,
              received: "https://attacker.example"
            })
            const none = yield* attempt(grant)
            expect(none).toMatchObject({ _tag: "IssuerMismatch", expected: oidc.issuer, received: undefined })
            const own = yield* attempt(grant)
            expect(own).toMatchObject({
              _tag: "OAuth2Error",
              error: "access_denied",
              redirect: true,
              fields: { iss: oidc.issuer }
            })
            expect(own.message).toBe('OAuth 2 error "access_denied": the user said no')
          }
          expect((yield* BrowserTest.visits).map((visit) => visit.status)).toEqual([400, 400, 400, 400, 400, 400])
        }).pipe(Effect.provide(BrowserTest.layer(...replies, ...replies)))
        expect(yield* oidc.tokenRequests).toBe(0)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive(
    "an id_token in the redirect without iss: its own iss claim is checked instead (no IssuerMismatch)",
    () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const oidc = yield* provider(`http://127.0.0.1:${port}/callback`, false)
        const implicit = OAuth2.implicit({
          issuer: oidc.issuer,
          clientId: "cli",
          responseType: "id_token",
          ...listener(port)
        })
        const error = yield* Effect.scoped(
          Effect.flatMap(HttpAuth.client(implicit), (client) => Effect.flip(client.get(`${oidc.issuer}/me`)))
        )
        // past the iss check to the id_token's validation: BrowserTest's key is not oidc-provider's
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe(`Invalid token: id_token: no key of the issuer's JWKS matches its kid null`)
      }).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer(BrowserTest.approve()))))
  )

  it.scopedLive(
    "a real error redirect (prompt=none, no session): oidc-provider's iss matches, its OAuth2Error comes through",
    () =>
      Effect.gen(function* () {
        const { oidc, port } = yield* providerOnPort(false)
        const browser = yield* launch
        const client = yield* HttpAuth.client(
          OAuth2.authorizationCodePkce({
            ...cliGrant(oidc.issuer, port),
            pushedAuthorization: false,
            authorizationParams: { prompt: "none" }
          })
        ).pipe(Effect.provide(browser.layer()))
        const error = yield* Effect.flip(client.get(`${oidc.issuer}/me`))
        expect(error).toMatchObject({
          _tag: "OAuth2Error",
          error: "login_required",
          redirect: true,
          fields: { iss: oidc.issuer }
        })
        expect(browser.errors).toEqual([])
        expect(yield* oidc.tokenRequests).toBe(0)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)),
    { timeout: 90_000 }
  )

  it.scopedLive("a client authenticating with its certificate (RFC 8705) pushes to the PAR endpoint's mtls alias", () =>
    Effect.gen(function* () {
      let origin = ""
      const server = yield* serve((seen) => {
        switch (seen.url) {
          case "/.well-known/openid-configuration":
            return json({
              ...parMetadata(origin),
              mtls_endpoint_aliases: {
                pushed_authorization_request_endpoint: `${origin}/mtls/par`,
                token_endpoint: `${origin}/mtls/token`
              }
            })
          case "/mtls/par":
            return json({ request_uri: "urn:ietf:params:oauth:request_uri:r-1", expires_in: 60 }, 201)
          default:
            return json({ error: "invalid_client" }, 401)
        }
      })
      origin = server.origin
      const port = yield* Effect.promise(freePort)
      const client = yield* HttpAuth.client(
        OAuth2.authorizationCodePkce({
          issuer: origin,
          clientAuth: ClientAuth.tlsClientAuth("cli"),
          timeout: "200 millis",
          ...listener(port)
        })
      )
      // the browser (no reply) never comes back: the wait ends; what matters is where the push went
      const error = yield* Effect.flip(client.get(`${origin}/me`))
      expect(error._tag).toBe("AuthorizationTimeout")
      const seen = yield* server.seen
      expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        "GET /.well-known/openid-configuration",
        "POST /mtls/par"
      ])
      const [visit] = yield* BrowserTest.visits
      expect(visit!.url).toBe(
        `${origin}/auth?client_id=cli&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ar-1`
      )
    }).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer(BrowserTest.noReply))))
  )

  it.scopedLive(
    "PAR with DPoP: the push's answer (no token_type) is taken; a token answer of token_type Bearer is still refused",
    () =>
      Effect.gen(function* () {
        let origin = ""
        // the pushed forms by request_uri: the authorization endpoint redirects with the pushed state
        const pushed = new Map<string, URLSearchParams>()
        const server = yield* serve((seen) => {
          const url = new URL(seen.url, origin)
          switch (url.pathname) {
            case "/.well-known/openid-configuration":
              return json(parMetadata(origin))
            case "/par": {
              const requestUri = `urn:ietf:params:oauth:request_uri:r-${pushed.size + 1}`
              pushed.set(requestUri, new URLSearchParams(seen.body))
              // RFC 9126 section 2.2: request_uri and expires_in, no token_type
              return json({ request_uri: requestUri, expires_in: 60 }, 201)
            }
            case "/auth": {
              const form = pushed.get(url.searchParams.get("request_uri") ?? "")
              const back = `${form?.get("redirect_uri")}?code=c-1&state=${form?.get("state")}`
              return Effect.succeed(HttpServerResponse.empty({ status: 302, headers: { location: back } }))
            }
            case "/token":
              // a server that ignored the proof
              return json({ access_token: "plain", token_type: "Bearer", expires_in: 60 })
            default:
              return json({ error: "invalid_request" }, 400)
          }
        })
        origin = server.origin
        const port = yield* Effect.promise(freePort)
        // a browser that follows the redirects to the listener
        const browser = Browser.layerFrom((url) => Effect.promise(() => fetch(url).then((answer) => answer.text())))
        const client = yield* HttpAuth.client(
          OAuth2.authorizationCodePkce({ issuer: origin, clientId: "cli", dpop: true, ...listener(port) })
        ).pipe(Effect.provide(browser))
        const error = yield* Effect.flip(client.get(`${origin}/me`))
        expect(error._tag).toBe("InvalidToken")
        expect(error.message).toBe(
          'Invalid token: the token endpoint answered token_type "Bearer" to a DPoP proof, not "DPoP": the token is not bound to the key (RFC 9449 section 5); does the server support DPoP?'
        )
        const seen = yield* server.seen
        expect(seen.map((s) => `${s.method} ${new URL(s.url, origin).pathname}`)).toEqual([
          "GET /.well-known/openid-configuration",
          "POST /par",
          "GET /auth",
          "POST /token"
        ])
        // both the push and the token request carried a proof of the one key
        const [push, token] = [seen[1]!, seen[3]!]
        expect(decodeJwt(push.headers.dpop!)).toMatchObject({ htm: "POST", htu: `${origin}/par` })
        expect(decodeJwt(token.headers.dpop!)).toMatchObject({ htm: "POST", htu: `${origin}/token` })
        expect(decodeProtectedHeader(token.headers.dpop!).jwk).toEqual(decodeProtectedHeader(push.headers.dpop!).jwk)
        expect(new URLSearchParams(token.body).get("code")).toBe("c-1")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("bad pushedAuthorization options fail with InvalidOptions when the auth is built", () =>
    Effect.gen(function* () {
      const build = (options: Partial<OAuth2.AuthorizationCodeOptions>) =>
        Effect.flip(
          Effect.scoped(
            OAuth2.authorizationCode({
              authorizationUrl: "https://as.example/authorize",
              tokenUrl: "https://as.example/token",
              clientId: "web",
              ...options
            })
          )
        ).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, BrowserTest.layer())))
      expect((yield* build({ pushedAuthorization: true })).message).toBe(
        'OAuth2.authorizationCode: option "pushedAuthorizationUrl" is needed with pushedAuthorization: true, unless issuer is given'
      )
      expect((yield* build({ pushedAuthorization: "yes" as never })).message).toBe(
        'OAuth2.authorizationCode: option "pushedAuthorization" must be true, false or "auto", not "yes"'
      )
      expect((yield* build({ pushedAuthorizationUrl: "not a url" }))._tag).toBe("InvalidOptions")
    })
  )
})
