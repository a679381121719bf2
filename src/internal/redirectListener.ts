/**
 * The redirect listener behind `RedirectListener.make` and the browser
 * grants: a loopback server that waits for one authorization redirect.
 */
import { timingSafeEqual } from "node:crypto"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Redacted from "effect/Redacted"
import * as AuthError from "../AuthError.js"
import * as Browser from "../Browser.js"
import { invalid } from "./options.js"
import { defaultFailureHtml, defaultSuccessHtml, fillPage, fragmentMarker, fragmentPage } from "./redirectPages.js"
import * as SecureRandom from "../SecureRandom.js"
import type {
  Authorization,
  AuthorizeError,
  Grant,
  Options,
  RedirectListener,
  ResponseMode
} from "../RedirectListener.js"

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/
// RFC 3986 section 3.3 path characters, without query or fragment.
const PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/

const displayTime = (
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration,
  scheme: string,
  option: string
) => {
  if (input === undefined) return Effect.succeed(fallback)
  const duration = Duration.decodeUnknown(input)
  return duration._tag === "Some" && Duration.isFinite(duration.value)
    ? Effect.succeed(duration.value)
    : Effect.fail(invalid(scheme, option, 'must be a finite Duration such as "5 seconds"'))
}

/**
 * `make` for a grant: `scheme` (the grant's name) is the constructor its
 * errors name.
 */
export const makeFor = (options: Options, scheme: string): Effect.Effect<RedirectListener, AuthError.InvalidOptions> =>
  Effect.gen(function* () {
    const domain = options.redirectUriDomain ?? "localhost"
    if (!HOST.test(domain)) {
      return yield* Effect.fail(
        invalid(scheme, "redirectUriDomain", `must be a host name such as "localhost", not ${JSON.stringify(domain)}`)
      )
    }
    const endpoint = options.redirectUriEndpoint ?? ""
    if (!PATH.test(endpoint)) {
      return yield* Effect.fail(
        invalid(scheme, "redirectUriEndpoint", "must be a URL path, without spaces, query or fragment")
      )
    }
    const port = options.redirectUriPort ?? 5000
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return yield* Effect.fail(
        invalid(scheme, "redirectUriPort", `must be a whole number from 0 to 65535, not ${port}`)
      )
    }
    const timeout = Duration.decodeUnknown(options.timeout ?? "60 seconds")
    if (timeout._tag === "None" || !Duration.isFinite(timeout.value) || Duration.toMillis(timeout.value) <= 0) {
      return yield* Effect.fail(invalid(scheme, "timeout", 'must be a positive, finite Duration such as "60 seconds"'))
    }
    const maxRequestBytes = options.maxRequestBytes ?? 64 * 1024
    if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 1) {
      return yield* Effect.fail(
        invalid(scheme, "maxRequestBytes", `must be a whole number of bytes from 1 up, not ${maxRequestBytes}`)
      )
    }
    const display = options.display ?? {}
    const pages: Pages = {
      successTime: Duration.toMillis(
        yield* displayTime(display.successDisplayTime, Duration.millis(1), scheme, "display.successDisplayTime")
      ),
      successHtml: display.successHtml ?? defaultSuccessHtml,
      failureTime: Duration.toMillis(
        yield* displayTime(display.failureDisplayTime, Duration.seconds(10), scheme, "display.failureDisplayTime")
      ),
      failureHtml: display.failureHtml ?? defaultFailureHtml
    }
    const path = `/${endpoint.replace(/^\/+/, "")}`
    const redirectUri = (port: number) => `http://${domain}:${port}${path}`
    return {
      redirectUriDomain: domain,
      redirectUriEndpoint: path,
      redirectUriPort: port,
      timeout: timeout.value,
      redirectUri,
      authorize: (authorization) =>
        authorize({ scheme, port, path, redirectUri, timeout: timeout.value, pages, maxRequestBytes }, authorization)
    }
  })

interface Pages {
  readonly successTime: number
  readonly successHtml: string
  readonly failureTime: number
  readonly failureHtml: string
}

interface Settings {
  readonly scheme: string
  readonly port: number
  readonly path: string
  readonly redirectUri: (port: number) => string
  readonly timeout: Duration.Duration
  readonly pages: Pages
  readonly maxRequestBytes: number
}

const pageHeaders = {
  // One request, one connection: closing the listener never waits on a kept-alive socket.
  connection: "close",
  "cache-control": "no-store",
  // The page's URL may hold the code: never send it on as a Referer.
  "referrer-policy": "no-referrer"
}

/** What the listener answers to one request. */
interface Answer {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

const html = (body: string, status: number, headers: Record<string, string> = pageHeaders): Answer => ({
  status,
  body,
  headers: { ...headers, "content-type": "text/html; charset=utf-8" }
})

const page = (body: string, status: number) => html(body, status)

const text = (body: string, status: number, headers: Record<string, string> = pageHeaders): Answer => ({
  status,
  body,
  headers: { ...headers, "content-type": "text/plain; charset=utf-8" }
})

/** Writes an answer; a client that went away is no concern of the grant. */
const respond = (response: ServerResponse, answer: Answer) =>
  Effect.sync(() => {
    if (response.headersSent || response.destroyed) return
    const body = Buffer.from(answer.body, "utf8")
    response.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) })
    response.end(body)
  })

/**
 * The request's body as text, or `undefined` when it is larger than `limit`
 * bytes: what was read is dropped and the rest is not kept (a page on any
 * site can POST megabytes to a loopback port).
 */
const readBody = (request: IncomingMessage, limit: number) =>
  Effect.async<string | undefined, Error>((resume) => {
    const declared = Number(request.headers["content-length"])
    if (Number.isFinite(declared) && declared > limit) return resume(Effect.succeed(undefined))
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        chunks.length = 0
        resume(Effect.succeed(undefined))
      } else {
        chunks.push(chunk)
      }
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
    }
    const onError = (error: Error) => {
      cleanup()
      resume(Effect.fail(error))
    }
    const cleanup = () => {
      request.off("data", onData)
      request.off("end", onEnd)
      request.off("error", onError)
    }
    request.on("data", onData)
    request.once("end", onEnd)
    request.once("error", onError)
    return Effect.sync(cleanup)
  })

const sameState = (received: string, sent: string) => {
  const a = Buffer.from(received)
  const b = Buffer.from(sent)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Reads the grant out of the redirect's parameters, or says why it cannot. */
const readGrant = (
  params: URLSearchParams,
  grantField: string,
  state: string
): Effect.Effect<{ readonly grant: string; readonly fields: Record<string, string> }, AuthorizeError> => {
  const received = [...new Set(params.keys())]
  const stateValues = params.getAll("state")
  const checkState = (): Effect.Effect<void, AuthorizeError> =>
    stateValues.length === 0 || stateValues[0] === ""
      ? Effect.fail(new AuthError.StateNotProvided())
      : stateValues.length > 1 || !sameState(stateValues[0]!, state)
        ? Effect.fail(new AuthError.StateMismatch())
        : Effect.void
  if (params.has("error")) {
    // RFC 6749 section 4.1.2.1: the error redirect carries the state too (when
    // one was sent, and we always send one); an error without it, or with
    // another, is not the server's word.
    return Effect.zipRight(
      checkState(),
      Effect.fail(
        new AuthError.OAuth2Error({
          error: params.get("error")!,
          errorDescription: params.get("error_description") ?? undefined,
          errorUri: params.get("error_uri") ?? undefined,
          // RFC 9207 section 2: the error redirect names its issuer too, for the grant to check
          fields: params.has("iss") ? { iss: params.get("iss")! } : undefined,
          redirect: true
        })
      )
    )
  }
  const grants = params.getAll(grantField)
  if (grants.length === 0 || grants[0] === "") {
    // checked first: an empty POST (no state) is a stray request, not the server's answer
    return Effect.zipRight(checkState(), Effect.fail(new AuthError.GrantNotProvided({ field: grantField, received })))
  }
  return Effect.zipRight(
    checkState(),
    grants.length > 1
      ? Effect.fail(
          new AuthError.OAuth2Error({
            error: "invalid_request",
            errorDescription: `The redirect repeats the "${grantField}" parameter (RFC 6749 section 3.1).`,
            redirect: true
          })
        )
      : Effect.sync(() => {
          const fields: Record<string, string> = {}
          for (const [name, value] of params) {
            if (name !== grantField && name !== "state" && name !== fragmentMarker) fields[name] = value
          }
          return { grant: grants[0]!, fields }
        })
  )
}

/** Each open connection, and whether it is answering a request. */
const trackConnections = (server: Server) => {
  const connections = new Map<Socket, boolean>()
  server.on("connection", (socket) => {
    connections.set(socket, false)
    socket.once("close", () => connections.delete(socket))
  })
  server.on("request", (request, response) => {
    connections.set(request.socket, true)
    response.once("finish", () => {
      if (connections.has(request.socket)) connections.set(request.socket, false)
    })
  })
  return connections
}

const listenFailure = (scheme: string, port: number, cause: unknown) => {
  const code = (cause as { code?: string } | undefined)?.code
  return new AuthError.AuthenticationFailed({
    scheme,
    reason:
      code === "EADDRINUSE"
        ? `port ${port} of 127.0.0.1 is taken, so the redirect listener cannot start: free it, or set redirectUriPort (0 takes a free port, if the authorization server accepts any port)`
        : `the redirect listener could not listen on 127.0.0.1:${port}`,
    cause
  })
}

/** Listens on 127.0.0.1 (RFC 8252 section 8.3: loopback only) and gives the port; closing the scope closes the server. */
const listen = (server: Server, scheme: string, port: number) =>
  Effect.acquireRelease(
    Effect.async<number, AuthError.AuthenticationFailed>((resume) => {
      const onError = (error: Error) => resume(Effect.fail(listenFailure(scheme, port, error)))
      server.once("error", onError)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", onError)
        resume(Effect.succeed((server.address() as AddressInfo).port))
      })
    }),
    () =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const authorize = <E extends AuthError.AuthError>(
  settings: Settings,
  authorization: Authorization<E>
): Effect.Effect<Grant, AuthorizeError | E> =>
  Effect.scoped(
    Effect.gen(function* () {
      const state = yield* SecureRandom.token(32)
      // node:http loads here, not with the core entry: about 2.5 ms of every start that never listens
      const { createServer } = yield* Effect.promise(() => import("node:http"))
      const server = createServer()
      const busy = trackConnections(server)
      const port = yield* listen(server, settings.scheme, settings.port)
      // Runs before the server closes (finalizers run in reverse): a browser
      // keeps spare connections open, which would hold the close; a
      // connection that is answering finishes first (it has `Connection: close`).
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          for (const [socket, answering] of busy) if (!answering) socket.destroy()
        })
      )
      const redirectUri = settings.redirectUri(port)
      const result = yield* Deferred.make<Grant, AuthorizeError>()
      const { pages } = settings

      const handle = (params: URLSearchParams, responseMode: ResponseMode) =>
        Effect.gen(function* () {
          if (yield* Deferred.isDone(result)) {
            return page(
              fillPage(pages.failureHtml, pages.failureTime, "This authorization has already been answered."),
              409
            )
          }
          const exit = yield* Effect.exit(readGrant(params, authorization.grantField, state))
          const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
          // A callback without our state, or with another, is not the authorization server's answer:
          // any web page can send one to a loopback port (an <img> with ?error=access_denied). It gets
          // an error page, and the listener waits on for the real one until the timeout.
          if (error !== undefined && (error._tag === "StateNotProvided" || error._tag === "StateMismatch")) {
            return page(fillPage(pages.failureHtml, pages.failureTime, error.message), 400)
          }
          if (exit._tag === "Success") {
            yield* Deferred.succeed(result, {
              grant: Redacted.make(exit.value.grant),
              fields: exit.value.fields,
              redirectUri,
              responseMode
            })
            return page(fillPage(pages.successHtml, pages.successTime), 200)
          }
          yield* Deferred.failCause(result, exit.cause)
          return page(fillPage(pages.failureHtml, pages.failureTime, error?.message ?? "Unexpected failure."), 400)
        })

      const answer = (request: IncomingMessage): Effect.Effect<Answer> =>
        Effect.gen(function* () {
          const url = new URL(request.url ?? "/", "http://127.0.0.1")
          if (url.pathname === "/favicon.ico" && settings.path !== "/favicon.ico") {
            return { status: 204, body: "", headers: pageHeaders }
          }
          if (url.pathname !== settings.path) return text("Not Found", 404)
          if (request.method === "GET") {
            // The grant in the fragment never reaches a server: have the page send it.
            return url.searchParams.has(authorization.grantField) || url.searchParams.has("error")
              ? yield* handle(url.searchParams, "query")
              : html(fragmentPage, 200, {
                  ...pageHeaders,
                  "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; form-action 'self'"
                })
          }
          if (request.method === "POST") {
            const body = yield* Effect.orElseSucceed(readBody(request, settings.maxRequestBytes), () => "")
            if (body === undefined) {
              return page(
                fillPage(
                  pages.failureHtml,
                  pages.failureTime,
                  `The request is larger than ${settings.maxRequestBytes} bytes, which no authorization response is.`
                ),
                413
              )
            }
            const params = new URLSearchParams(url.search)
            for (const [name, value] of new URLSearchParams(body)) params.append(name, value)
            return yield* handle(params, params.has(fragmentMarker) ? "fragment" : "form_post")
          }
          return text("Method Not Allowed", 405, { ...pageHeaders, allow: "GET, POST" })
        })

      // Each request is a fiber of this scope: closing the listener interrupts what is still running.
      const runFork = yield* FiberSet.makeRuntime<never, void, never>()
      server.on("request", (request: IncomingMessage, response: ServerResponse) => {
        runFork(Effect.flatMap(answer(request), (reply) => respond(response, reply)))
      })

      const built = authorization.url({ redirectUri, state })
      const url = typeof built === "string" ? built : yield* built
      return yield* Effect.zipRight(Browser.open(url), Deferred.await(result)).pipe(
        Effect.timeoutFail({
          duration: settings.timeout,
          onTimeout: () => new AuthError.AuthorizationTimeout({ timeout: settings.timeout, redirectUri })
        })
      )
    })
  )
