/**
 * A Digest-protected server from http-auth (npm), in this process, on a
 * 127.0.0.1 ephemeral port: MD5 or MD5-sess, qop auth or none, and its proxy
 * mode (407, Proxy-Authenticate). It records every request it receives.
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { createRequire } from "node:module"
import { Effect, type Scope } from "effect"

interface HttpAuthDigest {
  check(
    handler: (request: IncomingMessage & { user?: string }, response: ServerResponse) => void
  ): (request: IncomingMessage, response: ServerResponse) => void
  /** [nonce, issued at, last nc]: emptying it expires every nonce the server gave. */
  nonces: Array<[string, number, number]>
}

const httpAuth = createRequire(import.meta.url)("http-auth") as {
  digest(options: {
    realm: string
    file: () => string
    algorithm?: "MD5" | "MD5-sess"
    qop?: "auth" | "none"
    proxy?: boolean
  }): HttpAuthDigest
}

export interface Received {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly body: string
}

export interface DigestServer {
  readonly origin: string
  /** Every request received, in order (401/407 answers included). */
  readonly received: ReadonlyArray<Received>
  /** Forgets every nonce, as when they expire: the next answer gets `stale="true"`. */
  readonly expireNonces: () => void
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex")

export const digestServer = (options: {
  readonly realm?: string
  readonly users: ReadonlyArray<readonly [string, string]>
  readonly algorithm?: "MD5" | "MD5-sess"
  readonly qop?: "auth" | "none"
  readonly proxy?: boolean
  /** Paths that answer, once authenticated, with a 302 to the given location. */
  readonly redirects?: Readonly<Record<string, string>>
}): Effect.Effect<DigestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const realm = options.realm ?? "lab"
      const digest = httpAuth.digest({
        realm,
        file: () =>
          options.users.map(([user, pass]) => `${user}:${realm}:${md5(`${user}:${realm}:${pass}`)}`).join("\n"),
        ...(options.algorithm === undefined ? {} : { algorithm: options.algorithm }),
        ...(options.qop === undefined ? {} : { qop: options.qop }),
        ...(options.proxy === undefined ? {} : { proxy: options.proxy })
      })
      const received: Array<Received> = []
      const protectedHandler = digest.check((request, response) => {
        const last = received[received.length - 1]!
        const location = options.redirects?.[request.url ?? ""]
        if (location !== undefined) {
          response.writeHead(302, { location }).end()
          return
        }
        response.setHeader("content-type", "application/json")
        response.end(JSON.stringify({ user: request.user, method: request.method, url: request.url, body: last.body }))
      })
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const header = options.proxy ? request.headers["proxy-authorization"] : request.headers.authorization
          received.push({
            method: request.method ?? "",
            url: request.url ?? "",
            authorization: header,
            body: Buffer.concat(chunks).toString("utf8")
          })
          protectedHandler(request, response)
        })
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo
      return {
        server,
        api: {
          origin: `http://127.0.0.1:${port}`,
          received,
          expireNonces: () => {
            digest.nonces.length = 0
          }
        } satisfies DigestServer
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
  ).pipe(Effect.map(({ api }) => api))
