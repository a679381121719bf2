/**
 * OAuth 1.0a signing without a provider: RFC 5849's and OAuth Core 1.0's
 * vectors, the placements as they reach a loopback server, and the options
 * refused when the auth is built.
 */
import { generateKeyPairSync } from "node:crypto"
import { inspect } from "node:util"
import { HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Exit, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import * as fc from "fast-check"
import { AuthenticationFailed } from "../src/AuthError.js"
import { AuthError, HttpAuth, OAuth1, SecureRandom } from "../src/index.js"
import * as internal from "../src/internal/oauth1.js"
import { BrowserTest } from "../src/testing/index.js"
import { echo, seenOf, serve } from "./fixtures/server.js"
import { nextSleeps, sleepUntil } from "./fixtures/tokenFaults.js"

const Base = NodeHttpClient.layerUndici

// RFC 5849 section 1.2: the printer, the photos site and Jane
const printer = { clientId: "dpf43f3p2l4k3l03", clientSecret: "kd94hf93k423kf44" }
const sign = (method: string, url: string, oauth: ReadonlyArray<readonly [string, string]>, tokenSecret?: string) =>
  internal.signBaseString("HMAC-SHA1", OAuth1.signatureBaseString(method, new URL(url), oauth), {
    clientSecret: Redacted.make(printer.clientSecret),
    tokenSecret: tokenSecret === undefined ? undefined : Redacted.make(tokenSecret),
    rsaKey: undefined
  })

/** The parameters of an `Authorization: OAuth ...` value, decoded. */
const paramsOf = (header: string | undefined) =>
  Object.fromEntries(
    [...(header ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], decodeURIComponent(m[2]!)])
  ) as Record<string, string>

describe("OAuth1 vectors", () => {
  it("RFC 5849 section 1.2: the three signatures of the example", () => {
    expect(
      sign("POST", "https://photos.example.net/initiate", [
        ["oauth_consumer_key", printer.clientId],
        ["oauth_signature_method", "HMAC-SHA1"],
        ["oauth_timestamp", "137131200"],
        ["oauth_nonce", "wIjqoS"],
        ["oauth_callback", "http://printer.example.com/ready"]
      ])
    ).toBe("74KNZJeDHnMBp0EMJ9ZHt/XKycU=")
    expect(
      sign(
        "POST",
        "https://photos.example.net/token",
        [
          ["oauth_consumer_key", printer.clientId],
          ["oauth_token", "hh5s93j4hdidpola"],
          ["oauth_signature_method", "HMAC-SHA1"],
          ["oauth_timestamp", "137131201"],
          ["oauth_nonce", "walatlh"],
          ["oauth_verifier", "hfdp7dh39dks9884"]
        ],
        "hdhd0244k9j7ao03"
      )
    ).toBe("gKgrFCywp7rO0OXSjdot/IHF7IU=")
    expect(
      sign(
        "GET",
        "http://photos.example.net/photos?file=vacation.jpg&size=original",
        [
          ["oauth_consumer_key", printer.clientId],
          ["oauth_token", "nnch734d00sl2jdk"],
          ["oauth_signature_method", "HMAC-SHA1"],
          ["oauth_timestamp", "137131202"],
          ["oauth_nonce", "chapoH"]
        ],
        "pfkkdhi9sl3r4s00"
      )
    ).toBe("MdpQcU8iPSUjWoN/UDMsK2sui9I=")
  })

  it("RFC 5849 section 3.4.1.1's example (erratum 2550): query and form body, '+' a space, 'c2' an empty value", () => {
    expect(
      OAuth1.signatureBaseString(
        "post",
        new URL("http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"),
        [
          ["oauth_consumer_key", "9djdj82h48djs9d2"],
          ["oauth_token", "kkk9d7dh3k39sjv7"],
          ["oauth_signature_method", "HMAC-SHA1"],
          ["oauth_timestamp", "137131201"],
          ["oauth_nonce", "7d8f3e4a"]
        ],
        "c2&a3=2+q"
      )
    ).toBe(
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )
  })

  it("OAuth Core 1.0 appendix A.5: the base string and signature of the protected resource request", () => {
    const oauth = [
      ["oauth_consumer_key", printer.clientId],
      ["oauth_token", "nnch734d00sl2jdk"],
      ["oauth_signature_method", "HMAC-SHA1"],
      ["oauth_timestamp", "1191242096"],
      ["oauth_nonce", "kllo9940pd9333jh"],
      ["oauth_version", "1.0"]
    ] as const
    const url = "http://photos.example.net/photos?file=vacation.jpg&size=original"
    expect(OAuth1.signatureBaseString("GET", new URL(url), oauth)).toBe(
      "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
    )
    expect(sign("GET", url, oauth, "pfkkdhi9sl3r4s00")).toBe("tR3+Ty81lMeYAr/Fid0kMTYa/WM=")
  })

  it("section 3.6 percent-encoding: unreserved characters kept, UTF-8 octets in upper-case hex", () => {
    expect(OAuth1.percentEncode("Ladies + Gentlemen")).toBe("Ladies%20%2B%20Gentlemen")
    expect(OAuth1.percentEncode("An encoded string!")).toBe("An%20encoded%20string%21")
    expect(OAuth1.percentEncode("Dogs, Cats & Mice")).toBe("Dogs%2C%20Cats%20%26%20Mice")
    expect(OAuth1.percentEncode("☃")).toBe("%E2%98%83")
    expect(OAuth1.percentEncode("-._~*'()")).toBe("-._~%2A%27%28%29")
  })

  it("property: form decoding inverts section 3.6 encoding, '+' included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(internal.parseForm(`a=${OAuth1.percentEncode(text)}`)).toEqual([["a", text]])
        expect(internal.parseForm(`${OAuth1.percentEncode(text).replaceAll("%20", "+")}=1`)).toEqual([[text, "1"]])
      })
    )
  })

  it("BrowserTest.deny is OAuth 2's access_denied error reply (OAuth 1 visits turn it into denied=<token>)", () => {
    expect(BrowserTest.deny()).toEqual(BrowserTest.error("access_denied"))
    expect(BrowserTest.verifier("v")).toEqual(BrowserTest.approve({ fields: { oauth_verifier: "v" } }))
  })

  it("duplicate names sort by value", () => {
    expect(
      internal.normalizeParameters([
        ["a", "z"],
        ["a", "b"],
        ["a b", "1"],
        ["A", "x"]
      ])
    ).toBe("A=x&a=b&a=z&a%20b=1")
  })
})

describe("OAuth1.make", () => {
  const options = { clientId: "key", clientSecret: "secret", token: "tok", tokenSecret: "toksecret" }

  it.scoped("header: realm first and unsigned, every oauth parameter, a fresh nonce per request", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(OAuth1.make({ ...options, realm: "Photos" }))
      const first = yield* seenOf(yield* client.get(`${server.origin}/a`))
      const second = yield* seenOf(yield* client.get(`${server.origin}/a`))
      expect(first.headers.authorization).toMatch(
        /^OAuth realm="Photos", oauth_consumer_key="key", oauth_token="tok", /
      )
      const params = paramsOf(first.headers.authorization)
      expect(Object.keys(params)).toEqual([
        "realm",
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_version",
        "oauth_signature"
      ])
      expect(params).toMatchObject({
        oauth_signature_method: "HMAC-SHA1",
        oauth_timestamp: "1700000000",
        oauth_version: "1.0"
      })
      expect(params.oauth_nonce).toMatch(/^[0-9a-f]{30}$/)
      expect(paramsOf(second.headers.authorization).oauth_nonce).not.toBe(params.oauth_nonce)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("query: the oauth parameters after the request's own, whose order and encoding are kept", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(OAuth1.make({ ...options, signatureType: "query" }))
      const seen = yield* seenOf(yield* client.get(`${server.origin}/p?z=1&a=%7e+x&a=0`))
      expect(seen.url).toMatch(
        /^\/p\?z=1&a=%7e\+x&a=0&oauth_consumer_key=key&oauth_token=tok&oauth_signature_method=HMAC-SHA1&oauth_timestamp=0&oauth_nonce=[0-9a-f]{30}&oauth_version=1\.0&oauth_signature=[A-Za-z0-9%]+$/
      )
      expect(seen.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(Base))
  )

  it.scoped("body: added to a form body; a request without one fails, saying to use the header", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(OAuth1.make({ ...options, signatureType: "body" }))
      const seen = yield* seenOf(
        yield* client.execute(
          HttpClientRequest.post(`${server.origin}/f`).pipe(HttpClientRequest.bodyUrlParams({ b: "x y", a: "1" }))
        )
      )
      expect(seen.body).toMatch(/^b=x\+y&a=1&oauth_consumer_key=key&oauth_token=tok&.*&oauth_signature=[^&]+$/)
      expect(seen.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      const refused = yield* Effect.flip(
        client.execute(HttpClientRequest.post(`${server.origin}/f`).pipe(HttpClientRequest.bodyUnsafeJson({ a: 1 })))
      )
      expect(refused).toBeInstanceOf(AuthError.SigningError)
      expect(refused.message).toBe(
        'OAuth1.make: signatureType "body" puts the OAuth parameters in a form body (RFC 5849 section 3.5.2), and this POST request has a body of type application/json: use signatureType "header"'
      )
      expect(yield* server.seen).toHaveLength(1)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a JSON or Stream body is sent untouched; bodyHash adds its SHA-1 (a Stream read once)", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const plain = yield* HttpAuth.client(OAuth1.make(options))
      const json = yield* seenOf(
        yield* plain.execute(
          HttpClientRequest.post(`${server.origin}/j`).pipe(HttpClientRequest.bodyUnsafeJson({ a: 1 }))
        )
      )
      expect(json.body).toBe('{"a":1}')
      expect(paramsOf(json.headers.authorization).oauth_body_hash).toBeUndefined()
      const hashed = yield* HttpAuth.client(OAuth1.make({ ...options, bodyHash: true }))
      const streamed = yield* seenOf(
        yield* hashed.execute(
          HttpClientRequest.post(`${server.origin}/s`).pipe(
            HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode("Hello World!")), {
              contentType: "text/plain"
            })
          )
        )
      )
      expect(streamed.body).toBe("Hello World!")
      // the OAuth Request Body Hash draft's example: SHA-1 of "Hello World!"
      expect(paramsOf(streamed.headers.authorization).oauth_body_hash).toBe("Lve95gjOVATpfV8EL5X4nxwjKHE=")
      // a Stream that fails while it is read for the hash: a SigningError, nothing sent
      const failed = yield* Effect.flip(
        hashed.execute(
          HttpClientRequest.post(`${server.origin}/f`).pipe(HttpClientRequest.bodyStream(Stream.fail("disk gone")))
        )
      )
      expect(String(failed)).toBe("SigningError: OAuth1.make: the request's Stream body failed while it was read")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("PLAINTEXT over http is refused unless loopback or allowed (section 3.4.4)", () =>
    Effect.gen(function* () {
      const server = yield* serve(echo)
      const plaintext = yield* HttpAuth.client(OAuth1.make({ ...options, signatureMethod: "PLAINTEXT" }))
      const refused = yield* Effect.flip(plaintext.get("http://api.example.com/me"))
      expect(refused).toMatchObject({ _tag: "SigningError", scheme: "OAuth1.make" })
      expect(refused.message).toContain("RFC 5849 section 3.4.4 requires TLS")
      const loopback = yield* seenOf(yield* plaintext.get(`${server.origin}/me`))
      expect(paramsOf(loopback.headers.authorization).oauth_signature).toBe("secret&toksecret")
      const allowed = yield* HttpAuth.client(
        OAuth1.make({ ...options, signatureMethod: "PLAINTEXT", allowInsecurePlaintext: true })
      )
      const viaHost = yield* seenOf(yield* allowed.get(`http://localhost:${server.port}/me`))
      expect(paramsOf(viaHost.headers.authorization).oauth_signature).toBe("secret&toksecret")
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a 401 with an oauth_problem fails typed; a plain 401 is the response", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.url === "/plain"
          ? HttpServerResponse.text("no", { status: 401 })
          : HttpServerResponse.text("oauth_problem=token_expired&oauth_problem_advice=log+in+again", {
              status: 401,
              contentType: "application/x-www-form-urlencoded",
              headers: { "www-authenticate": 'OAuth realm="x", oauth_problem="token_expired"' }
            })
      )
      const client = yield* HttpAuth.client(OAuth1.make(options))
      const error = yield* Effect.flip(client.get(`${server.origin}/p?oauth_token=tok`))
      expect(error).toMatchObject({
        _tag: "OAuth1Error",
        problem: "token_expired",
        advice: "log in again",
        status: 401,
        endpoint: `${server.origin}/p`
      })
      expect(error.message).toBe(`OAuth 1 problem "token_expired" (HTTP 401) from ${server.origin}/p: log in again`)
      const plain = yield* client.get(`${server.origin}/plain`)
      expect(plain.status).toBe(401)
      expect(yield* plain.text).toBe("no")
    }).pipe(Effect.provide(Base))
  )

  it.effect("bad options fail when the auth is built, never showing a secret or the key", () =>
    Effect.gen(function* () {
      const refused = (o: OAuth1.Options) => Effect.flip(OAuth1.make(o))
      expect(yield* refused({ ...options, signatureMethod: "HMAC-MD5" as never })).toMatchObject({
        _tag: "InvalidOptions",
        option: "signatureMethod"
      })
      expect((yield* refused({ ...options, signatureType: "cookie" as never })).message).toBe(
        'OAuth1.make: option "signatureType" must be one of "header", "query", "body", not "cookie"'
      )
      expect((yield* refused({ clientId: "key", signatureMethod: "RSA-SHA1" })).message).toBe(
        'OAuth1.make: option "rsaKey" is needed with signatureMethod "RSA-SHA1"'
      )
      expect((yield* refused({ clientId: "key" })).option).toBe("clientSecret")
      expect((yield* refused({ clientId: "", clientSecret: "s" })).option).toBe("clientId")
      const pem = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-MATERIAL\n-----END PRIVATE KEY-----\n"
      const badKey = yield* refused({ clientId: "key", signatureMethod: "RSA-SHA256", rsaKey: Redacted.make(pem) })
      expect(badKey.message).toBe('OAuth1.make: option "rsaKey" is not a PEM private key that can be read')
      expect(inspect(badKey, { depth: 10 })).not.toContain("TOP-SECRET")
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey
      expect((yield* refused({ clientId: "key", signatureMethod: "RSA-SHA1", rsaKey: ec })).message).toBe(
        'OAuth1.make: option "rsaKey" must be an RSA private key, not ec'
      )
      expect((yield* refused({ ...options, tokenSecret: "x", token: undefined })).option).toBe("token")
      const missing = yield* Effect.flip(
        OAuth1.make({ clientId: "key", clientSecret: Config.redacted("OAUTH1_SECRET") }).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      expect(missing).toMatchObject({ _tag: "InvalidOptions", option: "clientSecret" })
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
      expect(
        Exit.isSuccess(yield* Effect.exit(OAuth1.make({ clientId: "key", signatureMethod: "RSA-SHA1", rsaKey: rsa })))
      ).toBe(true)
    })
  )

  it.scoped("authorize and the token steps refuse bad URLs when built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        OAuth1.authorize({
          clientId: "key",
          clientSecret: "s",
          requestTokenUrl: "ftp://x/request",
          authorizationUrl: "https://x/authorize",
          accessTokenUrl: "https://x/access"
        })
      )
      expect(error.message).toBe('OAuth1.authorize: option "requestTokenUrl" must be an http or https URL, not ftp:')
      expect(OAuth1.authorizationUrl("https://x/authorize?lang=en", "tok")).toBe(
        "https://x/authorize?lang=en&oauth_token=tok"
      )
    }).pipe(Effect.provide(Base))
  )

  it.scoped("fixed randomness and time give the same signature every time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000_000_000)
      const server = yield* serve(echo)
      const client = yield* HttpAuth.client(OAuth1.make(options))
      const get = client.get(`${server.origin}/x`).pipe(Effect.provide(SecureRandom.layerFixed(new Uint8Array([1]))))
      const a = yield* seenOf(yield* get)
      const b = yield* seenOf(yield* get)
      expect(a.headers.authorization).toBe(b.headers.authorization)
      expect(paramsOf(a.headers.authorization).oauth_nonce).toBe("01".repeat(15))
    }).pipe(Effect.provide(Base))
  )

  it.scoped("token steps: credentials print no secret, nor do their errors", () =>
    Effect.gen(function* () {
      const server = yield* serve((seen) =>
        seen.url === "/request"
          ? HttpServerResponse.text("oauth_token=temp&oauth_token_secret=TEMP-SECRET&oauth_callback_confirmed=true", {
              contentType: "application/x-www-form-urlencoded"
            })
          : seen.url === "/old"
            ? HttpServerResponse.text("oauth_token=temp&oauth_token_secret=TEMP-SECRET", {
                contentType: "application/x-www-form-urlencoded"
              })
            : HttpServerResponse.text("refused: oauth_token_secret=TEMP-SECRET&oauth_verifier=V-SECRET", {
                status: 401
              })
      )
      const consumer = { clientId: "key", clientSecret: "CONSUMER-SECRET" }
      const temporary = yield* OAuth1.fetchRequestToken({ ...consumer, url: `${server.origin}/request` })
      expect(Redacted.value(temporary.tokenSecret)).toBe("TEMP-SECRET")
      expect(temporary.fields).toEqual({ oauth_callback_confirmed: "true" })
      expect(inspect(temporary, { depth: 10 })).not.toContain("SECRET")
      expect(JSON.stringify(temporary)).not.toContain("SECRET")
      const [first] = yield* server.seen
      expect(paramsOf(first!.headers.authorization)).toMatchObject({ oauth_callback: "oob", oauth_consumer_key: "key" })

      const notConfirmed = yield* Effect.flip(OAuth1.fetchRequestToken({ ...consumer, url: `${server.origin}/old` }))
      expect(notConfirmed).toMatchObject({ _tag: "OAuth1Error", problem: "callback_not_confirmed" })
      expect(notConfirmed.message).toContain("RFC 5849 section 2.1")

      const refused = yield* Effect.flip(
        OAuth1.fetchAccessToken({
          ...consumer,
          signatureMethod: "PLAINTEXT",
          url: `${server.origin}/access`,
          token: "temp",
          tokenSecret: "TEMP-SECRET",
          verifier: "V-SECRET"
        })
      )
      expect(refused).toMatchObject({ _tag: "OAuth1Error", problem: "http_401", status: 401 })
      expect(refused.message).toContain("refused: oauth_token_secret=<redacted>&oauth_verifier=<redacted>")
      const unreachable = yield* Effect.flip(
        OAuth1.fetchAccessToken({
          ...consumer,
          signatureMethod: "PLAINTEXT",
          url: "http://127.0.0.1:1/access",
          token: "temp",
          tokenSecret: "TEMP-SECRET",
          verifier: "V-SECRET"
        })
      )
      expect(unreachable).toMatchObject({ _tag: "AuthenticationFailed", scheme: "OAuth1.fetchAccessToken" })
      for (const error of [notConfirmed, refused, unreachable]) {
        expect(inspect(error, { depth: 10 })).not.toMatch(/SECRET/)
      }
    }).pipe(Effect.provide(Base))
  )
})

describe("OAuth1 token steps: the one bounded send (tokenTimeout, maxResponseBytes)", () => {
  const FORM = "application/x-www-form-urlencoded"
  /** `/hang` never answers; `/endless` sends a form body that never ends; `/request` answers a request token. */
  const provider = serve((seen) => {
    const path = new URL(seen.url, "http://x").pathname
    if (path === "/hang") return Effect.never
    if (path === "/request") {
      return Effect.succeed(
        HttpServerResponse.text("oauth_token=temp&oauth_token_secret=TEMP-SECRET&oauth_callback_confirmed=true", {
          contentType: FORM
        })
      )
    }
    const endless = Stream.repeatValue(new TextEncoder().encode(`oauth_token_secret=TEMP-SECRET&${"x".repeat(4000)}&`))
    return Effect.succeed(
      HttpServerResponse.stream(endless, { status: path === "/endless-401" ? 401 : 200, contentType: FORM })
    )
  })
  // PLAINTEXT in the query: the URL of every request carries the secrets themselves
  const secrets = {
    clientId: "key",
    clientSecret: "CONSUMER-SECRET",
    signatureMethod: "PLAINTEXT",
    signatureType: "query"
  } as const
  const access = (url: string, bounds: OAuth1.TokenStepOptions = {}) =>
    OAuth1.fetchAccessToken({
      ...secrets,
      url,
      token: "temp",
      tokenSecret: "TEMP-SECRET",
      verifier: "V-SECRET",
      ...bounds
    })
  const noSecret = (error: unknown) => {
    expect(inspect(error, { depth: 10 })).not.toMatch(/SECRET/)
    expect(JSON.stringify(error)).not.toMatch(/SECRET/)
    expect(String(error)).not.toMatch(/SECRET/)
  }

  it.scoped("an answer that never ends is cut at maxResponseBytes (default 1 MiB), with the exact error", () =>
    Effect.gen(function* () {
      const server = yield* provider
      const small = yield* Effect.flip(access(`${server.origin}/endless`, { maxResponseBytes: 1024 }))
      expect(small).toEqual(
        new AuthenticationFailed({
          scheme: "OAuth1.fetchAccessToken",
          reason: `${server.origin}/endless answered HTTP 200 with a body larger than 1024 bytes (maxResponseBytes): not read`
        })
      )
      expect(small.message).toBe(
        `OAuth1.fetchAccessToken: ${server.origin}/endless answered HTTP 200 with a body larger than 1024 bytes (maxResponseBytes): not read`
      )
      // the query of the URL (oauth_signature, PLAINTEXT's secrets) is not in the error
      const byDefault = yield* Effect.flip(
        OAuth1.fetchRequestToken({ ...secrets, url: `${server.origin}/endless?lang=en` })
      )
      expect(byDefault.message).toBe(
        `OAuth1.fetchRequestToken: ${server.origin}/endless answered HTTP 200 with a body larger than 1048576 bytes (maxResponseBytes): not read`
      )
      // a refusal's body too: it is read for its problem report within the same bound
      const refused = yield* Effect.flip(access(`${server.origin}/endless-401`, { maxResponseBytes: 1024 }))
      expect(refused.message).toBe(
        `OAuth1.fetchAccessToken: ${server.origin}/endless-401 answered HTTP 401 with a body larger than 1024 bytes (maxResponseBytes): not read`
      )
      for (const error of [small, byDefault, refused]) noSecret(error)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a provider that never answers fails after tokenTimeout (default 60 seconds, on the TestClock)", () =>
    Effect.gen(function* () {
      const server = yield* provider
      const timedOut = (reason: string, scheme = "OAuth1.fetchAccessToken") =>
        new AuthenticationFailed({
          scheme,
          reason: `${reason} (tokenTimeout): check the URL, or raise tokenTimeout for a slow provider`
        })
      const fiber = yield* Effect.fork(Effect.flip(access(`${server.origin}/hang`, { tokenTimeout: "5 seconds" })))
      expect(yield* nextSleeps).toEqual([5000])
      yield* TestClock.adjust("5 seconds")
      const five = yield* Fiber.join(fiber)
      expect(five).toEqual(timedOut(`${server.origin}/hang gave no answer within 5s`))
      expect(five.message).toBe(
        `OAuth1.fetchAccessToken: ${server.origin}/hang gave no answer within 5s (tokenTimeout): check the URL, or raise tokenTimeout for a slow provider`
      )

      const start = yield* TestClock.currentTimeMillis
      const slow = yield* Effect.fork(
        Effect.flip(OAuth1.fetchRequestToken({ ...secrets, url: `${server.origin}/hang` }))
      )
      expect(yield* nextSleeps).toEqual([start + 60_000])
      yield* TestClock.adjust("60 seconds")
      const sixty = yield* Fiber.join(slow)
      expect(sixty).toEqual(timedOut(`${server.origin}/hang gave no answer within 1m`, "OAuth1.fetchRequestToken"))
      for (const error of [five, sixty]) noSecret(error)
    }).pipe(Effect.provide(Base))
  )

  it.scoped(
    "OAuth1.authorize: the request-token step within tokenTimeout, the access-token step within the bound",
    () =>
      Effect.gen(function* () {
        const server = yield* provider
        const authorize = (requestTokenUrl: string, accessTokenUrl: string, bounds: OAuth1.TokenStepOptions) =>
          Effect.flatMap(
            HttpAuth.client(
              OAuth1.authorize({
                ...secrets,
                requestTokenUrl,
                authorizationUrl: `${server.origin}/authorize`,
                accessTokenUrl,
                redirectUriPort: 0,
                ...bounds
              })
            ),
            (client) => Effect.flip(client.get(`${server.origin}/resource`))
          )
        const fiber = yield* Effect.fork(
          authorize(`${server.origin}/hang`, `${server.origin}/access`, { tokenTimeout: "5 seconds" })
        )
        // the listener waits 60 seconds for the person; the token step 5
        yield* sleepUntil(5000)
        yield* TestClock.adjust("5 seconds")
        const hung = yield* Fiber.join(fiber)
        expect(hung.message).toBe(
          `OAuth1.authorize: ${server.origin}/hang gave no answer within 5s (tokenTimeout): check the URL, or raise tokenTimeout for a slow provider`
        )
        const endless = yield* authorize(`${server.origin}/request`, `${server.origin}/endless`, {
          maxResponseBytes: 2048
        })
        expect(endless).toEqual(
          new AuthenticationFailed({
            scheme: "OAuth1.authorize",
            reason: `${server.origin}/endless answered HTTP 200 with a body larger than 2048 bytes (maxResponseBytes): not read`
          })
        )
        for (const error of [hung, endless]) noSecret(error)
        // the person did authorize: the verifier reached the access-token step
        const seen = (yield* server.seen).filter((s) => s.url.startsWith("/endless"))
        expect(seen.map((s) => new URL(s.url, "http://x").searchParams.get("oauth_verifier"))).toEqual(["V-SECRET"])
      }).pipe(Effect.provide(Layer.mergeAll(Base, BrowserTest.layer(BrowserTest.verifier("V-SECRET")))))
  )

  it.scoped("an unreachable provider: only the transport's words are kept, never the signed request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(access("http://127.0.0.1:1/access"))
      expect(error).toMatchObject({
        _tag: "AuthenticationFailed",
        scheme: "OAuth1.fetchAccessToken",
        reason: "could not reach http://127.0.0.1:1/access (Transport)"
      })
      expect(String((error as AuthenticationFailed).cause)).toMatch(/^TransportError: RequestError \(Transport\)/)
      noSecret(error)
    }).pipe(Effect.provide(Base))
  )

  it.scoped("a resource's 401 form body is read for its oauth_problem up to 1 MiB, no further", () =>
    Effect.gen(function* () {
      const server = yield* provider
      const client = yield* HttpAuth.client(OAuth1.make({ ...secrets, token: "tok", tokenSecret: "TOKEN-SECRET" }))
      const error = yield* Effect.flip(client.get(`${server.origin}/endless-401`))
      expect(error).toEqual(
        new AuthenticationFailed({
          scheme: "OAuth1.make",
          reason: `${server.origin}/endless-401 answered HTTP 401 with a form body larger than 1048576 bytes: not read for its oauth_problem`
        })
      )
      noSecret(error)
    }).pipe(Effect.provide(Base))
  )

  it.effect("bad bounds fail when built, with InvalidOptions", () =>
    Effect.gen(function* () {
      const url = "http://127.0.0.1:1/access"
      const messages = [
        (yield* Effect.flip(access(url, { tokenTimeout: 0 }))).message,
        (yield* Effect.flip(access(url, { tokenTimeout: "soon" as never }))).message,
        (yield* Effect.flip(access(url, { maxResponseBytes: 0 }))).message,
        (yield* Effect.flip(OAuth1.fetchRequestToken({ ...secrets, url, maxResponseBytes: 1.5 }))).message
      ]
      expect(messages).toEqual([
        'OAuth1.fetchAccessToken: option "tokenTimeout" must be more than 0',
        'OAuth1.fetchAccessToken: option "tokenTimeout" is not a Duration',
        'OAuth1.fetchAccessToken: option "maxResponseBytes" must be a whole number of bytes from 1 up, not 0',
        'OAuth1.fetchRequestToken: option "maxResponseBytes" must be a whole number of bytes from 1 up, not 1.5'
      ])
    }).pipe(Effect.provide(Base))
  )
})
