/**
 * OAuth 1.0a against oauthlib as a real provider (examples/support/
 * oauth1Provider.py): every signature method in every placement, the
 * provider's refusals reaching the caller typed, the three-legged flow
 * through BrowserTest and headless Chromium, and a property test whose
 * signed requests oauthlib verifies in one batch.
 */
import { execFileSync } from "node:child_process"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, TestClock } from "effect"
import * as fc from "fast-check"
import { AuthError, HttpAuth, OAuth1, SecureRandom } from "../src/index.js"
import { BrowserTest } from "../src/testing/index.js"
import { launch, shown } from "./fixtures/chromium.js"
import { oauth1Provider, python, rsaKeyPair } from "./fixtures/oauth1Provider.js"

const Base = NodeHttpClient.layerUndici
const keys = rsaKeyPair()
const consumer = { clientId: "photo-printer", clientSecret: "kd94hf93k423kf44" }
const access = { token: "nnch734d00sl2jdk", tokenSecret: "pfkkdhi9sl3r4s00" }
const config = {
  clients: { [consumer.clientId]: { secret: consumer.clientSecret, rsaPublicKey: keys.publicKey } },
  accessTokens: { [access.token]: { client: consumer.clientId, secret: access.tokenSecret } },
  testVerifier: "verifier-1",
  user: { user_id: "42", screen_name: "alice" }
}
const signing = (method: OAuth1.SignatureMethod) =>
  method.startsWith("RSA-") ? { rsaKey: keys.privateKey } : { clientSecret: consumer.clientSecret }

/** The real time on the TestClock: the provider checks the timestamp against its own clock. */
const now = TestClock.setTime(Date.now())

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

describe("OAuth1 against oauthlib", () => {
  for (const method of OAuth1.signatureMethods) {
    for (const type of OAuth1.signatureTypes) {
      it.scoped(`${method} in the ${type} is accepted`, () =>
        Effect.gen(function* () {
          yield* now
          const provider = yield* oauth1Provider(config)
          const client = yield* HttpAuth.client(
            OAuth1.make({
              clientId: consumer.clientId,
              ...signing(method),
              ...access,
              signatureMethod: method,
              signatureType: type
            })
          )
          const request =
            type === "body"
              ? HttpClientRequest.post(`${provider.origin}/resource/photos?file=vacation.jpg&size=original`).pipe(
                  HttpClientRequest.bodyUrlParams({ caption: "a b+c", tag: "é" })
                )
              : HttpClientRequest.get(`${provider.origin}/resource/photos?file=vacation.jpg&size=original`)
          const response = yield* client.execute(request)
          expect(response.status).toBe(200)
          const verified = (yield* response.json) as Record<string, unknown>
          expect(verified).toMatchObject({
            client: consumer.clientId,
            token: access.token,
            method,
            signatureType: type
          })
        }).pipe(Effect.provide(Base))
      )
    }
  }

  it.scoped("a JSON body is left out of the signature and sent untouched; bodyHash signs its hash", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      for (const bodyHash of [false, true]) {
        const client = yield* HttpAuth.client(OAuth1.make({ ...consumer, ...access, bodyHash }))
        const response = yield* client.execute(
          HttpClientRequest.post(`${provider.origin}/resource/notes`).pipe(HttpClientRequest.bodyUnsafeJson({ a: 1 }))
        )
        expect(response.status).toBe(200)
        expect(yield* response.json).toMatchObject({ body: '{"a":1}', bodyHash })
      }
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a wrong secret, a reused nonce and a stale timestamp are refused by oauthlib, typed", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const url = `${provider.origin}/resource/photos`
      const wrong = yield* HttpAuth.client(OAuth1.make({ ...consumer, clientSecret: "not-the-secret", ...access }))
      const refused = yield* failure(wrong.get(url))
      expect(refused).toBeInstanceOf(AuthError.OAuth1Error)
      expect(refused).toMatchObject({ problem: "signature_invalid", status: 401, endpoint: url })
      expect(refused.message).not.toContain("not-the-secret")

      // the same nonce (fixed randomness) and the same second (TestClock)
      const fixed = yield* HttpAuth.client(OAuth1.make({ ...consumer, ...access }))
      const once = yield* fixed.get(url).pipe(Effect.provide(SecureRandom.layerFixed(new Uint8Array([7]))))
      expect(once.status).toBe(200)
      const again = yield* failure(fixed.get(url).pipe(Effect.provide(SecureRandom.layerFixed(new Uint8Array([7])))))
      expect(again).toMatchObject({ _tag: "OAuth1Error", problem: "nonce_used", status: 401 })

      yield* TestClock.setTime(Date.now() - 3_600_000)
      const stale = yield* failure(fixed.get(url))
      expect(stale).toMatchObject({ _tag: "OAuth1Error", problem: "timestamp_refused", status: 401 })
      expect(stale.message).toContain("Timestamp given is invalid")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("signs exactly as oauthlib's Client does, nonce and time fixed (SecureRandom, TestClock)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_191_242_096_000)
      const seen: Array<{ url: string; authorization: string }> = []
      const capture = HttpClient.make((request, url) =>
        Effect.sync(() => {
          seen.push({ url: url.href, authorization: request.headers.authorization! })
          return HttpClientResponse.fromWeb(request, new Response("ok"))
        })
      )
      const client = (yield* OAuth1.make({ ...consumer, ...access, realm: "Photos" })).wrap(capture)
      yield* client
        .get("http://photos.example.net/photos?file=vacation.jpg&size=original")
        .pipe(Effect.provide(SecureRandom.layerFixed(new Uint8Array([0xab, 0xcd]))))
      const nonce = "abcd".repeat(7).concat("ab")
      const expected = execFileSync(python, [
        "-c",
        `from oauthlib.oauth1 import Client
c = Client("${consumer.clientId}", client_secret="${consumer.clientSecret}", resource_owner_key="${access.token}", resource_owner_secret="${access.tokenSecret}", realm="Photos", nonce="${nonce}", timestamp="1191242096")
print(c.sign("http://photos.example.net/photos?file=vacation.jpg&size=original")[1]["Authorization"])`
      ])
        .toString()
        .trim()
      const param = (header: string) =>
        Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
      expect(param(seen[0]!.authorization)).toEqual(param(expected))
      expect(param(seen[0]!.authorization).oauth_nonce).toBe(nonce)
    })
  )
})

describe("the three-legged flow against oauthlib", () => {
  const options = (provider: { requestTokenUrl: string; authorizationUrl: string; accessTokenUrl: string }) => ({
    ...consumer,
    requestTokenUrl: provider.requestTokenUrl,
    authorizationUrl: provider.authorizationUrl,
    accessTokenUrl: provider.accessTokenUrl,
    redirectUriPort: 0,
    redirectUriEndpoint: "callback",
    timeout: "20 seconds" as const
  })

  it.scoped("the building blocks: request token, authorization URL, access token", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const temporary = yield* OAuth1.fetchRequestToken({
        ...consumer,
        url: provider.requestTokenUrl,
        callback: "http://127.0.0.1:1/ready"
      })
      expect(temporary.fields).toEqual({ oauth_callback_confirmed: "true" })
      expect(OAuth1.authorizationUrl(provider.authorizationUrl, temporary)).toBe(
        `${provider.authorizationUrl}?oauth_token=${Redacted.value(temporary.token)}`
      )
      const credentials = yield* OAuth1.fetchAccessToken({
        ...consumer,
        url: provider.accessTokenUrl,
        token: temporary.token,
        tokenSecret: temporary.tokenSecret,
        verifier: "verifier-1"
      })
      // oauthlib adds the realms the person granted
      expect(credentials.fields).toEqual({ user_id: "42", screen_name: "alice", oauth_authorized_realms: "photos" })
      const client = yield* HttpAuth.client(
        OAuth1.make({ ...consumer, token: credentials.token, tokenSecret: credentials.tokenSecret })
      )
      expect((yield* client.get(`${provider.origin}/resource/me`)).status).toBe(200)

      const reused = yield* failure(
        OAuth1.fetchAccessToken({
          ...consumer,
          url: provider.accessTokenUrl,
          token: temporary.token,
          tokenSecret: temporary.tokenSecret,
          verifier: "verifier-1"
        })
      )
      expect(reused).toMatchObject({ _tag: "OAuth1Error", problem: "token_rejected", status: 401 })
      expect(reused.message).not.toContain(Redacted.value(temporary.tokenSecret))
    }).pipe(Effect.provide(Base))
  )

  it.scoped("oauthlib's answers are read within maxResponseBytes: one byte short, refused unread", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const step = (maxResponseBytes: number) =>
        OAuth1.fetchRequestToken({
          ...consumer,
          url: provider.requestTokenUrl,
          maxResponseBytes,
          tokenTimeout: "20 seconds"
        })
      const temporary = yield* step(1024)
      // the answer's length, from the credentials it held
      const size = Buffer.byteLength(
        `oauth_token=${Redacted.value(temporary.token)}&oauth_token_secret=${Redacted.value(temporary.tokenSecret)}&oauth_callback_confirmed=true`
      )
      expect((yield* step(size)).fields).toEqual({ oauth_callback_confirmed: "true" })
      const refused = yield* failure(step(size - 1))
      expect(refused).toEqual(
        new AuthError.AuthenticationFailed({
          scheme: "OAuth1.fetchRequestToken",
          reason: `${provider.requestTokenUrl} answered HTTP 200 with a body larger than ${size - 1} bytes (maxResponseBytes): not read`
        })
      )
      expect(refused.message).not.toContain(consumer.clientSecret)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("OAuth1.authorize through BrowserTest: one authorization, cached; a 401 runs it once more", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const tokens: Array<OAuth1.Credentials> = []
      const client = yield* HttpAuth.client(
        OAuth1.authorize({ ...options(provider), onToken: (c) => Effect.sync(() => tokens.push(c)) })
      )
      const first = yield* client.get(`${provider.origin}/resource/me`)
      expect(first.status).toBe(200)
      expect((yield* client.get(`${provider.origin}/resource/me`)).status).toBe(200)
      const [visit] = yield* BrowserTest.visits
      expect(visit!.url.startsWith(`${provider.authorizationUrl}?`)).toBe(true)
      expect(Object.keys(visit!.params)).toEqual(["oauth_callback", "oauth_token"])
      expect(visit!.params.oauth_callback).toMatch(/^http:\/\/localhost:\d+\/callback\?state=[\w-]{43}$/)
      expect(visit!.status).toBe(200)
      expect(tokens.map((c) => c.fields)).toEqual([
        { user_id: "42", screen_name: "alice", oauth_authorized_realms: "photos" }
      ])

      // the provider forgets the access token: one more authorization, then 200
      yield* Effect.promise(() =>
        fetch(`${provider.origin}/admin/revoke`, {
          method: "POST",
          body: JSON.stringify({ token: Redacted.value(tokens[0]!.token) })
        })
      )
      expect((yield* client.get(`${provider.origin}/resource/me`)).status).toBe(200)
      expect((yield* BrowserTest.visits).length).toBe(2)
      expect(tokens.length).toBe(2)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Base, BrowserTest.layer(BrowserTest.verifier("verifier-1"), BrowserTest.verifier("verifier-1")))
      )
    )
  )

  it.scoped("concurrent first requests authorize once; a resource that refuses the new token too is no loop", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const client = yield* HttpAuth.client(OAuth1.authorize(options(provider)))
      const responses = yield* Effect.all(
        Array.from({ length: 8 }, () => client.get(`${provider.origin}/resource/me`)),
        { concurrency: "unbounded" }
      )
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200))
      expect((yield* BrowserTest.visits).length).toBe(1)
      // 401, the credentials dropped, one more authorization, 401 again: the answer, no third try
      const denied = yield* client.get(`${provider.origin}/resource/denied`)
      expect(denied.status).toBe(401)
      expect(yield* denied.text).toBe("denied")
      expect((yield* BrowserTest.visits).length).toBe(2)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Base, BrowserTest.layer(BrowserTest.verifier("verifier-1"), BrowserTest.verifier("verifier-1")))
      )
    )
  )

  it.scoped("a refusal, another oauth_token and a wrong verifier fail typed", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const run = Effect.flatMap(HttpAuth.client(OAuth1.authorize(options(provider))), (client) =>
        failure(client.get(`${provider.origin}/resource/me`))
      )
      expect(yield* run).toMatchObject({ _tag: "OAuth1Error", problem: "user_refused" })
      expect(yield* run).toMatchObject({ _tag: "OAuth1Error", problem: "token_mismatch" })
      expect(yield* run).toMatchObject({
        _tag: "OAuth1Error",
        problem: "parameter_rejected",
        parametersRejected: ["oauth_verifier"]
      })
      const visits = yield* BrowserTest.visits
      expect(visits.map((v) => v.status)).toEqual([400, 200, 200])
      expect(visits[0]!.redirect).toContain("denied=")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          Base,
          BrowserTest.layer(
            BrowserTest.deny(),
            BrowserTest.approve({ fields: { oauth_token: "someone-elses-token" } }),
            BrowserTest.verifier("not-the-verifier")
          )
        )
      )
    )
  )

  it.live("the whole dance in headless Chromium: the provider's approval page, then the listener", () =>
    Effect.gen(function* () {
      const provider = yield* oauth1Provider({ ...config, testVerifier: undefined })
      const chromium = yield* launch
      const client = yield* HttpAuth.client(
        OAuth1.authorize({
          ...options(provider),
          signatureMethod: "HMAC-SHA256",
          // the success page stays, so the test can read it
          display: { successDisplayTime: "30 seconds" }
        })
      ).pipe(Effect.provide(chromium.layer((page) => page.click("#approve"))))
      const response = yield* client.get(`${provider.origin}/resource/me`)
      expect(response.status).toBe(200)
      // the listener answered before the browser saw the page: wait for it
      expect(yield* shown(chromium.pages[0]!, "Authentication success")).toContain("You can close this tab.")
      expect(yield* response.json).toMatchObject({ client: consumer.clientId, method: "HMAC-SHA256" })
      expect(chromium.errors).toEqual([])
      const statuses = chromium.exchanges.map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`)
      expect(statuses).toEqual(["GET /authorize 200", "POST /authorize 302", "GET /callback 200"])
    }).pipe(Effect.scoped, Effect.provide(Base))
  )
})

describe("property: what we sign, oauthlib verifies", () => {
  it.scoped("random methods, placements, URLs, queries and form bodies (one batch through one process)", () =>
    Effect.gen(function* () {
      yield* now
      const provider = yield* oauth1Provider(config)
      const text = fc.string({ unit: "grapheme", maxLength: 8 })
      const pairs = fc.array(fc.tuple(fc.oneof(fc.constantFrom("a", "b", "a b", "c%", "x+y"), text), text), {
        maxLength: 4
      })
      const cases = fc.sample(
        fc.record({
          signatureMethod: fc.constantFrom(...OAuth1.signatureMethods),
          signatureType: fc.constantFrom(...OAuth1.signatureTypes),
          method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
          host: fc.constantFrom("api.example.com", "API.Example.COM:8080", "127.0.0.1:443", "example.net:80"),
          scheme: fc.constantFrom("http", "https"),
          path: fc.array(fc.oneof(fc.constantFrom("photos", "a b", "ü", "~x", "%41"), text), { maxLength: 3 }),
          query: pairs,
          form: fc.option(pairs, { nil: undefined }),
          twoLegged: fc.boolean()
        }),
        { numRuns: 150, seed: 5849 }
      )
      const batch: Array<{ method: string; url: string; headers: Record<string, string>; body: string }> = []
      for (const c of cases) {
        const signatureType = c.signatureType === "body" && c.form === undefined ? "header" : c.signatureType
        const method = signatureType === "body" && c.method === "GET" ? "POST" : c.method
        let url: string
        const scheme = c.signatureMethod === "PLAINTEXT" ? "https" : c.scheme
        try {
          const built = new URL(`${scheme}://${c.host}/`)
          built.pathname = `/${c.path.map(encodeURIComponent).join("/")}`
          for (const [name, value] of c.query) built.searchParams.append(name, value)
          url = built.href
        } catch {
          continue
        }
        let request = HttpClientRequest.make(method as "POST")(url)
        if (c.form !== undefined) request = HttpClientRequest.bodyUrlParams(request, c.form)
        const auth = yield* OAuth1.make({
          clientId: consumer.clientId,
          ...signing(c.signatureMethod),
          ...(c.twoLegged ? {} : access),
          signatureMethod: c.signatureMethod,
          signatureType
        })
        const capture = HttpClient.make((sent, wire) =>
          Effect.sync(() => {
            const body = sent.body._tag === "Uint8Array" ? Buffer.from(sent.body.body).toString("utf8") : ""
            const headers: Record<string, string> = { ...sent.headers }
            if (sent.body._tag === "Uint8Array") headers["content-type"] = sent.body.contentType
            batch.push({ method: sent.method, url: wire.href, headers, body })
            return HttpClientResponse.fromWeb(sent, new Response("ok"))
          })
        )
        yield* auth.wrap(capture).execute(request)
      }
      expect(batch.length).toBeGreaterThan(140)
      const results = (yield* Effect.promise(() =>
        fetch(`${provider.origin}/verify`, { method: "POST", body: JSON.stringify(batch) }).then((r) => r.json())
      )) as Array<{ valid: boolean; problem: string | null; advice?: string }>
      const failed = results.flatMap((r, i) => (r.valid ? [] : [{ ...r, request: batch[i] }]))
      expect(failed).toEqual([])
    })
  )
})
