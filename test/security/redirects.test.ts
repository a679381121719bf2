import { HttpClient, HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Ref } from "effect"
import { ApiKey, AwsSigV4, Basic, Bearer, HttpAuth, OAuth2 } from "../../src/index.js"
import { type Seen, serve } from "../fixtures/server.js"
import { forms } from "./support/leaks.js"

/** Each scheme with the secrets it sends, distinctive enough to search for anywhere. */
const schemes = (tokenUrl: string) =>
  ({
    Basic: {
      auth: Basic.make("matrix-user", "basic-S3CRET-pw"),
      secrets: ["basic-S3CRET-pw", "matrix-user:basic-S3CRET-pw"]
    },
    Bearer: { auth: Bearer.make("bearer-S3CRET-tok"), secrets: ["bearer-S3CRET-tok"] },
    "ApiKey.header": { auth: ApiKey.header("hdrkey-S3CRET"), secrets: ["hdrkey-S3CRET"] },
    "ApiKey.query": { auth: ApiKey.query("qrykey-S3CRET"), secrets: ["qrykey-S3CRET"] },
    "HttpAuth.header": {
      auth: HttpAuth.header("x-custom-key", "custom-S3CRET", { headerValue: "k={token}" }),
      secrets: ["custom-S3CRET"]
    },
    AwsSigV4: {
      auth: AwsSigV4.make({
        region: "us-east-1",
        service: "execute-api",
        credentials: {
          accessKeyId: "AKIDMATRIX",
          secretAccessKey: "aws-S3CRET-key",
          sessionToken: "aws-S3CRET-session"
        }
      }),
      // the signature is derived from the secret key: the access key id and session token are what can leak
      secrets: ["aws-S3CRET-session", "AKIDMATRIX", "aws-S3CRET-key"]
    },
    "OAuth2.clientCredentials": {
      auth: OAuth2.clientCredentials({ tokenUrl, clientId: "matrix-app", clientSecret: "client-S3CRET" }),
      secrets: ["oauth-S3CRET-token", "client-S3CRET"]
    }
  }) as const

/** Where A sends the client: each Location shape a server may answer with, given the query A received. */
const shapes = {
  absolute: (b: string) => `${b}/landing`,
  "query kept": (b: string, query: string) => `${b}/landing${query}`,
  "protocol-relative": (b: string) => `//${new URL(b).host}/landing`,
  "other host name": (b: string) => `http://localhost:${new URL(b).port}/landing`,
  "via a same-origin hop": () => "/hop",
  "there and back": (b: string) => `${b}/bounce`
} as const

const statuses = [301, 302, 303, 307, 308] as const

const leaksIn = (seen: ReadonlyArray<Seen>, secrets: ReadonlyArray<string>) =>
  seen.flatMap((request) => {
    const text = JSON.stringify(request)
    return secrets.flatMap((secret) => forms(secret)).filter((form) => text.includes(form))
  })

/** Servers A (redirects, and the token endpoint) and B (another origin, that bounces back to A's /back). */
const servers = Effect.gen(function* () {
  const bRef = yield* Ref.make("")
  const a = yield* serve((seen) =>
    Effect.gen(function* () {
      const url = new URL(seen.url, "http://a")
      if (url.pathname === "/token") {
        return HttpServerResponse.unsafeJson({
          access_token: "oauth-S3CRET-token",
          token_type: "Bearer",
          expires_in: 3600
        })
      }
      const [, start, shape, status] = url.pathname.split("/")
      if (start === "start") {
        const b = yield* Ref.get(bRef)
        const location = shapes[decodeURIComponent(shape!) as keyof typeof shapes](b, url.search)
        return HttpServerResponse.empty({
          status: Number(status),
          headers: { location: location === "/hop" ? `/hop/${status}` : location }
        })
      }
      if (start === "hop") {
        const b = yield* Ref.get(bRef)
        return HttpServerResponse.empty({ status: Number(shape), headers: { location: `${b}/landing` } })
      }
      return HttpServerResponse.unsafeJson(seen)
    })
  )
  const b = yield* serve((seen) =>
    Effect.succeed(
      seen.url.startsWith("/bounce")
        ? HttpServerResponse.empty({ status: 302, headers: { location: `${a.origin}/back` } })
        : HttpServerResponse.unsafeJson(seen)
    )
  )
  yield* Ref.set(bRef, b.origin)
  return { a, b }
})

describe("redirects: every scheme x every Location shape x 301/302/303/307/308 (issue 13 items 6, 12)", () => {
  it.scoped("HttpAuth.followRedirects never carries a credential to another origin, nor back from it", () =>
    Effect.gen(function* () {
      const { a, b } = yield* servers
      let combinations = 0
      const leaks: Array<string> = []
      for (const [name, { auth, secrets }] of Object.entries(schemes(`${a.origin}/token`))) {
        const client = yield* HttpAuth.client(HttpAuth.followRedirects(auth))
        for (const shape of Object.keys(shapes)) {
          for (const status of statuses) {
            const seenBefore = { a: (yield* a.seen).length, b: (yield* b.seen).length }
            const response = yield* client.execute(
              HttpClientRequest.get(`${a.origin}/start/${encodeURIComponent(shape)}/${status}?page=2`)
            )
            expect(response.status, `${name} ${shape} ${status}`).toBe(200)
            combinations++
            const atB = (yield* b.seen).slice(seenBefore.b)
            const backAtA = (yield* a.seen).slice(seenBefore.a).filter((seen) => seen.url.startsWith("/back"))
            expect(atB.length, `${name} ${shape} ${status}`).toBeGreaterThan(0)
            for (const found of leaksIn([...atB, ...backAtA], secrets))
              leaks.push(`${name} ${shape} ${status}: ${found}`)
          }
        }
      }
      console.log(`redirect matrix: ${combinations} combinations, ${leaks.length} leaks`)
      expect(combinations).toBe(7 * 6 * 5)
      expect(leaks).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )

  it.scoped("on a same-origin hop the credentials stay, once (the query key is not doubled)", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        Effect.succeed(
          seen.url.startsWith("/start")
            ? HttpServerResponse.empty({
                status: 302,
                headers: { location: `/end${new URL(seen.url, "http://a").search}` }
              })
            : HttpServerResponse.unsafeJson(seen)
        )
      )
      const client = yield* HttpAuth.client(HttpAuth.followRedirects(ApiKey.query("qrykey-S3CRET")))
      yield* client.get(`${server.origin}/start?page=2`)
      expect((yield* server.seen).map((seen) => seen.url)).toEqual([
        "/start?page=2&api_key=qrykey-S3CRET",
        "/end?page=2&api_key=qrykey-S3CRET"
      ])
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )

  it.scoped("Effect's own HttpClient.followRedirects over or under HttpAuth.layer: a warning, once", () =>
    Effect.gen(function* () {
      const { a, b } = yield* servers
      const warnings: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => warnings.push(String(message)))
      )
      const FollowingBase = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, HttpClient.followRedirects())
      ).pipe(Layer.provide(NodeHttpClient.layer))
      const under = HttpAuth.layer(Bearer.make("bearer-S3CRET-tok")).pipe(Layer.provide(FollowingBase))
      const over = HttpAuth.layer(Bearer.make("bearer-S3CRET-tok")).pipe(Layer.provide(NodeHttpClient.layer))
      const get = (path: string) => Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${a.origin}${path}`))
      const getFollowing = (path: string) =>
        Effect.flatMap(HttpClient.HttpClient, (client) => HttpClient.followRedirects(client).get(`${a.origin}${path}`))
      for (const [how, run] of [
        ["under", get("/start/absolute/302").pipe(Effect.zipRight(get("/start/absolute/307")), Effect.provide(under))],
        [
          "over",
          getFollowing("/start/absolute/302").pipe(
            Effect.zipRight(getFollowing("/start/absolute/307")),
            Effect.provide(over)
          )
        ]
      ] as const) {
        warnings.length = 0
        yield* run.pipe(Effect.provide(logger))
        expect(warnings, how).toEqual([
          `HttpAuth: a redirect from ${a.origin} to ${b.origin} was followed by a client ${how} the auth (such as HttpClient.followRedirects): the credentials went to ${b.origin} too. Use HttpAuth.followRedirects(auth) instead, which drops them on a cross-origin hop.`
        ])
      }
      // what the warning is about: the token did reach B both ways
      expect((yield* b.seen).filter((seen) => seen.headers.authorization === "Bearer bearer-S3CRET-tok").length).toBe(4)
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )
})
