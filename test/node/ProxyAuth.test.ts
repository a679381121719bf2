/**
 * Proxy authentication beyond preset Basic: NodeTransport's own CONNECT
 * handshake answers a real forward proxy's 407 (Debian squid with Digest
 * through digest_file_auth, and with Basic when no credentials are sent
 * unasked). The proxy's credentials go in CONNECT requests only, never to an
 * origin.
 */
import { type AddressInfo, createServer, type Server } from "node:net"
import { HttpClient, HttpClientError, HttpServerResponse } from "@effect/platform"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { Basic, HttpAuth } from "effect-http-auth"
import { NodeTransport } from "effect-http-auth/node"
import { Agent, EnvHttpProxyAgent } from "undici"
import { bypasses } from "../../src/node/internal/transport.js"
import { withProxyEnv } from "../fixtures/proxyEnv.js"
import { serve } from "../fixtures/server.js"
import { type Squid, squid } from "../fixtures/squid.js"
import { serveHttps, type TlsMaterial, tlsMaterial } from "../fixtures/tls.js"

let material: TlsMaterial
let digestProxy: Squid
let basicProxy: Squid
let scope: Scope.CloseableScope

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  material = await Effect.runPromise(Scope.extend(tlsMaterial, scope))
  digestProxy = await Effect.runPromise(
    Scope.extend(squid({ username: "digest-user", password: "digest-pass-7" }, { auth: "digest" }), scope)
  )
  basicProxy = await Effect.runPromise(Scope.extend(squid({ username: "basic-user", password: "basic-pass-9" }), scope))
}, 60_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

/** GET `url` with a client of `options`: status and body, or the error. */
const get = (options: NodeTransport.Options, url: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url)).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => `${response.status} ${text}`)),
    Effect.provide(NodeTransport.layer(options))
  )

/** An http origin that answers with the proxy headers it saw. */
const origin = serve((seen) =>
  HttpServerResponse.text(
    `proxy headers at the origin: ${
      Object.keys(seen.headers)
        .filter((name) => name.startsWith("proxy"))
        .join(",") || "(none)"
    }`
  )
)

/** CONNECT lines of squid's access log since `before`, as `status user`, once `count` are logged (bounded poll). */
const connects = (proxy: Squid, before: number, count: number) =>
  Effect.promise(async () => {
    const lines = () =>
      proxy
        .accessLog()
        .slice(before)
        .filter((line) => line.includes(" CONNECT "))
    for (let attempt = 0; attempt < 500 && lines().length < count; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return lines().map((line) => {
      const fields = line.trim().split(/\s+/)
      return `${fields[3]} ${fields[7]}`
    })
  })

const digestOptions = (password = "digest-pass-7"): NodeTransport.Options => ({
  verify: { caFile: material.caFile },
  proxy: { url: digestProxy.origin, username: "digest-user", password: Redacted.make(password), scheme: "digest" }
})

describe("NodeTransport.layer: a proxy that challenges (squid)", () => {
  it.scoped("Digest: http and https targets through the tunnel; the credentials stay with the proxy", () =>
    Effect.gen(function* () {
      const before = digestProxy.accessLog().length
      const plain = yield* origin
      const secure = yield* serveHttps(material)
      expect(yield* get(digestOptions(), `${plain.origin}/a`)).toBe("200 proxy headers at the origin: (none)")
      expect(yield* get(digestOptions(), `${secure.origin}/b`)).toBe("200 hello anonymous")
      expect(secure.seen().map((seen) => Object.keys(seen.headers).filter((name) => name.startsWith("proxy")))).toEqual(
        [[]]
      )
      // each first CONNECT goes without credentials; its 407 is answered with Digest
      expect(yield* connects(digestProxy, before, 4)).toEqual([
        "TCP_DENIED/407 -",
        "TCP_TUNNEL/200 digest-user",
        "TCP_DENIED/407 -",
        "TCP_TUNNEL/200 digest-user"
      ])
    })
  )

  it.scoped("Digest: later tunnels answer the known challenge at once (a fresh nc)", () =>
    Effect.gen(function* () {
      const before = digestProxy.accessLog().length
      const a = yield* origin
      const b = yield* origin
      const twoOrigins = Effect.flatMap(HttpClient.HttpClient, (client) =>
        Effect.zipRight(
          Effect.flatMap(client.get(`${a.origin}/`), (response) => response.text),
          Effect.flatMap(client.get(`${b.origin}/`), (response) => response.text)
        )
      ).pipe(Effect.provide(NodeTransport.layer(digestOptions())))
      expect(yield* twoOrigins).toBe("proxy headers at the origin: (none)")
      expect(yield* connects(digestProxy, before, 3)).toEqual([
        "TCP_DENIED/407 -",
        "TCP_TUNNEL/200 digest-user",
        "TCP_TUNNEL/200 digest-user"
      ])
    })
  )

  it.scoped("a wrong password is a ProxyError 407 that holds no password, after one answer", () =>
    Effect.gen(function* () {
      const before = digestProxy.accessLog().length
      const plain = yield* origin
      const error = yield* Effect.flip(get(digestOptions("wrong-pass-1"), `${plain.origin}/`))
      expect(HttpClientError.isHttpClientError(error)).toBe(true)
      const cause = (error as HttpClientError.RequestError).cause
      expect(cause).toMatchObject({ _tag: "ProxyError", proxy: digestProxy.origin, status: 407 })
      expect(JSON.stringify(cause)).not.toContain("wrong-pass-1")
      expect(String(cause)).not.toContain("wrong-pass-1")
      expect((yield* connects(digestProxy, before, 2)).map((line) => line.split(" ")[0])).toEqual([
        "TCP_DENIED/407",
        "TCP_DENIED/407"
      ])
      expect(yield* plain.seen).toEqual([])
    })
  )

  it.scoped('"auto": a Basic proxy answered after its 407, no credentials sent unasked', () =>
    Effect.gen(function* () {
      const before = basicProxy.accessLog().length
      const secure = yield* serveHttps(material)
      const options: NodeTransport.Options = {
        verify: { caFile: material.caFile },
        proxy: { url: basicProxy.origin, username: "basic-user", password: "basic-pass-9", scheme: "auto" }
      }
      expect(yield* get(options, `${secure.origin}/`)).toBe("200 hello anonymous")
      expect(yield* connects(basicProxy, before, 2)).toEqual(["TCP_DENIED/407 -", "TCP_TUNNEL/200 basic-user"])
      // "digest" does not answer a Basic challenge
      const digestOnly = yield* Effect.flip(
        get(
          { ...options, proxy: { ...(options.proxy as NodeTransport.ProxyOptions), scheme: "digest" } },
          secure.origin
        )
      )
      expect((digestOnly as HttpClientError.RequestError).cause).toMatchObject({ _tag: "ProxyError", status: 407 })
    })
  )

  it.scoped("through the tunnel, a client certificate the origin refuses is a TlsError", () =>
    Effect.gen(function* () {
      const secure = yield* serveHttps(material, { requireClientCert: true, version: "TLSv1.3" })
      const error = yield* Effect.flip(
        get(
          { ...digestOptions(), cert: { certFile: material.strangerCert, keyFile: material.strangerKey } },
          secure.origin
        )
      )
      expect((error as HttpClientError.RequestError).cause).toMatchObject({
        _tag: "TlsError",
        origin: secure.origin,
        code: "CLIENT_CERTIFICATE_REFUSED"
      })
      expect(
        yield* get(
          { ...digestOptions(), cert: { certFile: material.clientCert, keyFile: material.clientKey } },
          secure.origin
        )
      ).toBe("200 hello test-client")
    })
  )

  it.scoped("under an auth that sends its own Basic credentials: the origin sees those, never the proxy's", () =>
    Effect.gen(function* () {
      const seen = yield* serve((request) =>
        HttpServerResponse.text(
          `authorization=${request.headers.authorization ?? "(none)"} proxy-authorization=${request.headers["proxy-authorization"] ?? "(none)"}`
        )
      )
      const body = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${seen.origin}/me`)).pipe(
        Effect.flatMap((response) => response.text),
        Effect.provide(
          HttpAuth.layer(Basic.make("alice", "s3cret")).pipe(Layer.provide(NodeTransport.layer(digestOptions())))
        )
      )
      expect(body).toBe(
        `authorization=Basic ${Buffer.from("alice:s3cret").toString("base64")} proxy-authorization=(none)`
      )
    })
  )

  it.scoped("a proxy that never answers CONNECT fails within connectTimeout", () =>
    Effect.gen(function* () {
      const silent = yield* Effect.acquireRelease(
        Effect.async<Server>((resume) => {
          const server = createServer(() => {})
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        // no wait for the close: the refused connection may still be closing
        (server) => Effect.sync(() => server.close())
      )
      const port = (silent.address() as AddressInfo).port
      const error = yield* Effect.flip(
        get(
          {
            connectTimeout: "300 millis",
            proxy: { url: `http://127.0.0.1:${port}`, username: "u", password: "p", scheme: "auto" }
          },
          "http://127.0.0.1:9/"
        )
      )
      expect((error as HttpClientError.RequestError).reason).toBe("Transport")
      expect(String((error as HttpClientError.RequestError).cause)).toBe(
        "Error: the proxy did not answer CONNECT in time"
      )
    })
  )

  it.effect("bad scheme options fail the layer", () =>
    Effect.gen(function* () {
      const build = (proxy: NodeTransport.ProxyOptions) =>
        Effect.flip(Effect.scoped(NodeTransport.make({ proxy }))).pipe(
          Effect.map((error) => ({ option: error.option, message: error.message }))
        )
      expect(yield* build({ url: "http://127.0.0.1:3128", scheme: "ntlm" as never })).toEqual({
        option: "proxy.scheme",
        message: 'NodeTransport.layer: option "proxy.scheme" must be "basic", "digest" or "auto", not "ntlm"'
      })
      expect(yield* build({ url: "http://127.0.0.1:3128", scheme: "digest" })).toEqual({
        option: "proxy.scheme",
        message: 'NodeTransport.layer: option "proxy.scheme" "digest" needs proxy.username and proxy.password'
      })
    })
  )
})

describe("NodeTransport.layer: the proxies of the environment, with a scheme", () => {
  /** A proxy's URL with credentials, as a user puts it in HTTPS_PROXY. */
  const inUrl = (proxy: Squid, username: string, password: string) =>
    `http://${username}:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`

  it.scoped('{ env: true, scheme: "digest" }: HTTPS_PROXY and HTTP_PROXY answered with Digest, NO_PROXY direct', () =>
    Effect.gen(function* () {
      const before = digestProxy.accessLog().length
      const plain = yield* origin
      const direct = yield* origin
      const secure = yield* serveHttps(material)
      const proxyUrl = inUrl(digestProxy, "digest-user", "digest-pass-7")
      const options: NodeTransport.Options = {
        verify: { caFile: material.caFile },
        proxy: { env: true, scheme: "digest" }
      }
      const results = yield* withProxyEnv(
        { HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, NO_PROXY: `example.invalid, 127.0.0.1:${direct.port}` },
        Effect.all([
          get(options, `${secure.origin}/a`),
          get(options, `${plain.origin}/b`),
          get(options, `${direct.origin}/c`)
        ])
      )
      expect(results).toEqual([
        "200 hello anonymous",
        "200 proxy headers at the origin: (none)",
        "200 proxy headers at the origin: (none)"
      ])
      expect(yield* connects(digestProxy, before, 4)).toEqual([
        "TCP_DENIED/407 -",
        "TCP_TUNNEL/200 digest-user",
        "TCP_DENIED/407 -",
        "TCP_TUNNEL/200 digest-user"
      ])
      const tunnelled = digestProxy
        .accessLog()
        .slice(before)
        .map((line) => /CONNECT 127\.0\.0\.1:(\d+)/.exec(line)?.[1])
      expect(new Set(tunnelled)).toEqual(new Set([String(secure.port), String(plain.port)]))
      expect(secure.seen().map((seen) => Object.keys(seen.headers).filter((name) => name.startsWith("proxy")))).toEqual(
        [[]]
      )
      // no variable set: a direct connection, whatever the scheme
      expect(yield* withProxyEnv({}, get(options, `${direct.origin}/d`))).toBe(
        "200 proxy headers at the origin: (none)"
      )
    })
  )

  it.scoped('a wrong password in HTTPS_PROXY is a ProxyError 407 without it; "auto" answers a Basic proxy', () =>
    Effect.gen(function* () {
      const secure = yield* serveHttps(material)
      const verify = { caFile: material.caFile }
      const error = yield* withProxyEnv(
        { https_proxy: inUrl(digestProxy, "digest-user", "wrong-pass-1") },
        Effect.flip(get({ verify, proxy: { env: true, scheme: "digest" } }, secure.origin))
      )
      const cause = (error as HttpClientError.RequestError).cause
      expect(cause).toMatchObject({ _tag: "ProxyError", proxy: digestProxy.origin, status: 407 })
      expect(`${JSON.stringify(cause)} ${String(cause)}`).not.toContain("wrong-pass-1")

      const before = basicProxy.accessLog().length
      expect(
        yield* withProxyEnv(
          { HTTPS_PROXY: inUrl(basicProxy, "basic-user", "basic-pass-9") },
          get({ verify, proxy: { env: true, scheme: "auto" } }, `${secure.origin}/`)
        )
      ).toBe("200 hello anonymous")
      expect(yield* connects(basicProxy, before, 2)).toEqual(["TCP_DENIED/407 -", "TCP_TUNNEL/200 basic-user"])
    })
  )

  it("NO_PROXY: the tunnel's reading is EnvHttpProxyAgent's (fast-check, undici as the oracle)", async () => {
    const label = fc.constantFrom("a", "b", "corp", "Example", "internal")
    const name = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join("."))
    // IP literals too: undici's Client hands a connector an IPv6 address without its brackets
    const host = fc.oneof(name, fc.constantFrom("127.0.0.1", "[::1]", "[2001:db8::1]"))
    const port = fc.constantFrom(80, 443, 3128)
    const entry = fc.oneof(
      host,
      name.map((name) => `.${name}`),
      name.map((name) => `*.${name}`),
      fc.tuple(host, port).map(([name, at]) => `${name}:${at}`),
      fc.constantFrom("*", "::1", "2001:db8::1")
    )
    const noProxy = fc.oneof(
      fc.constant("*"),
      fc.tuple(fc.array(entry, { maxLength: 4 }), fc.constantFrom(",", " ", ", ")).map(([all, sep]) => all.join(sep))
    )
    const handler = { onError() {}, onConnect() {}, onHeaders: () => true, onData: () => true, onComplete() {} }
    /** Which of its agents undici's EnvHttpProxyAgent hands a request to (no connection is made). */
    const undiciChoice = (value: string, url: string) => {
      const agent = new EnvHttpProxyAgent({ httpProxy: "http://127.0.0.1:1", httpsProxy: "", noProxy: value })
      const own = agent as unknown as Record<symbol, { dispatch: () => unknown }>
      for (const symbol of Object.getOwnPropertySymbols(agent)) {
        if (symbol.description === "no proxy agent") own[symbol]!.dispatch = () => "direct"
        else if (symbol.description?.endsWith("proxy agent")) own[symbol]!.dispatch = () => "proxy"
      }
      return agent.dispatch({ origin: url, path: "/", method: "GET" }, handler) as unknown
    }
    /** The hostname undici's Client gives a connector for `url`, as the tunnel's connector gets it. */
    const connectorHostname = (url: string) =>
      new Promise<string>((resolve) => {
        const agent = new Agent({
          connect: (options, callback) => {
            resolve(options.hostname)
            callback(new Error("no connection"), null)
          }
        })
        agent.dispatch({ origin: url, path: "/", method: "GET" }, handler)
        void agent.close()
      })
    expect(await connectorHostname("http://[::1]:3128")).toBe("::1")
    await fc.assert(
      fc.asyncProperty(noProxy, host, port, async (value, name, at) => {
        const url = `http://${name.toLowerCase()}:${at}`
        const ours = bypasses(value)(await connectorHostname(url), at) ? "direct" : "proxy"
        expect(ours).toBe(undiciChoice(value, url))
      }),
      { numRuns: 500 }
    )
  })

  it.effect("bad combinations fail the layer when it is built", () =>
    Effect.gen(function* () {
      const build = (proxy: unknown, env: Record<string, string> = {}) =>
        withProxyEnv(
          env,
          Effect.flip(Effect.scoped(NodeTransport.make({ proxy: proxy as NodeTransport.Options["proxy"] })))
        ).pipe(Effect.map((error) => ({ option: error.option, message: error.message })))
      expect(yield* build({ env: true, scheme: "digest" }, { HTTPS_PROXY: "http://127.0.0.1:3128" })).toEqual({
        option: "proxy.scheme",
        message: 'NodeTransport.layer: option "proxy.scheme" "digest" needs credentials in the URL of HTTPS_PROXY'
      })
      expect(yield* build({ env: true, url: "http://127.0.0.1:3128" })).toEqual({
        option: "proxy.url",
        message:
          'NodeTransport.layer: option "proxy.url" cannot go with proxy.env: the proxies and their credentials come from the URLs in HTTP_PROXY and HTTPS_PROXY'
      })
      expect(yield* build({ env: true, username: "u", password: "never-shown-3" })).toEqual({
        option: "proxy.username",
        message:
          'NodeTransport.layer: option "proxy.username" cannot go with proxy.env: the proxies and their credentials come from the URLs in HTTP_PROXY and HTTPS_PROXY'
      })
      expect(yield* build({ env: false })).toEqual({
        option: "proxy.env",
        message: 'NodeTransport.layer: option "proxy.env" must be true (the same as proxy: "env")'
      })
      expect(yield* build({ env: true, scheme: "ntlm" })).toEqual({
        option: "proxy.scheme",
        message: 'NodeTransport.layer: option "proxy.scheme" must be "basic", "digest" or "auto", not "ntlm"'
      })
      // a `%` that starts no escape, in a variable's URL or the option's: a typed error that never repeats the value
      const malformed = "has a malformed percent-encoding in its user name or password (write % as %25)"
      for (const [proxy, env, option] of [
        ["env", { HTTPS_PROXY: "http://me:50%off@127.0.0.1:3128" }, "proxy (HTTPS_PROXY)"],
        [{ env: true, scheme: "digest" }, { HTTP_PROXY: "http://me:50%off@127.0.0.1:3128" }, "proxy (HTTP_PROXY)"],
        ["http://me%zz:p@127.0.0.1:3128", {}, "proxy"]
      ] as const) {
        const error = yield* build(proxy, env)
        expect(error).toEqual({ option, message: `NodeTransport.layer: option "${option}" ${malformed}` })
        expect(error.message).not.toContain("50%off")
      }
      expect(yield* build({ user: "x" })).toEqual({
        option: "proxy",
        message:
          'NodeTransport.layer: option "proxy" must be a URL, { url, username, password, scheme }, "env" or { env: true, scheme }'
      })
    })
  )
})
