import { inspect } from "node:util"
import {
  HttpClient,
  HttpClientError,
  HttpClientRequest,
  HttpClientResponse,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Deferred, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { Digest, HttpAuth, SecureRandom } from "../src/index.js"
import { digestServer } from "./fixtures/digestServer.js"
import { serve } from "./fixtures/server.js"

const Base = NodeHttpClient.layerUndici

/** The parameters of a Digest Authorization value, unquoted. */
const paramsOf = (header: string | undefined) =>
  Object.fromEntries(
    [...(header ?? "").matchAll(/([a-z*]+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3]])
  )

// RFC 7616 section 3.9.1: the cnonce of the example, as the 33 bytes it encodes
const rfc7616Cnonce = Buffer.from("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "base64")
const rfc7616 = {
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
}

/** A server that sends RFC 7616's challenges and records what it gets. */
const rfc7616Server = (algorithms: ReadonlyArray<string>) =>
  serve((seen) =>
    seen.headers.authorization === undefined
      ? HttpServerResponse.empty({
          status: 401,
          headers: {
            "www-authenticate": algorithms
              .map(
                (algorithm) =>
                  `Digest realm="${rfc7616.realm}", qop="auth, auth-int", algorithm=${algorithm}, nonce="${rfc7616.nonce}", opaque="${rfc7616.opaque}"`
              )
              .join(", ")
          }
        })
      : HttpServerResponse.text("ok")
  )

describe("Digest", () => {
  it.scoped("a Stream body that fails while it is read (to send it again) is a DigestError, and nothing is sent", () =>
    Effect.gen(function* () {
      const server = yield* rfc7616Server(["MD5"])
      const client = yield* HttpAuth.client(Digest.make("Mufasa", "Circle of Life"))
      const error = yield* Effect.flip(
        client.execute(
          HttpClientRequest.post(`${server.origin}/dir/index.html`).pipe(
            HttpClientRequest.bodyStream(Stream.fail("disk gone"))
          )
        )
      )
      expect(String(error)).toBe("DigestError: Digest: the request body stream failed: disk gone")
      expect(yield* server.seen).toEqual([])
    }).pipe(Effect.provide(Base))
  )

  for (const [algorithm, expected] of [
    ["MD5", "8ca523f5e9506fed4657c9700eebdbec"],
    ["SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"]
  ] as const) {
    it.scoped(`gives RFC 7616 section 3.9.1's ${algorithm} response, qop=auth picked from "auth, auth-int"`, () =>
      Effect.gen(function* () {
        const server = yield* rfc7616Server([algorithm])
        const client = yield* HttpAuth.client(Digest.make("Mufasa", "Circle of Life"))
        const response = yield* client.get(`${server.origin}/dir/index.html`)
        expect(response.status).toBe(200)
        expect(response.request.headers.authorization).toBe(
          `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=${algorithm}, nonce="${rfc7616.nonce}", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="${expected}", opaque="${rfc7616.opaque}"`
        )
      }).pipe(Effect.provide(Layer.merge(Base, SecureRandom.layerSequence([rfc7616Cnonce]))))
    )
  }

  it.scoped("chooses the strongest algorithm among several challenges (RFC 7616 section 3.7)", () =>
    Effect.gen(function* () {
      const server = yield* rfc7616Server(["MD5", "SHA-512-256", "SHA-256"])
      const client = yield* HttpAuth.client(Digest.make("Mufasa", "Circle of Life"))
      const response = yield* client.get(`${server.origin}/dir/index.html`)
      expect(paramsOf(response.request.headers.authorization).algorithm).toBe("SHA-512-256")
      expect(paramsOf(response.request.headers.authorization).qop).toBe("auth")
    }).pipe(Effect.provide(Base))
  )

  for (const [algorithm, qop] of [
    ["MD5", "auth"],
    ["MD5-sess", "auth"],
    ["MD5", "none"],
    ["MD5-sess", "none"]
  ] as const) {
    it.scoped(`authenticates against http-auth with ${algorithm}, qop ${qop}`, () =>
      Effect.gen(function* () {
        const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]], algorithm, qop })
        const client = yield* HttpAuth.client(Digest.make("mufasa", "Circle of Life"))
        const response = yield* client.get(`${server.origin}/den?x=1`)
        expect(response.status).toBe(200)
        expect(yield* response.json).toEqual({ user: "mufasa", method: "GET", url: "/den?x=1", body: "" })
        const sent = paramsOf(server.received[1]!.authorization)
        expect(sent.uri).toBe("/den?x=1")
        expect(sent.qop).toBe(qop === "none" ? undefined : "auth")
        expect(sent.nc).toBe(qop === "none" ? undefined : "00000001")
        const wrong = yield* HttpAuth.client(Digest.make("mufasa", "circle of life"))
        expect((yield* wrong.get(`${server.origin}/den`)).status).toBe(401)
        expect(server.received.length).toBe(4)
      }).pipe(Effect.provide(Base))
    )
  }

  it.scoped("leaves a 407 alone; { proxy: true } is refused, pointing to the transport", () =>
    Effect.gen(function* () {
      const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]], proxy: true })
      const forServer = yield* HttpAuth.client(Digest.make("mufasa", "Circle of Life"))
      const response = yield* forServer.get(`${server.origin}/`)
      expect(response.status).toBe(407)
      expect(response.request.headers["proxy-authorization"]).toBeUndefined()
      const refused = yield* Effect.flip(Digest.make("mufasa", "Circle of Life", { proxy: true }))
      expect(refused.message).toBe(
        'Digest.make: option "proxy" cannot be true: a forward proxy challenges the CONNECT of the transport\'s tunnel; use NodeTransport.layer({ proxy: { url, username, password, scheme: "digest" } })'
      )
    }).pipe(Effect.provide(Base))
  )

  it.scoped("reuses the challenge: 10 requests cost 11 exchanges, nc counts up, the cnonce is fresh each time", () =>
    Effect.gen(function* () {
      const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]] })
      const client = yield* HttpAuth.client(Digest.make("mufasa", "Circle of Life"))
      for (let i = 0; i < 10; i++) expect((yield* client.get(`${server.origin}/${i}`)).status).toBe(200)
      expect(server.received.length).toBe(11)
      const answers = server.received.slice(1).map((r) => paramsOf(r.authorization))
      expect(answers.map((a) => a.nc)).toEqual(Array.from({ length: 10 }, (_, i) => `0000000${(i + 1).toString(16)}`))
      expect(new Set(answers.map((a) => a.cnonce)).size).toBe(10)
      expect(new Set(answers.map((a) => a.nonce)).size).toBe(1)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a stale nonce is answered once more with the new nonce, without failing", () =>
    Effect.gen(function* () {
      const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]] })
      const client = yield* HttpAuth.client(Digest.make("mufasa", "Circle of Life"))
      expect((yield* client.get(`${server.origin}/a`)).status).toBe(200)
      server.expireNonces()
      const response = yield* client.get(`${server.origin}/b`)
      expect(response.status).toBe(200)
      // preemptive with the old nonce (stale), then the new nonce
      expect(server.received.length).toBe(4)
      const [old, fresh] = server.received.slice(2).map((r) => paramsOf(r.authorization))
      expect(old!.nonce).toBe(paramsOf(server.received[1]!.authorization).nonce)
      expect(fresh!.nonce).not.toBe(old!.nonce)
      expect(fresh!.nc).toBe("00000001")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("never loops: a server that always says stale gets at most one retry per request", () =>
    Effect.gen(function* () {
      let n = 0
      const server = yield* serve(() =>
        HttpServerResponse.empty({
          status: 401,
          headers: { "www-authenticate": `Digest realm="r", nonce="n${n++}", qop="auth", stale=true` }
        })
      )
      const client = yield* HttpAuth.client(Digest.make("u", "p"))
      expect((yield* client.get(`${server.origin}/`)).status).toBe(401)
      expect((yield* server.seen).length).toBe(3)
      expect((yield* client.get(`${server.origin}/`)).status).toBe(401)
      expect((yield* server.seen).length).toBe(6)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("sends a Stream body again after a challenge, and hashes the body for auth-int", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.headers.authorization === undefined
          ? HttpServerResponse.empty({
              status: 401,
              headers: { "www-authenticate": 'Digest realm="r", nonce="abc", qop="auth-int", algorithm=SHA-256' }
            })
          : HttpServerResponse.text(seen.body)
      )
      const client = yield* HttpAuth.client(Digest.make("u", "p"))
      const request = HttpClientRequest.post(`${server.origin}/upload`).pipe(
        HttpClientRequest.bodyStream(
          Stream.make(new TextEncoder().encode("hello "), new TextEncoder().encode("world")),
          {
            contentType: "text/plain"
          }
        )
      )
      const response = yield* client.execute(request)
      expect([response.status, yield* response.text]).toEqual([200, "hello world"])
      const sent = paramsOf(response.request.headers.authorization)
      expect(sent.qop).toBe("auth-int")
      const { createHash } = yield* Effect.promise(() => import("node:crypto"))
      const H = (s: string) => createHash("sha256").update(s).digest("hex")
      const ha1 = H("u:r:p")
      const ha2 = H(`POST:/upload:${H("hello world")}`)
      expect(sent.response).toBe(H(`${ha1}:abc:${sent.nc}:${sent.cnonce}:auth-int:${ha2}`))
      expect((yield* server.seen).map((s) => s.body)).toEqual(["hello world", "hello world"])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("sends a non-ASCII username as username* (RFC 7616 section 3.4.4)", () =>
    Effect.gen(function* () {
      const server = yield* rfc7616Server(["SHA-256"])
      const client = yield* HttpAuth.client(Digest.make("Jäsøn Doe", "Secret, or not?"))
      const response = yield* client.get(`${server.origin}/doe.json`)
      const header = response.request.headers.authorization!
      expect(header).toContain("username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, ")
      expect(header).not.toContain('username="')
    }).pipe(Effect.provide(Base))
  )

  it.scoped("works inside HttpAuth.all and under HttpAuth.followRedirects", () =>
    Effect.gen(function* () {
      const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]], redirects: { "/start": "/first" } })
      const redirector = yield* serve(() =>
        HttpServerResponse.empty({ status: 302, headers: { location: `${server.origin}/landing` } })
      )
      const { Bearer } = yield* Effect.promise(() => import("../src/index.js"))
      const client = yield* HttpAuth.client(
        HttpAuth.followRedirects(
          HttpAuth.all(Bearer.make("t", { headerName: "x-token" }), Digest.make("mufasa", "Circle of Life"))
        )
      )
      // same-origin redirect: the challenge answered for /start is reused for /first
      const direct = yield* client.get(`${server.origin}/start`)
      expect(direct.status).toBe(200)
      expect(paramsOf(direct.request.headers.authorization)).toMatchObject({ uri: "/first", nc: "00000002" })
      expect(direct.request.headers["x-token"]).toBe("Bearer t")
      // cross-origin redirect: the Digest answer must not follow
      const redirected = yield* client.get(`${redirector.origin}/go`)
      expect(redirected.status).toBe(401)
      expect(server.received.map((r) => [r.url, r.authorization === undefined])).toEqual([
        ["/start", true],
        ["/start", false],
        ["/first", false],
        ["/landing", true]
      ])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("refuses bad options with InvalidOptions naming the option", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Digest.make("a\nb", "p"))
      expect(error.message).toBe('Digest.make: option "username" must not contain CR, LF or NUL characters')
      const proxy = yield* Effect.flip(Digest.make("a", "p", { proxy: "yes" as never }))
      expect(proxy.message).toBe('Digest.make: option "proxy" must be true or false')
    })
  )

  it.scoped("a malformed challenge is a DigestError naming what it could not read", () =>
    Effect.gen(function* () {
      const server = yield* serve(() =>
        HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": 'Digest realm="r, nonce=abc' } })
      )
      const client = yield* HttpAuth.client(Digest.make("u", "p"))
      const error = yield* Effect.flip(client.get(`${server.origin}/`))
      expect(error._tag).toBe("DigestError")
      expect(error.message).toBe(
        'Digest: could not read the challenge: the quoted value of parameter "realm" that starts at character 14 of the WWW-Authenticate header is not closed'
      )
      const unsupported = yield* serve(() =>
        HttpServerResponse.empty({
          status: 401,
          headers: { "www-authenticate": 'Digest realm="r", nonce="n", algorithm=SHA-1' }
        })
      )
      const second = yield* Effect.flip(client.get(`${unsupported.origin}/`))
      expect(second.message).toBe('Digest: no Digest challenge can be answered: algorithm "SHA-1" is not supported')
      const basicOnly = yield* serve(() =>
        HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": 'Basic realm="r"' } })
      )
      expect((yield* client.get(`${basicOnly.origin}/`)).status).toBe(401)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("reads a challenge sent in several WWW-Authenticate headers", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.headers.authorization === undefined
          ? HttpServerResponse.empty({
              status: 401,
              headers: {
                "www-authenticate": [
                  'Basic realm="r"',
                  'Digest realm="r", nonce="n1", qop=auth, algorithm=SHA-256'
                ] as never
              }
            })
          : HttpServerResponse.text("ok")
      )
      const client = yield* HttpAuth.client(Digest.make("u", "p"))
      const response = yield* client.get(`${server.origin}/`)
      expect(response.status).toBe(200)
      expect(paramsOf(response.request.headers.authorization)).toMatchObject({ nonce: "n1", algorithm: "SHA-256" })
    }).pipe(Effect.provide(Base))
  )

  it.scoped("follows Authentication-Info nextnonce, and answers a non-stale 401 to a reused challenge once", () =>
    Effect.gen(function* () {
      let nonce = 1
      const server = yield* serve((seen) => {
        const sent = paramsOf(seen.headers.authorization)
        if (sent.nonce === `n${nonce}`) {
          nonce++
          return HttpServerResponse.text("ok", { headers: { "authentication-info": `nextnonce="n${nonce}"` } })
        }
        return HttpServerResponse.empty({
          status: 401,
          headers: { "www-authenticate": `Digest realm="r", nonce="n${nonce}", qop="auth"` }
        })
      })
      const client = yield* HttpAuth.client(Digest.make("u", "p"))
      for (let i = 0; i < 3; i++) expect((yield* client.get(`${server.origin}/`)).status).toBe(200)
      // challenge, answer with n1; then n2 and n3 from nextnonce, each with nc=1
      const answers = (yield* server.seen).map((s) => paramsOf(s.headers.authorization))
      expect(answers.map((a) => [a.nonce, a.nc])).toEqual([
        [undefined, undefined],
        ["n1", "00000001"],
        ["n2", "00000001"],
        ["n3", "00000001"]
      ])
      // the server forgets: the reused n4 gets a fresh (non-stale) challenge, answered once
      nonce = 10
      expect((yield* client.get(`${server.origin}/`)).status).toBe(200)
      expect((yield* server.seen).slice(4).map((s) => paramsOf(s.headers.authorization).nonce)).toEqual(["n4", "n10"])
    }).pipe(Effect.provide(Base))
  )

  it.scoped("reads username and password from Config; neither the auth nor its errors print the password", () =>
    Effect.gen(function* () {
      const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]] })
      const auth = yield* Digest.make(Config.string("DIGEST_USER"), Config.redacted("DIGEST_PASSWORD")).pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["DIGEST_USER", "mufasa"],
              ["DIGEST_PASSWORD", "Circle of Life"]
            ])
          )
        )
      )
      const client = yield* HttpAuth.client(auth)
      expect((yield* client.get(`${server.origin}/`)).status).toBe(200)
      const broken = yield* serve(() =>
        HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": 'Digest realm="r", nonce="n", qop=x' } })
      )
      const error = yield* Effect.flip(client.get(`${broken.origin}/`))
      for (const text of [String(auth), inspect(auth, { depth: 8 }), error.message, JSON.stringify(error)]) {
        expect(text).not.toContain("Circle of Life")
      }
      const missing = yield* Effect.flip(
        Digest.make("u", Config.redacted("DIGEST_PASSWORD")).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      expect(missing.message).toMatch(/^Digest.make: option "password" could not be read from the configuration/)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("concurrent first requests to an origin take one 401 between them: 20 requests cost 21 exchanges", () =>
    Effect.gen(function* () {
      const server = yield* digestServer({ users: [["mufasa", "Circle of Life"]] })
      const client = yield* HttpAuth.client(Digest.make("mufasa", "Circle of Life"))
      const responses = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i),
        (i) => client.get(`${server.origin}/${i}`),
        { concurrency: "unbounded" }
      )
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200))
      expect(server.received.length).toBe(21)
      expect(server.received.filter((r) => r.authorization === undefined).length).toBe(1)
      const counts = server.received.flatMap((r) =>
        r.authorization === undefined ? [] : [paramsOf(r.authorization).nc]
      )
      expect(new Set(counts).size).toBe(20)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("requests waiting on a first request go on unauthenticated when the origin does not challenge", () =>
    Effect.gen(function* () {
      const server = yield* serve(() => HttpServerResponse.text("public"))
      const client = yield* HttpAuth.client(Digest.make("mufasa", "Circle of Life"))
      const responses = yield* Effect.forEach(Array.from({ length: 5 }), () => client.get(`${server.origin}/`), {
        concurrency: "unbounded"
      })
      expect(responses.map((response) => response.status)).toEqual(Array(5).fill(200))
      expect(responses.every((response) => response.request.headers.authorization === undefined)).toBe(true)
    }).pipe(Effect.provide(Base))
  )

  for (const end of ["fails", "is interrupted"] as const) {
    it.scoped(`requests waiting on a first request that ${end} go on by themselves`, () =>
      Effect.gen(function* () {
        const release = yield* Deferred.make<void>()
        let calls = 0
        const base = HttpClient.make((request) =>
          Effect.suspend(() => {
            calls++
            return calls === 1
              ? Deferred.await(release).pipe(
                  Effect.zipRight(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport" })))
                )
              : Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok")))
          })
        )
        const client = (yield* Digest.make("mufasa", "Circle of Life")).wrap(base)
        const first = yield* Effect.fork(client.get("http://digest.test/first"))
        yield* Effect.yieldNow()
        const others = yield* Effect.fork(
          Effect.forEach(Array.from({ length: 3 }), () => client.get("http://digest.test/other"), {
            concurrency: "unbounded"
          })
        )
        // Turns enough for the others to reach the server, were they not waiting for the first request's challenge.
        for (let turn = 0; turn < 50; turn++) yield* Effect.yieldNow()
        expect(calls).toBe(1)
        if (end === "fails") yield* Deferred.succeed(release, undefined)
        else yield* Fiber.interrupt(first)
        const firstExit = yield* Fiber.await(first)
        expect(Exit.isFailure(firstExit)).toBe(true)
        expect((yield* Fiber.join(others)).map((response) => response.status)).toEqual([200, 200, 200])
        expect(calls).toBe(4)
      })
    )
  }
})
