/**
 * RFC 8705 against oidc-provider with `features.mTLS`: `tls_client_auth`
 * and `self_signed_tls_client_auth` at the server's `mtls_endpoint_aliases`
 * (a listener that asks for a client certificate; the plain token endpoint
 * does not, and refuses these clients), and certificate-bound access tokens
 * (`cnf.x5t#S256`) that a resource server accepts only over the same
 * certificate.
 */
import { HttpClient } from "@effect/platform"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Scope } from "effect"
import { AuthError, ClientAuth, HttpAuth, OAuth2 } from "effect-http-auth"
import { NodeTransport } from "effect-http-auth/node"
import {
  type BoundApi,
  certificateBoundApi,
  type SelfSigned,
  selfSignedCertificate,
  thumbprint
} from "../../examples/support/mtls.js"
import { type OidcProvider, startOidcProvider } from "../fixtures/oidcProvider.js"
import { type TlsMaterial, tlsMaterial } from "../fixtures/tls.js"
import { X509Certificate } from "node:crypto"

let material: TlsMaterial
let selfSigned: SelfSigned
let oidc: OidcProvider
let api: BoundApi
let scope: Scope.CloseableScope

const bound = { response_types: [], redirect_uris: [], grant_types: ["client_credentials"] }

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  material = await Effect.runPromise(Scope.extend(tlsMaterial, scope))
  selfSigned = selfSignedCertificate(material, "self-signed-client")
  oidc = await Effect.runPromise(
    Scope.extend(
      startOidcProvider({
        clients: [
          {
            ...bound,
            client_id: "service-a",
            token_endpoint_auth_method: "tls_client_auth",
            tls_client_auth_subject_dn: "O=effect-http-auth,CN=test-client",
            tls_client_certificate_bound_access_tokens: true
          },
          {
            ...bound,
            client_id: "service-b",
            token_endpoint_auth_method: "self_signed_tls_client_auth",
            jwks: { keys: [selfSigned.jwk] },
            tls_client_certificate_bound_access_tokens: true
          },
          {
            ...bound,
            client_id: "resource-server",
            client_secret: "resource-secret",
            token_endpoint_auth_method: "client_secret_basic"
          }
        ],
        features: { revocation: { enabled: true, allowedPolicy: async () => true } },
        https: { cert: material.read(material.serverCert), key: material.read(material.serverKey) },
        mtls: { ca: material.read(material.caFile) }
      }),
      scope
    )
  )
  api = await Effect.runPromise(
    Scope.extend(
      certificateBoundApi(oidc, material, { clientId: "resource-server", clientSecret: "resource-secret" }),
      scope
    )
  )
}, 60_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

const verify = () => ({ caFile: material.caFile })
const caCert = () => ({ certFile: material.clientCert, keyFile: material.clientKey })

/** GET the bound API through the authenticated client of `layer`: status and body. */
const call = (layer: Layer.Layer<HttpClient.HttpClient, unknown>) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${api.origin}/me`)).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => `${response.status} ${text}`)),
    Effect.provide(layer)
  )

describe("mTLS client authentication (RFC 8705)", () => {
  it.scoped("tls_client_auth at the mTLS alias; the certificate-bound token works over the same certificate only", () =>
    Effect.gen(function* () {
      const before = (yield* oidc.requests).length
      // one certificate for the IdP and the API: the token is bound to it
      const Transport = NodeTransport.layer({ verify: verify(), cert: caCert() })
      const auth = OAuth2.clientCredentials({
        issuer: oidc.issuer,
        clientAuth: ClientAuth.tlsClientAuth("service-a"),
        tokenClient: Transport
      })
      expect(yield* call(HttpAuth.layer(auth).pipe(Layer.provide(Transport)))).toBe(
        '200 {"client":"service-a","bound":true}'
      )
      expect((yield* oidc.requests).slice(before)).toEqual([
        "GET /.well-known/openid-configuration",
        "mtls POST /token",
        // the resource server's introspection
        "POST /token/introspection"
      ])
      const clientThumbprint = thumbprint(new X509Certificate(material.read(material.clientCert)).raw)
      expect(api.seen().at(-1)).toBe(clientThumbprint)

      // the API reached with another certificate (or none): the bound token is refused, after one fresh token
      const elsewhere = HttpAuth.layer(auth).pipe(
        Layer.provide(
          NodeTransport.layer({
            verify: verify(),
            cert: { certFile: selfSigned.certFile, keyFile: selfSigned.keyFile }
          })
        )
      )
      expect(yield* call(elsewhere)).toBe("401 the token is bound to another certificate")
      const none = HttpAuth.layer(auth).pipe(Layer.provide(NodeTransport.layer({ verify: verify() })))
      expect(yield* call(none)).toBe("401 the token is bound to another certificate")
      expect(api.seen().slice(-4)).toEqual([
        thumbprint(new X509Certificate(material.read(selfSigned.certFile)).raw),
        thumbprint(new X509Certificate(material.read(selfSigned.certFile)).raw),
        "-",
        "-"
      ])
    })
  )

  it.scoped("self_signed_tls_client_auth with a registered self-signed certificate", () =>
    Effect.gen(function* () {
      const Transport = NodeTransport.layer({
        verify: verify(),
        cert: { certFile: selfSigned.certFile, keyFile: selfSigned.keyFile }
      })
      const auth = OAuth2.clientCredentials({
        issuer: oidc.issuer,
        clientAuth: ClientAuth.selfSignedTlsClientAuth("service-b"),
        tokenClient: Transport
      })
      expect(yield* call(HttpAuth.layer(auth).pipe(Layer.provide(Transport)))).toBe(
        '200 {"client":"service-b","bound":true}'
      )
    })
  )

  it.scoped("the form carries client_id and no secret; without a certificate the server refuses the client", () =>
    Effect.gen(function* () {
      expect(
        yield* ClientAuth.tlsClientAuth("service-a").apply({ tokenUrl: "https://idp/token", params: {}, headers: {} })
      ).toEqual({ tokenUrl: "https://idp/token", params: { client_id: "service-a" }, headers: {} })
      const auth = OAuth2.clientCredentials({
        issuer: oidc.issuer,
        clientAuth: ClientAuth.tlsClientAuth("service-a"),
        tokenClient: NodeTransport.layer({ verify: verify() })
      })
      const error = yield* Effect.flip(
        call(HttpAuth.layer(auth).pipe(Layer.provide(NodeTransport.layer({ verify: verify() }))))
      )
      expect(Option.getOrUndefined(AuthError.fromHttpClientError(error))).toMatchObject({
        _tag: "OAuth2Error",
        error: "invalid_client",
        status: 401
      })
    })
  )

  it.scoped("revocation and introspection go to the mTLS aliases too", () =>
    Effect.gen(function* () {
      const idp = yield* NodeTransport.make({ verify: verify(), cert: caCert() })
      const clientAuth = ClientAuth.tlsClientAuth("service-a")
      const before = (yield* oidc.requests).length
      const answer = yield* OAuth2.introspect({ issuer: oidc.issuer, clientAuth, token: "not-a-token" }).pipe(
        Effect.provideService(HttpClient.HttpClient, idp)
      )
      expect(answer.active).toBe(false)
      yield* OAuth2.revoke({ issuer: oidc.issuer, clientAuth, token: "not-a-token" }).pipe(
        Effect.provideService(HttpClient.HttpClient, idp)
      )
      expect((yield* oidc.requests).slice(before).filter((line) => line.includes("POST"))).toEqual([
        "mtls POST /token/introspection",
        "mtls POST /token/revocation"
      ])
    })
  )
})
