/**
 * fast-check runs, seeded, over every parser and every token response shape:
 * no input may throw (a defect), and what comes out must be printable,
 * storable and sendable. Each run prints its figures.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, Redacted, Schedule, Schema } from "effect"
import * as fc from "fast-check"
import { Token, TokenEndpoint } from "../../src/index.js"
import { parseChallenges, parseParams } from "../../src/internal/challenge.js"
import { authorization, chooseChallenge } from "../../src/internal/digest.js"
import { parseNetRc } from "../../src/internal/netrc.js"
import { isHeaderValue } from "../../src/internal/options.js"
import { parseIni } from "../../src/internal/sigv4Ini.js"
import { errorOf, errorOfBody, parseBody } from "../../src/internal/tokenResponse.js"

const runs = 10_000
const seed = 13

/** Runs `property` `runs` times; a throw is a defect. Gives the inputs tried. */
const check = <A>(name: string, arbitrary: fc.Arbitrary<A>, property: (input: A) => void, numRuns = runs) => {
  let tried = 0
  fc.assert(
    fc.property(arbitrary, (input) => {
      tried++
      property(input)
    }),
    { numRuns, seed }
  )
  console.log(`fuzz ${name}: ${tried} inputs, 0 defects`)
  return tried
}

// what a transport delivers in a header: field-value characters (SP to ~, obs-text), as Latin-1
const fieldText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
    .map((c) => String.fromCharCode(c))
})
const piece = (...words: Array<string>) => fc.oneof(fc.constantFrom(...words), fieldText)

describe("fuzz: every parser (issue 13 security suite)", () => {
  it("WWW-Authenticate and Digest: never throws, and every answer it builds is a sendable header value", () => {
    const header = fc.oneof(
      fieldText,
      fc
        .array(
          piece(
            "Digest",
            "Basic",
            " ",
            ",",
            "=",
            '"',
            "\\",
            "realm",
            "nonce",
            "qop",
            "auth",
            "auth-int",
            "algorithm",
            "SHA-256",
            "MD5-sess",
            "opaque",
            "userhash",
            "true",
            "stale",
            "\t"
          ),
          { maxLength: 40 }
        )
        .map((pieces) => pieces.join("")),
      fc
        .record({
          realm: fieldText,
          nonce: fieldText,
          opaque: fieldText,
          qop: fc.constantFrom("auth", "auth-int", "auth,auth-int", "")
        })
        .map(({ realm, nonce, opaque, qop }) => {
          const q = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`
          return `Digest realm=${q(realm)}, nonce=${q(nonce)}, opaque=${q(opaque)}, qop=${q(qop)}, algorithm=SHA-256`
        })
    )
    let answered = 0
    check("WWW-Authenticate/Digest", fc.tuple(header, fc.string({ maxLength: 12 })), ([text, username]) => {
      parseParams(text)
      const parsed = parseChallenges(text)
      if (Either.isLeft(parsed)) return
      const chosen = chooseChallenge(parsed.right)
      if (chosen === undefined || Either.isLeft(chosen)) return
      const value = authorization(chosen.right, {
        username,
        password: "pw",
        method: "GET",
        uri: "/a?b=c",
        nc: 1,
        cnonce: "Y24=",
        body: new Uint8Array()
      })
      answered++
      expect(isHeaderValue(value)).toBe(true)
    })
    expect(answered).toBeGreaterThan(1000)
  })

  it(".netrc and the AWS INI files: never throw", () => {
    const netrcText = fc.oneof(
      fc.string(),
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              "machine",
              "default",
              "login",
              "password",
              "account",
              "macdef",
              "#",
              "\n",
              "\n\n",
              " ",
              "\t",
              '"',
              "\\",
              "host.test"
            ),
            fc.string({ maxLength: 8 })
          ),
          { maxLength: 40 }
        )
        .map((pieces) => pieces.join(" "))
    )
    check(".netrc", netrcText, (text) => {
      const parsed = parseNetRc(text)
      // an error never quotes a token's text
      if (Either.isLeft(parsed)) expect(typeof parsed.left.line).toBe("number")
    })
    const iniText = fc.oneof(
      fc.string(),
      fc
        .array(
          fc.oneof(
            fc.constantFrom("[default]", "[profile x]", "=", "\n", "#", ";", "aws_access_key_id", " "),
            fc.string({ maxLength: 8 })
          ),
          {
            maxLength: 30
          }
        )
        .map((pieces) => pieces.join(""))
    )
    check("AWS INI", iniText, (text) => {
      parseIni(text)
    })
  })
})

/** A client that answers every request with `body`, in memory: the real decoding path, no socket. */
const answering = (status: number, body: string, contentType: string) =>
  HttpClient.make((request) =>
    Effect.succeed(
      HttpClientResponse.fromWeb(request, new Response(body, { status, headers: { "content-type": contentType } }))
    )
  )

/** JSON values as hostile as a token endpoint can make them: deep, wide, odd numbers and strings. */
const hostileJson = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.double(),
    fc.constantFrom(1e306, -1, 0, Number.MAX_SAFE_INTEGER, "1e306", "", "60", null, true),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4 })
  )
})).value

const tokenResponse = fc.record(
  {
    access_token: fc.oneof(fc.string(), fc.constantFrom("a\u0001b", "tok€en", "", "x".repeat(5000)), hostileJson),
    token_type: fc.oneof(fc.constantFrom("Bearer", "bearer", "mac"), hostileJson),
    expires_in: fc.oneof(fc.integer(), fc.constantFrom(1e306, -5, "1e306", "60", "x"), hostileJson),
    refresh_token: fc.oneof(fc.string(), hostileJson),
    scope: fc.oneof(fc.string(), hostileJson),
    error: fc.oneof(fc.constantFrom("invalid_grant", "slow_down"), hostileJson),
    error_description: fc.oneof(fc.string(), hostileJson),
    extra: hostileJson
  },
  { requiredKeys: [] }
)

/** A nesting deep enough to make JSON.stringify throw, built as text. */
const deepText = fc
  .integer({ min: 1, max: 3 })
  .map((n) => `{"access_token":"t","p":${"[".repeat(n * 4000)}${"]".repeat(n * 4000)}}`)

describe("fuzz: every token response shape through TokenEndpoint.request (issue 13 items 1, 2, 10)", () => {
  it("never a defect; a Token that can be stored and sent, or a typed error that can be printed", async () => {
    const shape = fc.record({
      status: fc.constantFrom(200, 200, 200, 400, 401, 500),
      body: fc.oneof(
        tokenResponse.map((fields) => JSON.stringify(fields)),
        deepText,
        fc.string(),
        tokenResponse.map((fields) =>
          new URLSearchParams(
            Object.entries(fields).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])
          ).toString()
        )
      ),
      contentType: fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "")
    })
    const encode = Schema.encodeEither(Token.TokenFromJson)
    let tokens = 0
    let errors = 0
    let tried = 0
    await fc.assert(
      fc.asyncProperty(shape, async ({ status, body, contentType }) => {
        tried++
        const exit = await Effect.runPromiseExit(
          TokenEndpoint.request(answering(status, body, contentType), {
            tokenUrl: "http://127.0.0.1:9/token",
            params: { grant_type: "client_credentials" },
            retry: Schedule.stop
          })
        )
        if (Exit.isSuccess(exit)) {
          tokens++
          const token = exit.value
          expect(Number.isFinite(token.expiresAt)).toBe(true)
          expect(isHeaderValue(Redacted.value(token.accessToken))).toBe(true)
          expect(Either.isRight(encode(token))).toBe(true)
          JSON.stringify(token)
        } else {
          expect(exit.cause._tag, Cause.pretty(exit.cause)).toBe("Fail")
          errors++
          const error = (exit.cause as { error: Error }).error
          JSON.stringify(error)
          String(error)
          expect(error.message.length).toBeLessThan(4000)
        }
      }),
      // each run builds a web Response and reads it as a stream: 2,000 fit the suite's time budget
      // (10,000 took 38 s on this 2-core machine); the pieces below run 10,000
      { numRuns: 2_000, seed }
    )
    console.log(`fuzz token responses: ${tried} inputs, ${tokens} tokens, ${errors} typed errors, 0 defects`)
  })

  it("the pieces alone: parseBody, errorOf, errorOfBody, Token.fromResponse on any fields", () => {
    check("token response pieces", fc.tuple(hostileJson, fc.string()), ([value, text]) => {
      const fields =
        typeof value === "object" && value !== null && !Array.isArray(value)
          ? (value as Record<string, unknown>)
          : { v: value }
      JSON.stringify(errorOf(fields, 400, "access_token"))
      JSON.stringify(errorOfBody(500, text))
      parseBody(text, "application/json")
      const token = Token.fromResponse({ ...fields, access_token: "t" }, 0)
      expect(Number.isFinite(token.expiresAt)).toBe(true)
      JSON.stringify(token)
    })
  })
})
