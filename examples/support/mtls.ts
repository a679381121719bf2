/**
 * RFC 8705 counterparts for the tests and the examples: a self-signed
 * client certificate with its JWK (for self_signed_tls_client_auth), and a
 * resource server over HTTPS that asks for a client certificate and accepts
 * a bearer token only when it is bound to that certificate (`cnf.x5t#S256`,
 * read by introspection at oidc-provider).
 */
import { createHash, X509Certificate } from "node:crypto"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer, request as httpsRequest } from "node:https"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import type { TLSSocket } from "node:tls"
import { Effect, type Scope } from "effect"
import type { OidcProvider } from "./oidcProvider.js"
import type { TlsMaterial } from "./tls.js"

/** RFC 8705 section 3.1: the certificate's SHA-256 thumbprint, base64url. */
export const thumbprint = (der: Buffer) => createHash("sha256").update(der).digest("base64url")

export interface SelfSigned {
  readonly certFile: string
  readonly keyFile: string
  /** The public key as a JWK with the certificate in `x5c`, to register as the client's `jwks`. */
  readonly jwk: Record<string, unknown>
}

/** A self-signed client certificate in the material's directory (openssl CLI). */
export const selfSignedCertificate = (material: TlsMaterial, name: string): SelfSigned => {
  const certFile = join(material.dir, `${name}.pem`)
  const keyFile = join(material.dir, `${name}.key`)
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "30",
      "-subj",
      `/CN=${name}`
    ],
    { stdio: ["ignore", "ignore", "pipe"] }
  )
  const certificate = new X509Certificate(readFileSync(certFile))
  const jwk = {
    ...certificate.publicKey.export({ format: "jwk" }),
    x5c: [certificate.raw.toString("base64")]
  }
  return { certFile, keyFile, jwk }
}

/** A form POST over HTTPS that trusts the test CA: the answer as JSON. */
const postForm = (url: string, ca: string, authorization: string, form: Record<string, string>) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const body = new URLSearchParams(form).toString()
    const sent = httpsRequest(
      url,
      {
        method: "POST",
        ca,
        headers: { authorization, "content-type": "application/x-www-form-urlencoded" }
      },
      (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
          } catch (error) {
            reject(error)
          }
        })
      }
    )
    sent.on("error", reject)
    sent.end(body)
  })

export interface BoundApi {
  /** `https://127.0.0.1:PORT` */
  readonly origin: string
  /** The certificate thumbprint each request came with (`-` without one). */
  readonly seen: () => ReadonlyArray<string>
}

/**
 * An HTTPS API that asks for a client certificate (any: the binding is
 * what it checks), introspects the bearer token as `resourceServer`, and
 * answers 200 `{ client, bound }` only when the token's `cnf.x5t#S256` is
 * the presented certificate's thumbprint (RFC 8705 section 3); else 401.
 */
export const certificateBoundApi = (
  oidc: OidcProvider,
  material: TlsMaterial,
  resourceServer: { readonly clientId: string; readonly clientSecret: string }
): Effect.Effect<BoundApi, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const seen: Array<string> = []
      const ca = material.read(material.caFile)
      const basic = `Basic ${Buffer.from(`${resourceServer.clientId}:${resourceServer.clientSecret}`).toString("base64")}`
      const server = createServer(
        {
          cert: readFileSync(material.serverCert),
          key: readFileSync(material.serverKey),
          requestCert: true,
          rejectUnauthorized: false
        },
        (request, response) => {
          const raw = (request.socket as TLSSocket).getPeerCertificate()?.raw
          const presented = raw === undefined ? "-" : thumbprint(raw)
          seen.push(presented)
          const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1]
          const refuse = (why: string) => {
            response.writeHead(401, { "www-authenticate": `Bearer error="invalid_token", error_description="${why}"` })
            response.end(why)
          }
          if (token === undefined) return refuse("no token")
          postForm(oidc.introspectionUrl, ca, basic, { token }).then(
            (answer) => {
              const bound = (answer.cnf as Record<string, unknown> | undefined)?.["x5t#S256"]
              if (answer.active !== true) return refuse("inactive token")
              if (bound === undefined) return refuse("the token is not bound to a certificate")
              if (bound !== presented) return refuse("the token is bound to another certificate")
              response.writeHead(200, { "content-type": "application/json" })
              response.end(JSON.stringify({ client: answer.client_id, bound: true }))
            },
            () => refuse("introspection failed")
          )
        }
      )
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      return { server, seen }
    }),
    ({ server }) =>
      Effect.promise(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections()
            server.close(() => resolve())
          })
      )
  ).pipe(
    Effect.map(({ seen, server }) => ({
      origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      seen: () => [...seen]
    }))
  )
