/**
 * NodeTransport's internals: reading and checking the options (every file is
 * read and every key tried when the layer is built), the undici dispatcher,
 * and the mapping of undici's transport errors to TlsError and ProxyError.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { X509Certificate } from "node:crypto"
import { isIPv6, type Socket } from "node:net"
import * as tls from "node:tls"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { Agent, buildConnector, type Dispatcher, EnvHttpProxyAgent, ProxyAgent } from "undici"
import { type InvalidOptions, ProxyError, TlsError } from "../../AuthError.js"
import { invalid, type Secret } from "../../internal/options.js"
import type * as NodeTransport from "../NodeTransport.js"
import { connector as tunnelConnector, type ProxyScheme } from "./tunnel.js"

const scheme = "NodeTransport.layer"

/** The TLS settings undici's connector takes. */
export interface TlsSettings {
  readonly rejectUnauthorized: boolean
  readonly ca?: ReadonlyArray<string>
  readonly cert?: string
  readonly key?: string
  readonly pfx?: Buffer
  readonly passphrase?: string
}

/** A proxy, its credentials apart from its URL. */
export interface ProxyTarget {
  /** The proxy's origin, never with credentials: what errors show. */
  readonly origin: string
  readonly username?: string
  readonly password?: Redacted.Redacted<string>
  /** How the credentials are given: preset Basic (undici's ProxyAgent), or answering the proxy's 407. */
  readonly scheme?: "basic" | ProxyScheme
}

export type ProxySettings =
  | { readonly _tag: "None" }
  | { readonly _tag: "Fixed"; readonly target: ProxyTarget }
  | {
      readonly _tag: "Env"
      readonly http?: ProxyTarget
      readonly https?: ProxyTarget
      readonly noProxy: string
    }

export interface Settings {
  readonly verify: boolean
  readonly tls: TlsSettings
  readonly proxy: ProxySettings
  readonly connectTimeout?: number
  readonly keepAliveTimeout?: number
  readonly keepAliveMaxTimeout?: number
}

// --- reading files ------------------------------------------------------------

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/

const describe = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException)?.code
  return code === undefined ? "" : ` (${code})`
}

const readFile = (path: string, option: string): Effect.Effect<Buffer, InvalidOptions> =>
  Effect.try({
    try: () => readFileSync(path),
    catch: (error) => invalid(scheme, option, `names a file that cannot be read: ${path}${describe(error)}`)
  }).pipe(
    Effect.filterOrFail(
      (content) => content.length > 0,
      () => invalid(scheme, option, `names an empty file: ${path}`)
    )
  )

/** The PEM certificates in a text; each must parse. */
const certificatesIn = (text: string, option: string, where: string): Effect.Effect<Array<string>, InvalidOptions> =>
  Effect.try({
    try: () =>
      (text.match(CERTIFICATE) ?? []).map((pem) => {
        new X509Certificate(pem)
        return `${pem}\n`
      }),
    catch: () => invalid(scheme, option, `${where} holds a certificate that does not parse`)
  })

const someCertificates = (certificates: Array<string>, option: string, where: string) =>
  certificates.length > 0
    ? Effect.succeed(certificates)
    : Effect.fail(invalid(scheme, option, `${where} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`))

const certificatesFromFile = (path: string, option: string) =>
  Effect.flatMap(readFile(path, option), (content) =>
    Effect.flatMap(certificatesIn(content.toString("utf8"), option, path), (found) =>
      someCertificates(found, option, path)
    )
  )

/** A broken link or a file that vanished is skipped, not an error. */
const isFile = (path: string) => {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Node has no OpenSSL capath: every file of the directory is read, those without a certificate skipped. */
const certificatesFromDir = (dir: string, option: string) =>
  Effect.try({
    try: () =>
      readdirSync(dir)
        .map((name) => join(dir, name))
        .filter(isFile),
    catch: (error) => invalid(scheme, option, `names a directory that cannot be read: ${dir}${describe(error)}`)
  }).pipe(
    Effect.flatMap((paths) =>
      Effect.forEach(paths, (path) =>
        Effect.try({ try: () => readFileSync(path, "utf8"), catch: () => "" }).pipe(
          Effect.merge,
          Effect.flatMap((text) => certificatesIn(text, option, path))
        )
      )
    ),
    Effect.flatMap((found) => someCertificates(found.flat(), option, `the directory ${dir}`))
  )

// --- options ------------------------------------------------------------------

type Input = NodeTransport.Options
type CertInput = NonNullable<Input["cert"]>
type ProxyInput = NonNullable<Input["proxy"]>

const reveal = (secret: Secret): string => (typeof secret === "string" ? secret : Redacted.value(secret))

const resolveVerify = (
  verify: Input["verify"]
): Effect.Effect<Pick<TlsSettings, "ca" | "rejectUnauthorized">, InvalidOptions> => {
  if (verify === undefined || verify === true) return Effect.succeed({ rejectUnauthorized: true })
  if (verify === false) return Effect.succeed({ rejectUnauthorized: false })
  if (typeof verify !== "object" || verify === null) {
    return Effect.fail(invalid(scheme, "verify", "must be true, false or { caFile, caDir, ca, withSystemRoots }"))
  }
  const texts = verify.ca === undefined ? [] : typeof verify.ca === "string" ? [verify.ca] : verify.ca
  if (verify.caFile === undefined && verify.caDir === undefined && verify.ca === undefined) {
    return Effect.fail(
      invalid(scheme, "verify", "names no CA: give caFile, caDir or ca, or true for the system's roots")
    )
  }
  return Effect.all([
    verify.caFile === undefined ? Effect.succeed([]) : certificatesFromFile(verify.caFile, "verify.caFile"),
    verify.caDir === undefined ? Effect.succeed([]) : certificatesFromDir(verify.caDir, "verify.caDir"),
    verify.ca === undefined
      ? Effect.succeed([])
      : Effect.flatMap(certificatesIn(texts.join("\n"), "verify.ca", "the text"), (found) =>
          someCertificates(found, "verify.ca", "the text")
        )
  ]).pipe(
    Effect.map((found) => ({
      rejectUnauthorized: true,
      // httpx's verify="ca.pem" trusts that CA alone; the system's roots only when asked
      ca: [...(verify.withSystemRoots === true ? tls.rootCertificates : []), ...found.flat()]
    }))
  )
}

/** `tls.createSecureContext` tells a key that does not match, or a passphrase that does not decrypt. */
const tryContext = (
  settings: Omit<TlsSettings, "rejectUnauthorized">,
  options: { readonly key: string; readonly passphrase: string; readonly what: string }
): Effect.Effect<Omit<TlsSettings, "rejectUnauthorized">, InvalidOptions> =>
  Effect.try({
    try: () => {
      tls.createSecureContext(settings as tls.SecureContextOptions)
      return settings
    },
    catch: (error) => {
      const code = (error as NodeJS.ErrnoException)?.code
      const text = error instanceof Error ? error.message : ""
      if (code === "ERR_OSSL_X509_KEY_VALUES_MISMATCH") {
        return invalid(scheme, options.key, `is not the key of the certificate in ${options.what}`)
      }
      if (code === "ERR_OSSL_BAD_DECRYPT" || text.includes("mac verify failure")) {
        return invalid(
          scheme,
          options.passphrase,
          settings.passphrase === undefined ? "is missing: the key is encrypted" : "does not decrypt the key"
        )
      }
      // OpenSSL's messages name routines, never key material; the code is enough
      return invalid(scheme, options.key, `cannot be used as a private key${code === undefined ? "" : ` (${code})`}`)
    }
  })

const hasPrivateKey = (text: string, option: string) =>
  PRIVATE_KEY.test(text)
    ? Effect.succeed(text)
    : Effect.fail(invalid(scheme, option, "holds no PEM private key (-----BEGIN PRIVATE KEY-----)"))

const resolveCert = (
  cert: CertInput | undefined
): Effect.Effect<Omit<TlsSettings, "rejectUnauthorized" | "ca">, InvalidOptions> => {
  if (cert === undefined) return Effect.succeed({})
  const passphrase = cert.passphrase === undefined ? {} : { passphrase: reveal(cert.passphrase) }
  if ("pfxFile" in cert) {
    return Effect.flatMap(readFile(cert.pfxFile, "cert.pfxFile"), (pfx) =>
      tryContext({ pfx, ...passphrase }, { key: "cert.pfxFile", passphrase: "cert.passphrase", what: "it" })
    )
  }
  if ("certFile" in cert) {
    return Effect.all([
      Effect.flatMap(certificatesFromFile(cert.certFile, "cert.certFile"), (found) => Effect.succeed(found.join(""))),
      Effect.flatMap(readFile(cert.keyFile, "cert.keyFile"), (key) =>
        hasPrivateKey(key.toString("utf8"), "cert.keyFile")
      )
    ]).pipe(
      Effect.flatMap(([certificate, key]) =>
        tryContext(
          { cert: certificate, key, ...passphrase },
          { key: "cert.keyFile", passphrase: "cert.passphrase", what: "cert.certFile" }
        )
      )
    )
  }
  if ("cert" in cert) {
    return Effect.all([
      Effect.flatMap(certificatesIn(cert.cert, "cert.cert", "the text"), (found) =>
        Effect.map(someCertificates(found, "cert.cert", "the text"), (all) => all.join(""))
      ),
      hasPrivateKey(reveal(cert.key), "cert.key")
    ]).pipe(
      Effect.flatMap(([certificate, key]) =>
        tryContext(
          { cert: certificate, key, ...passphrase },
          { key: "cert.key", passphrase: "cert.passphrase", what: "cert.cert" }
        )
      )
    )
  }
  return Effect.fail(invalid(scheme, "cert", "must be { certFile, keyFile }, { cert, key } or { pfxFile }"))
}

/** A proxy URL checked, its credentials kept apart from its origin (errors show the origin only). */
const proxyTarget = (
  url: string,
  option: string,
  credentials?: { readonly username?: string | undefined; readonly password?: Secret | undefined }
): Effect.Effect<ProxyTarget, InvalidOptions> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // the URL may hold a password: never repeat it
    return Effect.fail(invalid(scheme, option, "is not a URL (expected http://host:port)"))
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Effect.fail(invalid(scheme, option, `must be an http: or https: URL, not ${parsed.protocol}`))
  }
  let username: string | undefined
  let password: string | undefined
  try {
    username = credentials?.username ?? (parsed.username === "" ? undefined : decodeURIComponent(parsed.username))
    password =
      credentials?.password === undefined
        ? parsed.password === ""
          ? undefined
          : decodeURIComponent(parsed.password)
        : reveal(credentials.password)
  } catch {
    // `%` not followed by two hex digits (a password such as 50%off): never repeat the value
    return Effect.fail(
      invalid(scheme, option, "has a malformed percent-encoding in its user name or password (write % as %25)")
    )
  }
  if (username === undefined && password !== undefined) {
    return Effect.fail(invalid(scheme, option, "has a password without a username"))
  }
  if (username?.includes(":")) return Effect.fail(invalid(scheme, option, "has a username with a colon"))
  return Effect.succeed(
    username === undefined
      ? { origin: parsed.origin }
      : { origin: parsed.origin, username, password: Redacted.make(password ?? "") }
  )
}

/** curl's reading: the lower-case name first, then the upper-case one; empty means unset. */
const fromEnv = (name: string): string | undefined => {
  const value = process.env[name.toLowerCase()] ?? process.env[name.toUpperCase()]
  return value === undefined || value.trim() === "" ? undefined : value.trim()
}

/** `proxy.scheme` checked; `"basic"` when not given. */
const proxyScheme = (value: unknown): Effect.Effect<"basic" | ProxyScheme, InvalidOptions> => {
  const answer = value ?? "basic"
  return answer === "basic" || answer === "digest" || answer === "auto"
    ? Effect.succeed(answer)
    : Effect.fail(invalid(scheme, "proxy.scheme", `must be "basic", "digest" or "auto", not ${JSON.stringify(answer)}`))
}

/** A target answered with `answer`: a challenge can be answered only with a username, given in `where`. */
const withScheme = (
  target: ProxyTarget,
  answer: "basic" | ProxyScheme,
  where: string
): Effect.Effect<ProxyTarget, InvalidOptions> =>
  answer === "basic"
    ? Effect.succeed(target)
    : target.username === undefined
      ? Effect.fail(invalid(scheme, "proxy.scheme", `${JSON.stringify(answer)} needs ${where}`))
      : Effect.succeed({ ...target, scheme: answer })

/** The proxies of the environment, each answered with `answer`. */
const fromEnvironment = (answer: "basic" | ProxyScheme): Effect.Effect<ProxySettings, InvalidOptions> => {
  const target = (name: "HTTP_PROXY" | "HTTPS_PROXY") => {
    const url = fromEnv(name)
    return url === undefined
      ? Effect.succeed(undefined)
      : Effect.flatMap(proxyTarget(url, `proxy (${name})`), (found) =>
          withScheme(found, answer, `credentials in the URL of ${name}`)
        )
  }
  return Effect.all({ http: target("HTTP_PROXY"), https: target("HTTPS_PROXY") }).pipe(
    Effect.map(({ http, https }) => ({
      _tag: "Env" as const,
      ...(http === undefined ? {} : { http }),
      ...(https === undefined ? {} : { https }),
      noProxy: fromEnv("no_proxy") ?? ""
    }))
  )
}

const resolveProxy = (proxy: ProxyInput | undefined): Effect.Effect<ProxySettings, InvalidOptions> => {
  if (proxy === undefined) return Effect.succeed({ _tag: "None" })
  if (proxy === "env") return fromEnvironment("basic")
  if (typeof proxy === "string") return Effect.map(proxyTarget(proxy, "proxy"), (target) => ({ _tag: "Fixed", target }))
  if (typeof proxy === "object" && proxy !== null && "env" in proxy) {
    if (proxy.env !== true) return Effect.fail(invalid(scheme, "proxy.env", 'must be true (the same as proxy: "env")'))
    // the variables' URLs name the proxies and hold their credentials: one place for each
    const other = (["url", "username", "password"] as const).find(
      (name) => (proxy as unknown as Record<string, unknown>)[name] !== undefined
    )
    if (other !== undefined) {
      return Effect.fail(
        invalid(
          scheme,
          `proxy.${other}`,
          "cannot go with proxy.env: the proxies and their credentials come from the URLs in HTTP_PROXY and HTTPS_PROXY"
        )
      )
    }
    return Effect.flatMap(proxyScheme(proxy.scheme), fromEnvironment)
  }
  if (typeof proxy === "object" && proxy !== null && typeof proxy.url === "string") {
    if (proxy.password !== undefined && proxy.username === undefined) {
      return Effect.fail(invalid(scheme, "proxy.password", "needs proxy.username"))
    }
    return Effect.flatMap(proxyScheme(proxy.scheme), (answer) =>
      Effect.flatMap(proxyTarget(proxy.url, "proxy.url", proxy), (target) =>
        Effect.map(withScheme(target, answer, "proxy.username and proxy.password"), (target) => ({
          _tag: "Fixed" as const,
          target
        }))
      )
    )
  }
  return Effect.fail(
    invalid(scheme, "proxy", 'must be a URL, { url, username, password, scheme }, "env" or { env: true, scheme }')
  )
}

const millis = (input: Duration.DurationInput | undefined, option: string) => {
  if (input === undefined) return Effect.succeed(undefined)
  const decoded = Duration.decodeUnknown(input)
  if (decoded._tag === "None" || !Duration.isFinite(decoded.value)) {
    return Effect.fail(invalid(scheme, option, 'must be a finite Duration, such as "30 seconds"'))
  }
  return Effect.succeed(Duration.toMillis(decoded.value))
}

/** Every option read and checked: the layer fails here, before any request. */
export const resolve = (input: Input): Effect.Effect<Settings, InvalidOptions> =>
  Effect.all({
    verify: resolveVerify(input.verify),
    cert: resolveCert(input.cert),
    proxy: resolveProxy(input.proxy),
    connectTimeout: millis(input.connectTimeout, "connectTimeout"),
    keepAliveTimeout: millis(input.keepAliveTimeout, "keepAliveTimeout"),
    keepAliveMaxTimeout: millis(input.keepAliveMaxTimeout, "keepAliveMaxTimeout")
  }).pipe(
    Effect.map(({ cert, connectTimeout, keepAliveMaxTimeout, keepAliveTimeout, proxy, verify }) => ({
      verify: verify.rejectUnauthorized,
      tls: { ...verify, ...cert },
      proxy,
      ...(connectTimeout === undefined ? {} : { connectTimeout }),
      ...(keepAliveTimeout === undefined ? {} : { keepAliveTimeout }),
      ...(keepAliveMaxTimeout === undefined ? {} : { keepAliveMaxTimeout })
    }))
  )

// --- the dispatcher -----------------------------------------------------------

/** RFC 7617 Basic credentials for the proxy's CONNECT request (Proxy-Authorization). */
const basic = (username: string, password: Redacted.Redacted<string> | undefined) =>
  `Basic ${Buffer.from(`${username}:${password === undefined ? "" : Redacted.value(password)}`).toString("base64")}`

/**
 * TLS alerts that came on a connection after its handshake. With TLS 1.3 a
 * server refuses a client certificate after the handshake (RFC 8446 section
 * 4.4.2.4, alert certificate_required): the socket emits the alert, then
 * undici reports only "other side closed" (UND_ERR_SOCKET) with the socket's
 * addresses. The alert is kept by those addresses until that error is mapped.
 */
export class Alerts {
  private readonly codes = new Map<string, string>()
  /** `clientCertificate`: the settings give one, so a server that asks for a certificate gets it. */
  constructor(private readonly clientCertificate: boolean) {}
  /** The connector of `options` whose sockets report their TLS alerts here. */
  connector(options: buildConnector.BuildOptions): buildConnector.connector {
    const connect = buildConnector(options)
    return (options, callback) =>
      connect(options, (error, socket) => {
        if (error === null && socket != null) this.track(socket)
        ;(callback as (error: Error | null, socket: unknown) => void)(error, socket)
      })
  }
  /** Keeps the TLS alerts of a socket to an origin; called once its handshake is done. */
  track(socket: {
    readonly localPort?: number | undefined
    readonly remotePort?: number | undefined
    readonly bytesRead: number
    readonly getSharedSigalgs?: () => Array<string>
    readonly getProtocol?: () => string | null
    on: Socket["on"]
  }) {
    const key = `${socket.localPort}:${socket.remotePort}`
    const keep = (code: string) => {
      if (this.codes.has(key)) return
      // a connection that never meets undici's error leaves its entry: keep the map small
      if (this.codes.size >= 64) this.codes.delete(this.codes.keys().next().value!)
      this.codes.set(key, code)
    }
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== undefined && TLS_REASONS[error.code] !== undefined) keep(error.code)
    })
    // A client has signature algorithms from the server only from its CertificateRequest (RFC 8446
    // section 4.3.2): so the server asked for the certificate, and got it. A TLS 1.3 server that then
    // closes before any byte of an answer, without an alert, most likely refused it without saying so
    // (Node's https server with rejectUnauthorized does that for a CA it does not trust). Under TLS 1.2
    // that refusal cuts the handshake itself (ECONNRESET), so a close after it is something else.
    if (
      !this.clientCertificate ||
      socket.getProtocol?.() !== "TLSv1.3" ||
      (socket.getSharedSigalgs?.() ?? []).length === 0
    ) {
      return
    }
    socket.on("end", () => {
      if (socket.bytesRead === 0) keep(CLIENT_CERTIFICATE_REFUSED)
    })
  }
  /** The alert seen on the socket undici's SocketError describes, if any (once). */
  take(socket: unknown): string | undefined {
    const info = socket as { readonly localPort?: unknown; readonly remotePort?: unknown } | undefined
    if (info?.localPort === undefined) return undefined
    const key = `${info.localPort}:${info.remotePort}`
    const code = this.codes.get(key)
    this.codes.delete(key)
    return code
  }
}

/** undici's Agent, ProxyAgent or EnvHttpProxyAgent for the settings. */
export const dispatcher = (settings: Settings, alerts: Alerts): Dispatcher => {
  const connect = {
    ...settings.tls,
    ...(settings.connectTimeout === undefined ? {} : { timeout: settings.connectTimeout })
  } as buildConnector.BuildOptions
  const agent = {
    // direct connections only: a ProxyAgent connects through the proxy with its own connector (requestTls)
    connect: alerts.connector(connect),
    ...(settings.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: settings.keepAliveTimeout }),
    ...(settings.keepAliveMaxTimeout === undefined ? {} : { keepAliveMaxTimeout: settings.keepAliveMaxTimeout })
  }
  const proxy = settings.proxy
  // a ProxyAgent takes the origin's TLS in requestTls and the proxy's own (an https: proxy) in proxyTls:
  // the same trust, but the client certificate is the origin's, never shown to the proxy
  const proxyTls = {
    rejectUnauthorized: settings.tls.rejectUnauthorized,
    ...(settings.tls.ca === undefined ? {} : { ca: settings.tls.ca }),
    ...(settings.connectTimeout === undefined ? {} : { timeout: settings.connectTimeout })
  } as buildConnector.BuildOptions
  const viaProxy = (target: ProxyTarget) =>
    new ProxyAgent({
      ...agent,
      uri: target.origin,
      requestTls: connect,
      proxyTls,
      ...(target.username === undefined ? {} : { token: basic(target.username, target.password) })
    })
  /** The transport's own CONNECT handshake, for a proxy that challenges; `undefined` for preset Basic. */
  const tunnel = (target: ProxyTarget | undefined) =>
    target?.scheme === undefined || target.scheme === "basic"
      ? undefined
      : tunnelConnector({
          proxy: target,
          scheme: target.scheme,
          tls: settings.tls,
          proxyTls: proxyTls as tls.ConnectionOptions,
          timeout: settings.connectTimeout ?? 10_000,
          track: (socket) => alerts.track(socket)
        })
  switch (proxy._tag) {
    case "None":
      return new Agent(agent)
    case "Fixed": {
      const through = tunnel(proxy.target)
      return through === undefined ? viaProxy(proxy.target) : new Agent({ ...agent, connect: through })
    }
    case "Env": {
      if (proxy.http === undefined && proxy.https === undefined) return new Agent(agent)
      const http = tunnel(proxy.http)
      const https = tunnel(proxy.https) ?? http
      if (http !== undefined || https !== undefined) {
        // a challenge to answer: each connection direct or through its target's proxy, as EnvHttpProxyAgent picks
        const bypass = bypasses(proxy.noProxy)
        return new Agent({
          ...agent,
          connect: (options, callback) => {
            const secure = options.protocol === "https:"
            const port = Number.parseInt(options.port, 10) || (secure ? 443 : 80)
            const through = bypass(options.hostname, port) ? undefined : secure ? https : http
            return (through ?? agent.connect)(options, callback)
          }
        })
      }
      // given explicitly, EnvHttpProxyAgent does not read the environment again; ProxyAgent takes
      // the credentials out of each URL into its CONNECT requests (each proxy its own)
      return new EnvHttpProxyAgent({
        ...agent,
        requestTls: connect,
        proxyTls,
        httpProxy: proxy.http === undefined ? "" : withCredentials(proxy.http),
        httpsProxy: proxy.https === undefined ? "" : withCredentials(proxy.https),
        noProxy: proxy.noProxy
      } as EnvHttpProxyAgent.Options)
    }
  }
}

/**
 * NO_PROXY read as undici's EnvHttpProxyAgent reads it, so that `"env"` means the same with every scheme:
 * entries split at commas and spaces, `*` alone for every host, a host name that matches itself and its
 * subdomains (a leading `.` or `*.` dropped), `host:port` that port only.
 */
export const bypasses = (noProxy: string) => {
  const entries = noProxy
    .split(/[,\s]/)
    .filter((entry) => entry !== "")
    .map((entry) => {
      const parsed = /^(.+):(\d+)$/.exec(entry)
      return {
        hostname: (parsed?.[1] ?? entry).replace(/^\*?\./, "").toLowerCase(),
        port: parsed === null ? 0 : Number.parseInt(parsed[2]!, 10)
      }
    })
  // `hostname` as undici's Client hands it to a connector: an IPv6 address without its brackets, which
  // EnvHttpProxyAgent keeps (it reads the URL's host), so `[::1]` in NO_PROXY matches it
  return (connectHostname: string, port: number): boolean => {
    const hostname = isIPv6(connectHostname) ? `[${connectHostname}]` : connectHostname.toLowerCase()
    return (
      noProxy === "*" ||
      entries.some(
        (entry) =>
          (entry.port === 0 || entry.port === port) &&
          (hostname === entry.hostname || hostname.endsWith(`.${entry.hostname}`))
      )
    )
  }
}

const withCredentials = (target: ProxyTarget): string => {
  const url = new URL(target.origin)
  if (target.username !== undefined) {
    url.username = encodeURIComponent(target.username)
    url.password = encodeURIComponent(target.password === undefined ? "" : Redacted.value(target.password))
  }
  return url.href
}

// --- errors -------------------------------------------------------------------

/**
 * This library's code, not OpenSSL's, and a guess: under TLS 1.3 the server asked for the client
 * certificate, got it, and closed the connection without an alert before any byte of an answer (see
 * `Alerts.track`).
 */
export const CLIENT_CERTIFICATE_REFUSED = "CLIENT_CERTIFICATE_REFUSED"

const refusedCert = "the server refused the client certificate:"
const trustedCa = "check that `cert` is issued by a CA the server trusts"

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: "the server's certificate has expired: the server must renew it",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet: check the clocks",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the server's certificate is issued for another host name: use the name it was issued for, or fix the certificate",
  DEPTH_ZERO_SELF_SIGNED_CERT:
    "the server's certificate is self-signed: trust it with verify: { caFile } (never verify: false in production)",
  SELF_SIGNED_CERT_IN_CHAIN:
    "the server's certificate is signed by a CA this client does not trust: give that CA with verify: { caFile, caDir or ca }",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "the server's certificate is signed by a CA this client does not trust: give that CA with verify: { caFile, caDir or ca }",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "the server's certificate is signed by a CA this client does not trust: give that CA with verify: { caFile, caDir or ca }",
  UNABLE_TO_GET_ISSUER_CERT:
    "the server's certificate chain is incomplete: the server must send its intermediate certificates",
  CERT_REVOKED: "the server's certificate was revoked",
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    "the server refused the handshake: it may require a client certificate (the cert option)",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "the server requires a client certificate: give one with the cert option",
  // the alerts a server sends about the client's certificate (RFC 8446 section 6.2, RFC 5246 section 7.2.2)
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: `${refusedCert} it does not trust the CA that issued it (alert unknown_ca); ${trustedCa}`,
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: `${refusedCert} it is corrupt or its signature does not verify (alert bad_certificate); ${trustedCa}`,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: `${refusedCert} it cannot accept it (alert certificate_unknown); ${trustedCa}`,
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: `${refusedCert} its type or purpose does not fit (alert unsupported_certificate); check that \`cert\` is meant for client authentication (extendedKeyUsage clientAuth)`,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: `${refusedCert} it has expired or is not valid yet (alert certificate_expired); renew \`cert\``,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: `${refusedCert} it was revoked (alert certificate_revoked); \`cert\` must be replaced`,
  [CLIENT_CERTIFICATE_REFUSED]: `the server asked for a client certificate, got \`cert\`, then closed the connection under TLS 1.3 without an alert or an answer: most likely it refused the certificate (a Node server does so when it does not trust the CA that issued it), though a server that accepted it and closed for another reason looks the same; ${trustedCa}`
}

const TUNNEL = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/

/** The error and its causes, outermost first (undici wraps a proxy's TLS failure). */
const chain = (error: unknown): Array<unknown> => {
  const all: Array<unknown> = []
  for (let current = error; current !== undefined && current !== null && all.length < 5; ) {
    all.push(current)
    current = (current as { cause?: unknown }).cause
  }
  return all
}

/** A TlsError or ProxyError for undici's error, when it is one of those. */
export const classify = (
  cause: unknown,
  url: URL,
  proxyFor: (url: URL) => ProxyTarget | undefined,
  alerts: Alerts
): TlsError | ProxyError | undefined => {
  for (const error of chain(cause)) {
    const found = (error as { code?: unknown }).code
    const code = found === "UND_ERR_SOCKET" ? alerts.take((error as { socket?: unknown }).socket) : found
    if (typeof code === "string" && TLS_REASONS[code] !== undefined) {
      // a guess from a silent close: what the transport said stays beside it
      const reason =
        code === CLIENT_CERTIFICATE_REFUSED && error instanceof Error
          ? `${TLS_REASONS[code]} (the transport said: ${error.message})`
          : TLS_REASONS[code]
      return new TlsError({ origin: url.origin, code, reason })
    }
    const tunnel = error instanceof Error ? TUNNEL.exec(error.message) : null
    if (tunnel !== null) {
      const proxy = proxyFor(url)
      return new ProxyError({ proxy: proxy?.origin ?? "(unknown)", status: Number(tunnel[1]) })
    }
  }
  return undefined
}

/** The proxy a request to `url` went through, for a ProxyError (only a proxied request meets one). */
export const proxyFor =
  (settings: ProxySettings) =>
  (url: URL): ProxyTarget | undefined => {
    switch (settings._tag) {
      case "None":
        return undefined
      case "Fixed":
        return settings.target
      case "Env":
        return url.protocol === "https:" ? (settings.https ?? settings.http) : settings.http
    }
  }
