/**
 * mTLS client authentication (RFC 8705) against oidc-provider with
 * features.mTLS, served over HTTPS by a private CA: the client proves itself
 * with its certificate at the server's mTLS endpoint alias (tls_client_auth,
 * no secret), gets an access token bound to that certificate (cnf.x5t#S256),
 * and calls an API that accepts the token only over the same certificate.
 * The identity provider is reached through the grant's tokenClient.
 *
 *   npx tsx examples/mtls-client.ts
 */
import { HttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { AuthError, ClientAuth, HttpAuth, OAuth2 } from "effect-http-auth"
import { NodeTransport } from "effect-http-auth/node"
import { certificateBoundApi, selfSignedCertificate } from "./support/mtls.js"
import { startOidcProvider } from "./support/oidcProvider.js"
import { tlsMaterial } from "./support/tls.js"

const main = Effect.gen(function* () {
  const tls = yield* tlsMaterial
  const oidc = yield* startOidcProvider({
    clients: [
      {
        client_id: "service-a",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "tls_client_auth",
        tls_client_auth_subject_dn: "O=effect-http-auth,CN=test-client",
        tls_client_certificate_bound_access_tokens: true
      },
      {
        client_id: "api",
        client_secret: "api-secret",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic"
      }
    ],
    https: { cert: tls.read(tls.serverCert), key: tls.read(tls.serverKey) },
    mtls: { ca: tls.read(tls.caFile) }
  })
  const api = yield* certificateBoundApi(oidc, tls, { clientId: "api", clientSecret: "api-secret" })

  // one certificate for the identity provider and the API: the token is bound to it
  const Transport = NodeTransport.layer({
    verify: { caFile: tls.caFile },
    cert: { certFile: tls.clientCert, keyFile: tls.clientKey }
  })
  const auth = OAuth2.clientCredentials({
    issuer: oidc.issuer,
    clientAuth: ClientAuth.tlsClientAuth("service-a"),
    tokenClient: Transport
  })

  const call = (layer: Layer.Layer<HttpClient.HttpClient, unknown>) =>
    Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${api.origin}/me`)).pipe(
      Effect.flatMap((response) => Effect.map(response.text, (text) => `${response.status} ${text}`)),
      Effect.catchAll((error) =>
        Effect.succeed(
          Option.match(AuthError.fromHttpClientError(error), {
            onNone: () => `failed: ${String(error)}`,
            onSome: (cause) => `${cause._tag}: ${cause.message}`
          })
        )
      ),
      Effect.provide(layer)
    )

  yield* Console.log(
    `tls_client_auth, same certificate: GET /me -> ${yield* call(HttpAuth.layer(auth).pipe(Layer.provide(Transport)))}`
  )
  const requests = yield* oidc.requests
  yield* Console.log(`the token request went to the mTLS alias: ${requests.includes("mtls POST /token")}`)

  // the bound token over another certificate is refused by the API
  const other = selfSignedCertificate(tls, "other-client")
  const elsewhere = NodeTransport.layer({
    verify: { caFile: tls.caFile },
    cert: { certFile: other.certFile, keyFile: other.keyFile }
  })
  yield* Console.log(
    `the API over another certificate: ${yield* call(HttpAuth.layer(auth).pipe(Layer.provide(elsewhere)))}`
  )

  // no certificate on the token client: the identity provider refuses the client
  const anonymous = OAuth2.clientCredentials({
    issuer: oidc.issuer,
    clientAuth: ClientAuth.tlsClientAuth("service-a"),
    tokenClient: NodeTransport.layer({ verify: { caFile: tls.caFile } })
  })
  yield* Console.log(`no client certificate: ${yield* call(HttpAuth.layer(anonymous).pipe(Layer.provide(Transport)))}`)
})

NodeRuntime.runMain(Effect.scoped(main))
