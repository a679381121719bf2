/**
 * TLS material made at run time with the openssl CLI in a temporary directory
 * (removed with the scope): a private CA, a server certificate for 127.0.0.1
 * and localhost, a client certificate (plain, with an encrypted key, and as a
 * PKCS#12 bundle), an expired and a wrong-host server certificate; and HTTPS
 * servers on 127.0.0.1 that use them.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TLSSocket } from "node:tls"
import { Effect, type Scope } from "effect"

export interface TlsMaterial {
  readonly dir: string
  /** Paths of PEM files. */
  readonly caFile: string
  /** A directory that holds the CA certificate (and a file without one). */
  readonly caDir: string
  readonly serverCert: string
  readonly serverKey: string
  readonly clientCert: string
  readonly clientKey: string
  /** The client key encrypted with `passphrase`. */
  readonly clientKeyEncrypted: string
  /** The client certificate and key as PKCS#12, protected by `passphrase`. */
  readonly clientPfx: string
  readonly passphrase: string
  /** A server certificate that expired in 2020. */
  readonly expiredCert: string
  /** A server certificate for other.example only. */
  readonly wrongHostCert: string
  /** A second CA and a client certificate it signed (which the servers do not trust). */
  readonly otherCaFile: string
  readonly strangerCert: string
  readonly strangerKey: string
  /** The PEM text of a file. */
  readonly read: (path: string) => string
}

const openssl = (dir: string, ...args: ReadonlyArray<string>) =>
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] })

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/** A CA in `dir` whose files start with `name`. */
const makeCa = (dir: string, name: string, subject: string) =>
  openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "3650",
    "-subj",
    subject
  )

/** A certificate signed by the CA `ca`, with the given extensions. */
const issue = (dir: string, ca: string, name: string, subject: string, extensions: string) => {
  openssl(dir, "req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject)
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "825",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`
  )
}

/** `openssl ca` is the tool that takes a fixed start and end date. */
const issueExpired = (dir: string) => {
  openssl(dir, "req", ...ec, "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=127.0.0.1")
  mkdirSync(join(dir, "ca-db"))
  writeFileSync(join(dir, "ca-db", "index.txt"), "")
  writeFileSync(join(dir, "ca-db", "serial"), "1000\n")
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]",
      "default_ca = test_ca",
      "[test_ca]",
      `dir = ${join(dir, "ca-db")}`,
      "database = $dir/index.txt",
      "serial = $dir/serial",
      "new_certs_dir = $dir",
      "default_md = sha256",
      "policy = any",
      "copy_extensions = none",
      "x509_extensions = server_ext",
      "[any]",
      "commonName = supplied",
      "[server_ext]",
      "subjectAltName = IP:127.0.0.1,DNS:localhost",
      ""
    ].join("\n")
  )
  openssl(
    dir,
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-cert",
    "ca.pem",
    "-keyfile",
    "ca.key",
    "-startdate",
    "20190101000000Z",
    "-enddate",
    "20200101000000Z",
    "-in",
    "expired.csr",
    "-out",
    "expired.pem"
  )
}

const serverExt = "subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n"
const clientExt = "extendedKeyUsage = clientAuth\n"

/** Makes the material in a new temporary directory. */
export const makeTlsMaterial = (): TlsMaterial => {
  const dir = mkdtempSync(join(tmpdir(), "effect-http-auth-tls-"))
  const passphrase = "pfx-pass-123"
  makeCa(dir, "ca", "/CN=effect-http-auth test CA")
  issue(dir, "ca", "server", "/CN=127.0.0.1", serverExt)
  issue(dir, "ca", "client", "/CN=test-client/O=effect-http-auth", clientExt)
  issue(dir, "ca", "wronghost", "/CN=other.example", "subjectAltName = DNS:other.example\n")
  issueExpired(dir)
  makeCa(dir, "other-ca", "/CN=another CA")
  issue(dir, "other-ca", "stranger", "/CN=stranger", clientExt)
  openssl(dir, "pkey", "-in", "client.key", "-aes256", "-passout", `pass:${passphrase}`, "-out", "client-enc.key")
  openssl(
    dir,
    "pkcs12",
    "-export",
    "-in",
    "client.pem",
    "-inkey",
    "client.key",
    "-passout",
    `pass:${passphrase}`,
    "-out",
    "client.p12"
  )
  const caDir = join(dir, "ca-dir")
  mkdirSync(caDir)
  writeFileSync(join(caDir, "README"), "not a certificate\n")
  writeFileSync(join(caDir, "test-ca.pem"), readFileSync(join(dir, "ca.pem")))
  const at = (name: string) => join(dir, name)
  return {
    dir,
    caFile: at("ca.pem"),
    caDir,
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    clientKeyEncrypted: at("client-enc.key"),
    clientPfx: at("client.p12"),
    passphrase,
    expiredCert: at("expired.pem"),
    wrongHostCert: at("wronghost.pem"),
    otherCaFile: at("other-ca.pem"),
    strangerCert: at("stranger.pem"),
    strangerKey: at("stranger.key"),
    read: (path) => readFileSync(path, "utf8")
  }
}

/** The material, its directory removed when the scope closes. */
export const tlsMaterial: Effect.Effect<TlsMaterial, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(makeTlsMaterial),
  (material) => Effect.sync(() => rmSync(material.dir, { recursive: true, force: true }))
)

/** What an HTTPS server saw of one request. */
export interface TlsSeen {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The client certificate's subject CN, when one was presented and accepted. */
  readonly clientSubject?: string | undefined
}

export interface HttpsServer {
  /** `https://127.0.0.1:PORT` */
  readonly origin: string
  readonly port: number
  readonly seen: () => ReadonlyArray<TlsSeen>
  /** TLS handshakes the server refused, with the reason Node gave. */
  readonly refused: () => ReadonlyArray<string>
}

export interface HttpsServerOptions {
  /** The server certificate file (default: the CA-signed one for 127.0.0.1); its key is the `.key` file beside it. */
  readonly cert?: string
  /** Ask for a client certificate signed by the test CA and refuse the handshake without one. */
  readonly requireClientCert?: boolean
  /** Ask for a client certificate, and go on without one or with one of an unknown CA (nginx's `ssl_verify_client optional`). */
  readonly askClientCert?: boolean
  /** The one TLS version the server speaks (default: Node's, TLS 1.2 to 1.3). */
  readonly version?: "TLSv1.2" | "TLSv1.3"
}

/**
 * An HTTPS server on 127.0.0.1 that answers 200 with `hello <subject>` (the
 * client certificate's CN, or `anonymous`) and records what it saw.
 */
export const serveHttps = (
  material: TlsMaterial,
  options: HttpsServerOptions = {},
  handler?: (request: IncomingMessage, response: ServerResponse) => void
): Effect.Effect<HttpsServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: ReturnType<typeof createServer>; port: number }>((resume) => {
      const seen: Array<TlsSeen> = []
      const refused: Array<string> = []
      const server = createServer(
        {
          cert: readFileSync(options.cert ?? material.serverCert),
          key: readFileSync((options.cert ?? material.serverCert).replace(/\.pem$/, ".key")),
          ca: readFileSync(material.caFile),
          requestCert: options.requireClientCert === true || options.askClientCert === true,
          rejectUnauthorized: options.requireClientCert === true,
          ...(options.version === undefined ? {} : { minVersion: options.version, maxVersion: options.version })
        },
        (request, response) => {
          const socket = request.socket as TLSSocket
          const peer = socket.getPeerCertificate()
          const cn = peer?.subject?.CN
          const clientSubject = Array.isArray(cn) ? cn.join(",") : cn
          seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, clientSubject })
          if (handler !== undefined) return handler(request, response)
          response.writeHead(200, { "content-type": "text/plain" })
          response.end(`hello ${clientSubject ?? "anonymous"}`)
        }
      )
      server.on("tlsClientError", (error) => refused.push((error as NodeJS.ErrnoException).code ?? error.message))
      Object.assign(server, { seenLog: seen, refusedLog: refused })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed({ server, port: typeof address === "object" && address ? address.port : 0 }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.map(({ server, port }) => {
      const logs = server as unknown as { seenLog: Array<TlsSeen>; refusedLog: Array<string> }
      return {
        origin: `https://127.0.0.1:${port}`,
        port,
        seen: () => [...logs.seenLog],
        refused: () => [...logs.refusedLog]
      }
    })
  )
