import { HttpClient, HttpClientError, HttpServerResponse } from "@effect/platform"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Layer, Logger, Option, Redacted, Scope } from "effect"
import { AuthError, Basic, HttpAuth } from "effect-http-auth"
import { NodeTransport } from "effect-http-auth/node"
import { serve } from "../fixtures/server.js"
import { withProxyEnv } from "../fixtures/proxyEnv.js"
import { type Squid, squid } from "../fixtures/squid.js"
import { serveHttps, serveOpenSsl, type TlsMaterial, tlsMaterial } from "../fixtures/tls.js"

let material: TlsMaterial
let proxy: Squid
let scope: Scope.CloseableScope

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  material = await Effect.runPromise(Scope.extend(tlsMaterial, scope))
  proxy = await Effect.runPromise(Scope.extend(squid(), scope))
}, 60_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

/** GET `url` with a client of `options`: the body, or the error. */
const get = (options: NodeTransport.Options, url: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url)).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => `${response.status} ${text}`)),
    Effect.provide(NodeTransport.layer(options))
  )

/** The typed cause of a transport failure. */
const transportCause = (error: unknown) => {
  expect(HttpClientError.isHttpClientError(error)).toBe(true)
  const requestError = error as HttpClientError.RequestError
  expect(requestError._tag).toBe("RequestError")
  expect(requestError.reason).toBe("Transport")
  return requestError.cause
}

const buildError = (options: NodeTransport.Options) =>
  Effect.flip(Effect.scoped(NodeTransport.make(options))).pipe(
    Effect.map((error) => ({ tag: error._tag, option: error.option, message: error.message }))
  )

/** A proxied http origin: what it saw of each request's headers. */
const httpOrigin = serve((seen) =>
  HttpServerResponse.text(`origin saw proxy-authorization=${seen.headers["proxy-authorization"] ?? "(none)"}`)
)

/**
 * What `effect` gave and the access log's lines it added, once `tunnels` tunnels are logged: squid writes a
 * tunnel's line when the tunnel closes, a moment after the client is done, so the log is waited on (a bounded
 * poll of the file, as for squid's start; the outcome does not depend on how long it takes).
 */
const accessLogGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>, tunnels: number) =>
  Effect.gen(function* () {
    const before = proxy.accessLog().length
    const result = yield* effect
    const logged = () =>
      proxy
        .accessLog()
        .slice(before)
        .filter((line) => line.includes(" CONNECT ")).length
    yield* Effect.promise(async () => {
      for (let attempt = 0; attempt < 500 && logged() < tunnels; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })
    return { result, lines: proxy.accessLog().slice(before) }
  })

describe("NodeTransport.layer: verify", () => {
  it.scoped("a private CA from a file, a directory and PEM text", () =>
    Effect.gen(function* () {
      const server = yield* serveHttps(material)
      expect(yield* get({ verify: { caFile: material.caFile } }, `${server.origin}/a`)).toBe("200 hello anonymous")
      expect(yield* get({ verify: { caDir: material.caDir } }, `${server.origin}/b`)).toBe("200 hello anonymous")
      expect(yield* get({ verify: { ca: material.read(material.caFile) } }, `${server.origin}/c`)).toBe(
        "200 hello anonymous"
      )
      expect(
        yield* get({ verify: { ca: [material.read(material.caFile)], withSystemRoots: true } }, `${server.origin}/d`)
      ).toBe("200 hello anonymous")
      const timeouts = { connectTimeout: "5 seconds", keepAliveTimeout: 1000, keepAliveMaxTimeout: "1 minute" } as const
      expect(yield* get({ verify: { caFile: material.caFile }, ...timeouts }, `${server.origin}/e`)).toBe(
        "200 hello anonymous"
      )
      expect(server.seen().map((seen) => seen.url)).toEqual(["/a", "/b", "/c", "/d", "/e"])
    })
  )

  it.scoped("the system's roots only (the default) refuse the private CA with a TlsError", () =>
    Effect.gen(function* () {
      const server = yield* serveHttps(material)
      for (const options of [{}, { verify: true }] satisfies Array<NodeTransport.Options>) {
        const cause = transportCause(yield* Effect.flip(get(options, `${server.origin}/`)))
        expect(cause).toBeInstanceOf(AuthError.TlsError)
        expect(cause).toMatchObject({ _tag: "TlsError", origin: server.origin, code: "SELF_SIGNED_CERT_IN_CHAIN" })
        expect((cause as AuthError.TlsError).message).toContain("give that CA with verify: { caFile, caDir or ca }")
      }
      // another CA than the server's is refused as well
      const other = transportCause(yield* Effect.flip(get({ verify: { caFile: material.otherCaFile } }, server.origin)))
      expect(other).toMatchObject({ _tag: "TlsError", code: "SELF_SIGNED_CERT_IN_CHAIN" })
      expect(server.seen()).toEqual([])
    })
  )

  it.scoped("verify: false succeeds and logs one warning per host, at its first request", () =>
    Effect.gen(function* () {
      const one = yield* serveHttps(material)
      const two = yield* serveHttps(material)
      const plain = yield* serve(() => HttpServerResponse.text("plain"))
      const warnings: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        warnings.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      const bodies = yield* Effect.flatMap(HttpClient.HttpClient, (client) =>
        Effect.forEach([one.origin, one.origin, two.origin, plain.origin, one.origin], (origin) =>
          Effect.flatMap(client.get(`${origin}/`), (response) => response.text)
        )
      ).pipe(
        Effect.provide(
          Layer.merge(NodeTransport.layer({ verify: false }), Logger.replace(Logger.defaultLogger, capture))
        )
      )
      expect(bodies).toEqual(["hello anonymous", "hello anonymous", "hello anonymous", "plain", "hello anonymous"])
      expect(warnings).toEqual(
        [one, two].map(
          (server) =>
            `WARN NodeTransport: verify is false, so the certificate of 127.0.0.1:${server.port} is not checked: anyone on the path can read and change this traffic; trust the server's CA with verify: { caFile } instead`
        )
      )
    })
  )

  it.scoped("an expired and a wrong-host certificate are refused with TlsErrors and their codes", () =>
    Effect.gen(function* () {
      const expired = yield* serveHttps(material, { cert: material.expiredCert })
      const wrongHost = yield* serveHttps(material, { cert: material.wrongHostCert })
      const verify = { caFile: material.caFile }
      expect(transportCause(yield* Effect.flip(get({ verify }, `${expired.origin}/`)))).toMatchObject({
        _tag: "TlsError",
        origin: expired.origin,
        code: "CERT_HAS_EXPIRED",
        reason: "the server's certificate has expired: the server must renew it"
      })
      const error = yield* Effect.flip(get({ verify }, `${wrongHost.origin}/`))
      expect(transportCause(error)).toMatchObject({
        _tag: "TlsError",
        origin: wrongHost.origin,
        code: "ERR_TLS_CERT_ALTNAME_INVALID"
      })
      // through HttpAuth.layer too, and AuthError.fromHttpClientError gets it back
      const viaAuth = yield* Effect.flip(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${expired.origin}/`)).pipe(
          Effect.provide(HttpAuth.layer(Basic.make("u", "p")).pipe(Layer.provide(NodeTransport.layer({ verify }))))
        )
      )
      expect(Option.map(AuthError.fromHttpClientError(viaAuth), (e) => e._tag)).toEqual(Option.some("TlsError"))
      expect(expired.seen()).toEqual([])
      expect(wrongHost.seen()).toEqual([])
    })
  )
})

describe("NodeTransport.layer: cert", () => {
  it.scoped(
    "a server that requires a client certificate: refused without, accepted with PEM files, text and PKCS#12",
    () =>
      Effect.gen(function* () {
        const server = yield* serveHttps(material, { requireClientCert: true })
        const verify = { caFile: material.caFile }
        // TLS 1.3: the refusal is an alert after the handshake (certificate_required), which undici reports
        // as "other side closed"; the client maps it back from the socket's alert
        const without = transportCause(yield* Effect.flip(get({ verify }, `${server.origin}/`)))
        expect(without).toMatchObject({
          _tag: "TlsError",
          origin: server.origin,
          code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
          reason: "the server requires a client certificate: give one with the cert option"
        })
        const stranger = transportCause(
          yield* Effect.flip(
            get({ verify, cert: { certFile: material.strangerCert, keyFile: material.strangerKey } }, server.origin)
          )
        )
        // a Node server that does not trust the certificate's CA closes the connection with no alert at all,
        // after it asked for the certificate: mapped from that (the socket's shared signature algorithms)
        expect(stranger).toMatchObject({
          _tag: "TlsError",
          origin: server.origin,
          code: "CLIENT_CERTIFICATE_REFUSED",
          message: `TLS with ${server.origin} failed (CLIENT_CERTIFICATE_REFUSED): ${refusedSilently}`
        })
        expect(server.refused()).toEqual(["ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", "ECONNRESET"])

        const accepted = [
          { certFile: material.clientCert, keyFile: material.clientKey },
          { certFile: material.clientCert, keyFile: material.clientKeyEncrypted, passphrase: material.passphrase },
          { cert: material.read(material.clientCert), key: Redacted.make(material.read(material.clientKey)) },
          {
            cert: material.read(material.clientCert),
            key: Redacted.make(material.read(material.clientKeyEncrypted)),
            passphrase: Redacted.make(material.passphrase)
          },
          { pfxFile: material.clientPfx, passphrase: Redacted.make(material.passphrase) }
        ] satisfies Array<NodeTransport.Options["cert"]>
        for (const cert of accepted) {
          expect(yield* get({ verify, cert }, `${server.origin}/me`)).toBe("200 hello test-client")
        }
        expect(server.seen().map((seen) => seen.clientSubject)).toEqual(accepted.map(() => "test-client"))
      })
  )
})

const refusedSilently =
  "the server asked for a client certificate, got `cert`, then closed the connection under TLS 1.3 without an alert or an answer: most likely it refused the certificate (a Node server does so when it does not trust the CA that issued it), though a server that accepted it and closed for another reason looks the same; check that `cert` is issued by a CA the server trusts (the transport said: other side closed)"

describe("NodeTransport.layer: a refused client certificate", () => {
  const stranger = () => ({
    verify: { caFile: material.caFile },
    cert: { certFile: material.strangerCert, keyFile: material.strangerKey }
  })

  it.scoped("OpenSSL's server says why with an alert, during the handshake (TLS 1.2) or after it (TLS 1.3)", () =>
    Effect.gen(function* () {
      for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
        const server = yield* serveOpenSsl(material, version)
        const cause = transportCause(yield* Effect.flip(get(stranger(), `${server.origin}/`)))
        expect(cause).toMatchObject({ _tag: "TlsError", origin: server.origin, code: "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA" })
        expect((cause as AuthError.TlsError).message).toBe(
          `TLS with ${server.origin} failed (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): the server refused the client certificate: it does not trust the CA that issued it (alert unknown_ca); check that \`cert\` is issued by a CA the server trusts`
        )
        // the error holds no key material and no request
        expect(JSON.stringify(cause)).not.toContain("PRIVATE KEY")
        expect(Object.keys(cause as object).sort()).toEqual(["_tag", "code", "origin", "reason"])
        const none = transportCause(yield* Effect.flip(get({ verify: stranger().verify }, `${server.origin}/`)))
        expect((none as AuthError.TlsError).code).toBe(
          version === "TLSv1.2" ? "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE" : "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"
        )
        expect(
          yield* get(
            { verify: stranger().verify, cert: { certFile: material.clientCert, keyFile: material.clientKey } },
            `${server.origin}/`
          )
        ).toMatch(/^200 /)
      }
    })
  )

  it.scoped("Node's server closes without a word: mapped with TLS 1.3, left as undici's error with TLS 1.2", () =>
    Effect.gen(function* () {
      const tls13 = yield* serveHttps(material, { requireClientCert: true, version: "TLSv1.3" })
      expect(transportCause(yield* Effect.flip(get(stranger(), `${tls13.origin}/`)))).toMatchObject({
        _tag: "TlsError",
        origin: tls13.origin,
        code: "CLIENT_CERTIFICATE_REFUSED",
        reason: refusedSilently
      })
      // TLS 1.2: the server closes in the middle of the handshake; a client cannot tell that from any
      // other connection cut short, so the cause stays Node's
      const tls12 = yield* serveHttps(material, { requireClientCert: true, version: "TLSv1.2" })
      expect(transportCause(yield* Effect.flip(get(stranger(), `${tls12.origin}/`)))).toMatchObject({
        code: "ECONNRESET",
        message: "Client network socket disconnected before secure TLS connection was established"
      })
      // with TLS 1.2 and no certificate, Node's server answers with an alert
      expect(transportCause(yield* Effect.flip(get({ verify: stranger().verify }, `${tls12.origin}/`)))).toMatchObject({
        _tag: "TlsError",
        code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"
      })
      expect(tls13.refused()).toEqual(["ECONNRESET"])
      expect(tls12.seen()).toEqual([])
    })
  )

  it.scoped("a server that closes without asking for a certificate is not a refused certificate", () =>
    Effect.gen(function* () {
      const server = yield* serveHttps(material, { version: "TLSv1.3" }, (request) => request.socket.destroy())
      expect(transportCause(yield* Effect.flip(get(stranger(), `${server.origin}/`)))).toMatchObject({
        code: "UND_ERR_SOCKET",
        message: "other side closed"
      })
    })
  )

  it.scoped("a server that asks for a certificate, takes it and drops the connection: a guess under TLS 1.3 only", () =>
    Effect.gen(function* () {
      const drop = (request: { readonly socket: { destroy: () => void } }) => request.socket.destroy()
      const good = {
        verify: { caFile: material.caFile },
        cert: { certFile: material.clientCert, keyFile: material.clientKey }
      }
      // TLS 1.2: a refusal would have cut the handshake, so a close after it is left as undici's error
      const tls12 = yield* serveHttps(material, { askClientCert: true, version: "TLSv1.2" }, drop)
      expect(transportCause(yield* Effect.flip(get(good, `${tls12.origin}/`)))).toMatchObject({
        code: "UND_ERR_SOCKET",
        message: "other side closed"
      })
      // TLS 1.3: the client cannot tell it from a silent refusal; the reason says so, and keeps undici's words
      const tls13 = yield* serveHttps(material, { askClientCert: true, version: "TLSv1.3" }, drop)
      expect(transportCause(yield* Effect.flip(get(good, `${tls13.origin}/`)))).toMatchObject({
        _tag: "TlsError",
        code: "CLIENT_CERTIFICATE_REFUSED",
        reason: refusedSilently
      })
      expect(tls12.seen().map((seen) => seen.clientSubject)).toEqual(["test-client"])
    })
  )
})

describe("NodeTransport.layer: bad options fail the layer before any request", () => {
  it.effect("every unusable option is named, and no secret is repeated", () =>
    Effect.gen(function* () {
      const dir = join(material.dir, "bad")
      mkdirSync(dir, { recursive: true })
      const empty = join(dir, "empty.pem")
      writeFileSync(empty, "")
      const noCert = join(dir, "no-cert.pem")
      writeFileSync(noCert, "hello\n")
      const badCert = join(dir, "bad-cert.pem")
      writeFileSync(badCert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
      const emptyDir = join(dir, "no-certs")
      mkdirSync(emptyDir, { recursive: true })
      writeFileSync(join(emptyDir, "README"), "nothing here\n")
      const missing = join(dir, "missing.pem")
      const passphrase = material.passphrase
      const cases: Array<[NodeTransport.Options, string, string]> = [
        [{ verify: { caFile: missing } }, "verify.caFile", `names a file that cannot be read: ${missing} (ENOENT)`],
        [{ verify: { caFile: empty } }, "verify.caFile", `names an empty file: ${empty}`],
        [
          { verify: { caFile: noCert } },
          "verify.caFile",
          `${noCert} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`
        ],
        [{ verify: { caFile: badCert } }, "verify.caFile", `${badCert} holds a certificate that does not parse`],
        [
          { verify: { caDir: emptyDir } },
          "verify.caDir",
          `the directory ${emptyDir} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`
        ],
        [{ verify: { caDir: missing } }, "verify.caDir", `names a directory that cannot be read: ${missing} (ENOENT)`],
        [
          { verify: { ca: "not a pem" } },
          "verify.ca",
          "the text holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ],
        [{ verify: {} }, "verify", "names no CA: give caFile, caDir or ca, or true for the system's roots"],
        [
          { cert: { certFile: missing, keyFile: material.clientKey } },
          "cert.certFile",
          `names a file that cannot be read: ${missing} (ENOENT)`
        ],
        [
          { cert: { certFile: material.clientKey, keyFile: material.clientKey } },
          "cert.certFile",
          `${material.clientKey} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`
        ],
        [
          { cert: { certFile: material.clientCert, keyFile: material.clientCert } },
          "cert.keyFile",
          "holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
        ],
        [
          { cert: { certFile: material.clientCert, keyFile: material.strangerKey } },
          "cert.keyFile",
          "is not the key of the certificate in cert.certFile"
        ],
        [
          { cert: { certFile: material.clientCert, keyFile: material.clientKeyEncrypted } },
          "cert.passphrase",
          "is missing: the key is encrypted"
        ],
        [
          { cert: { certFile: material.clientCert, keyFile: material.clientKeyEncrypted, passphrase: "wrong-1" } },
          "cert.passphrase",
          "does not decrypt the key"
        ],
        [
          { cert: { cert: material.read(material.clientCert), key: Redacted.make("secret-key-text") } },
          "cert.key",
          "holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
        ],
        [
          { cert: { pfxFile: material.clientPfx, passphrase: Redacted.make("wrong-2") } },
          "cert.passphrase",
          "does not decrypt the key"
        ],
        [{ cert: { pfxFile: missing } }, "cert.pfxFile", `names a file that cannot be read: ${missing} (ENOENT)`],
        [{ proxy: "http://user:hunter2@[bad" }, "proxy", "is not a URL (expected http://host:port)"],
        [{ proxy: "socks5://user:hunter2@127.0.0.1:1080" }, "proxy", "must be an http: or https: URL, not socks5:"],
        [{ proxy: { url: "ftp://127.0.0.1" } }, "proxy.url", "must be an http: or https: URL, not ftp:"],
        [
          { proxy: { url: "http://127.0.0.1:3128", password: Redacted.make("hunter2") } },
          "proxy.password",
          "needs proxy.username"
        ],
        [{ connectTimeout: "forever" as never }, "connectTimeout", 'must be a finite Duration, such as "30 seconds"'],
        [
          { keepAliveTimeout: Number.POSITIVE_INFINITY },
          "keepAliveTimeout",
          'must be a finite Duration, such as "30 seconds"'
        ]
      ]
      for (const [options, option, reason] of cases) {
        const error = yield* buildError(options)
        expect(error).toEqual({
          tag: "InvalidOptions",
          option,
          message: `NodeTransport.layer: option "${option}" ${reason}`
        })
        expect(error.message).not.toMatch(/hunter2|wrong-1|wrong-2|secret-key-text|PRIVATE KEY-----\n/)
        expect(error.message).not.toContain(passphrase)
      }
    })
  )
})

describe("NodeTransport.layer: proxy (squid with Basic proxy auth)", () => {
  it.scoped("an http and an https target through the proxy, credentials in the URL or apart", () =>
    Effect.gen(function* () {
      const origin = yield* httpOrigin
      const secure = yield* serveHttps(material)
      const inUrl = `http://${proxy.username}:${proxy.password}@127.0.0.1:${proxy.port}`
      const apart = { url: proxy.origin, username: proxy.username, password: Redacted.make(proxy.password) }
      const { lines, result } = yield* accessLogGrowth(
        Effect.all([
          get({ proxy: inUrl }, `${origin.origin}/plain`),
          get({ proxy: apart }, `${origin.origin}/plain`),
          get({ proxy: inUrl, verify: { caFile: material.caFile } }, `${secure.origin}/secure`),
          get({ proxy: apart, verify: { caFile: material.caFile } }, `${secure.origin}/secure`)
        ]),
        4
      )
      expect(result).toEqual([
        "200 origin saw proxy-authorization=(none)",
        "200 origin saw proxy-authorization=(none)",
        "200 hello anonymous",
        "200 hello anonymous"
      ])
      // undici tunnels http targets too: every request is a CONNECT that the proxy authenticated
      const tunnels = lines.filter((line) => / TCP_TUNNEL\/200 \d+ CONNECT 127\.0\.0\.1:\d+ proxyuser /.test(line))
      expect(tunnels.map((line) => /CONNECT 127\.0\.0\.1:(\d+)/.exec(line)![1])).toEqual(
        [origin.port, origin.port, secure.port, secure.port].map(String)
      )
      expect(secure.seen().map((seen) => seen.headers["proxy-authorization"])).toEqual([undefined, undefined])
      // the origin's certificate is still checked end to end through the tunnel
      const wrongHost = yield* serveHttps(material, { cert: material.wrongHostCert })
      const refused = yield* Effect.flip(get({ proxy: apart, verify: { caFile: material.caFile } }, wrongHost.origin))
      expect(transportCause(refused)).toMatchObject({
        _tag: "TlsError",
        origin: wrongHost.origin,
        code: "ERR_TLS_CERT_ALTNAME_INVALID"
      })
    })
  )

  it.scoped("407 without or with wrong credentials is a ProxyError that holds no password", () =>
    Effect.gen(function* () {
      const origin = yield* httpOrigin
      const secure = yield* serveHttps(material)
      for (const [options, url] of [
        [{ proxy: proxy.origin }, `${origin.origin}/x`],
        [{ proxy: proxy.origin, verify: { caFile: material.caFile } }, `${secure.origin}/x`],
        [
          { proxy: { url: proxy.origin, username: proxy.username, password: Redacted.make("hunter2") } },
          `${origin.origin}/x`
        ],
        [{ proxy: `http://${proxy.username}:hunter2@127.0.0.1:${proxy.port}` }, `${origin.origin}/x`]
      ] satisfies Array<[NodeTransport.Options, string]>) {
        const error = yield* Effect.flip(get(options, url))
        const cause = transportCause(error)
        expect(cause).toBeInstanceOf(AuthError.ProxyError)
        expect(cause).toMatchObject({ _tag: "ProxyError", proxy: proxy.origin, status: 407 })
        expect((cause as AuthError.ProxyError).message).toBe(
          `The proxy ${proxy.origin} answered 407: the proxy requires credentials: give them in the proxy URL or as username and password`
        )
        expect(`${error.message} ${JSON.stringify(error.cause)} ${String(error)}`).not.toMatch(
          new RegExp(`hunter2|${proxy.password}|${Buffer.from(`${proxy.username}:`).toString("base64").slice(0, 12)}`)
        )
      }
      expect(origin.seen).toBeDefined()
      expect(yield* origin.seen).toEqual([])
      expect(secure.seen()).toEqual([])
    })
  )

  it.scoped("the proxy's credentials never reach the origin, under an auth that sends its own", () =>
    Effect.gen(function* () {
      const origin = yield* serve((seen) =>
        HttpServerResponse.text(
          `authorization=${seen.headers.authorization ?? "(none)"} proxy-authorization=${seen.headers["proxy-authorization"] ?? "(none)"}`
        )
      )
      const transport = NodeTransport.layer({
        proxy: { url: proxy.origin, username: proxy.username, password: Redacted.make(proxy.password) }
      })
      const body = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${origin.origin}/me`)).pipe(
        Effect.flatMap((response) => response.text),
        Effect.provide(HttpAuth.layer(Basic.make("alice", "s3cret")).pipe(Layer.provide(transport)))
      )
      expect(body).toBe(
        `authorization=Basic ${Buffer.from("alice:s3cret").toString("base64")} proxy-authorization=(none)`
      )
      const seen = yield* origin.seen
      expect(seen.map((s) => Object.keys(s.headers).filter((name) => name.startsWith("proxy")))).toEqual([[]])
    })
  )
})

describe('NodeTransport.layer: proxy "env"', () => {
  it.scoped("HTTP_PROXY and NO_PROXY (upper case), https_proxy (lower case), read when the layer is built", () =>
    Effect.gen(function* () {
      const proxied = yield* httpOrigin
      const direct = yield* httpOrigin
      const secure = yield* serveHttps(material)
      const withCredentials = `http://${proxy.username}:${encodeURIComponent(proxy.password)}@127.0.0.1:${proxy.port}`
      const { lines, result } = yield* accessLogGrowth(
        withProxyEnv(
          { HTTP_PROXY: withCredentials, NO_PROXY: `example.invalid, 127.0.0.1:${direct.port}` },
          Effect.all([get({ proxy: "env" }, `${proxied.origin}/a`), get({ proxy: "env" }, `${direct.origin}/b`)])
        ),
        1
      )
      expect(result).toEqual(["200 origin saw proxy-authorization=(none)", "200 origin saw proxy-authorization=(none)"])
      expect(
        lines.filter((line) => line.includes("TCP_TUNNEL/200")).map((l) => /CONNECT 127\.0\.0\.1:(\d+)/.exec(l)?.[1])
      ).toEqual([String(proxied.port)])

      const https = yield* accessLogGrowth(
        withProxyEnv(
          { https_proxy: withCredentials, HTTPS_PROXY: "http://127.0.0.1:1" },
          get({ proxy: "env", verify: { caFile: material.caFile } }, `${secure.origin}/c`)
        ),
        1
      )
      expect(https.result).toBe("200 hello anonymous")
      expect(
        https.lines.filter((line) => line.includes(`TCP_TUNNEL/200`) && line.includes(`:${secure.port} proxyuser`))
      ).toHaveLength(1)

      // no variable set: a direct connection; and an env proxy without credentials is refused with a ProxyError
      expect(yield* withProxyEnv({}, get({ proxy: "env" }, `${direct.origin}/d`))).toBe(
        "200 origin saw proxy-authorization=(none)"
      )
      const refused = yield* withProxyEnv(
        { http_proxy: proxy.origin },
        Effect.flip(get({ proxy: "env" }, `${proxied.origin}/e`))
      )
      expect(transportCause(refused)).toMatchObject({ _tag: "ProxyError", proxy: proxy.origin, status: 407 })
      const bad = yield* withProxyEnv({ HTTPS_PROXY: "ftp://x" }, buildError({ proxy: "env" }))
      expect(bad.option).toBe("proxy (HTTPS_PROXY)")
    })
  )
})
