/**
 * The CONNECT handshake of a proxy that challenges (RFC 9110 section 9.3.6,
 * 11.7): undici's ProxyAgent sends preset Basic credentials or none, and
 * turns a 407 into a transport error. This connector opens each tunnel
 * itself: CONNECT, and on a 407 the answer to its `Proxy-Authenticate`
 * (Digest, RFC 7616, with the Digest internals; or Basic, RFC 7617) on a new
 * connection; then TLS to the origin over the tunnel for https targets.
 * The credentials go in CONNECT requests to the proxy only.
 */
import { randomBytes } from "node:crypto"
import { isIP, type Socket, connect as tcpConnect } from "node:net"
import * as tls from "node:tls"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import type { buildConnector } from "undici"
import { parseChallenges } from "../../internal/challenge.js"
import { authorization, chooseChallenge, type DigestChallenge } from "../../internal/digest.js"
import type { ProxyTarget, TlsSettings } from "./transport.js"

/** Which challenges the tunnel answers: `digest` only Digest, `auto` Digest or Basic. */
export type ProxyScheme = "digest" | "auto"

export interface TunnelOptions {
  readonly proxy: ProxyTarget
  readonly scheme: ProxyScheme
  /** The origin's TLS (trust and client certificate). */
  readonly tls: TlsSettings
  /** The proxy's own TLS, for an https: proxy (trust only). */
  readonly proxyTls: tls.ConnectionOptions
  readonly timeout: number
  /** Called with each socket to the origin once its handshake is done, for its TLS alerts. */
  readonly track: (socket: tls.TLSSocket) => void
}

interface Head {
  readonly status: number
  readonly challenges: ReadonlyArray<string>
  /** Bytes after the head (none from a well-behaved proxy before the client speaks). */
  readonly rest: Buffer
}

/** Reads the proxy's answer head within `timeout` ms; the socket stays open for the tunnel. */
const readHead = (socket: Socket, timeout: number): Promise<Head> =>
  new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const done = (error?: Error) => {
      socket.setTimeout(0)
      socket.off("timeout", onTimeout)
      socket.off("data", onData)
      socket.off("error", onError)
      socket.off("close", onClose)
      if (error !== undefined) reject(error)
    }
    const onTimeout = () => done(new Error("the proxy did not answer CONNECT in time"))
    socket.setTimeout(timeout)
    socket.once("timeout", onTimeout)
    const onError = (error: Error) => done(error)
    const onClose = () => done(new Error("the proxy closed the connection before it answered CONNECT"))
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf("\r\n\r\n")
      if (end === -1) {
        if (buffered.length > 64 * 1024) done(new Error("the proxy's answer to CONNECT has a head over 64 KiB"))
        return
      }
      done()
      const lines = buffered.subarray(0, end).toString("latin1").split("\r\n")
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? Number.NaN)
      const challenges = lines
        .slice(1)
        .filter((line) => /^proxy-authenticate:/i.test(line))
        .map((line) => line.slice(line.indexOf(":") + 1).trim())
      resolve({ status, challenges, rest: buffered.subarray(end + 4) })
    }
    socket.on("data", onData)
    socket.once("error", onError)
    socket.once("close", onClose)
  })

/** A connection to the proxy, plain or TLS. */
const dial = (options: TunnelOptions): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const url = new URL(options.proxy.origin)
    const https = url.protocol === "https:"
    const port = Number(url.port || (https ? 443 : 80))
    const host = url.hostname.replace(/^\[|\]$/g, "")
    const socket: Socket = https
      ? tls.connect({ ...options.proxyTls, host, port, ...(isIP(host) === 0 ? { servername: host } : {}) })
      : tcpConnect({ host, port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`connecting to the proxy ${options.proxy.origin} timed out`))
    }, options.timeout)
    socket.once(https ? "secureConnect" : "connect", () => {
      clearTimeout(timer)
      socket.off("error", onError)
      resolve(socket)
    })
    const onError = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }
    socket.once("error", onError)
  })

/** The same error text as undici's, so that a refusal maps to a ProxyError with its status. */
const refused = (status: number) => new Error(`Proxy response (${status}) !== 200 when HTTP Tunneling`)

/** The credentials the proxy asks for, for its challenges; `undefined` when none of them can be answered. */
const answerFor = (
  options: TunnelOptions,
  headers: ReadonlyArray<string>,
  authority: string,
  state: { challenge?: DigestChallenge | undefined; nc: number }
): string | undefined => {
  const username = options.proxy.username
  if (username === undefined) return undefined
  const password = options.proxy.password === undefined ? "" : Redacted.value(options.proxy.password)
  const parsed = parseChallenges(headers, "Proxy-Authenticate header")
  if (Either.isLeft(parsed)) return undefined
  const digest = chooseChallenge(parsed.right)
  if (digest !== undefined && Either.isRight(digest)) {
    state.challenge = digest.right
    state.nc = 0
    return digestAnswer(state, username, password, authority)
  }
  const basic = parsed.right.some((challenge) => challenge.scheme.toLowerCase() === "basic")
  return options.scheme === "auto" && basic
    ? `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`
    : undefined
}

/** RFC 7616 for CONNECT: the request-target is the authority (RFC 9112 section 3.2.3). */
const digestAnswer = (
  state: { challenge?: DigestChallenge | undefined; nc: number },
  username: string,
  password: string,
  authority: string
) => {
  state.nc++
  return authorization(state.challenge!, {
    username,
    password,
    method: "CONNECT",
    uri: authority,
    nc: state.nc,
    // a connector runs outside Effect: node:crypto's CSPRNG, as SecureRandom's default; 33 bytes as Digest.make's
    cnonce: randomBytes(33).toString("base64"),
    body: new Uint8Array(0)
  })
}

/** Opens a tunnel to `authority`, answering the proxy's challenge; the last Digest challenge is reused. */
const openTunnel = async (
  options: TunnelOptions,
  authority: string,
  state: { challenge?: DigestChallenge | undefined; nc: number }
): Promise<Socket> => {
  // a known Digest challenge is answered at once (a fresh nc); otherwise the first CONNECT has no credentials
  let credentials =
    state.challenge !== undefined && options.proxy.username !== undefined
      ? digestAnswer(
          state,
          options.proxy.username,
          options.proxy.password === undefined ? "" : Redacted.value(options.proxy.password),
          authority
        )
      : undefined
  // true once the credentials answer a challenge of this call: a 407 to them is final
  let fresh = false
  for (;;) {
    const socket = await dial(options)
    socket.write(
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${
        credentials === undefined ? "" : `Proxy-Authorization: ${credentials}\r\n`
      }\r\n`
    )
    let head: Head
    try {
      head = await readHead(socket, options.timeout)
    } catch (error) {
      socket.destroy()
      throw error
    }
    if (head.status >= 200 && head.status < 300) {
      if (head.rest.length > 0) socket.unshift(head.rest)
      return socket
    }
    // each answer on a new connection: the 407's body need not be read, and some proxies close anyway
    socket.destroy()
    state.challenge = undefined
    if (head.status !== 407 || fresh) throw refused(head.status)
    credentials = answerFor(options, head.challenges, authority, state)
    if (credentials === undefined) throw refused(head.status)
    fresh = true
  }
}

/** An undici connector that tunnels every connection through the proxy. */
export const connector = (options: TunnelOptions): buildConnector.connector => {
  const state: { challenge?: DigestChallenge | undefined; nc: number } = { nc: 0 }
  return (opts, callback) => {
    const done = callback as (error: Error | null, socket: Socket | null) => void
    const https = opts.protocol === "https:"
    const port = opts.port === "" || opts.port === undefined ? (https ? 443 : 80) : Number(opts.port)
    const host = opts.hostname.replace(/^\[|\]$/g, "")
    const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`
    openTunnel(options, authority, state).then(
      (socket) => {
        if (!https) return done(null, socket)
        const secure = tls.connect({
          ...(options.tls as tls.ConnectionOptions),
          socket,
          host,
          ...(isIP(host) === 0 ? { servername: opts.servername ?? host } : {}),
          ALPNProtocols: ["http/1.1"]
        })
        const onError = (error: Error) => done(error, null)
        // the origin's handshake within the connect timeout too
        const onTimeout = () => secure.destroy(new Error("the TLS handshake through the proxy timed out"))
        secure.setTimeout(options.timeout)
        secure.once("timeout", onTimeout)
        secure.once("error", onError)
        secure.once("secureConnect", () => {
          secure.setTimeout(0)
          secure.off("timeout", onTimeout)
          secure.off("error", onError)
          options.track(secure)
          done(null, secure)
        })
      },
      (error: Error) => done(error, null)
    )
  }
}
