import { describe, expect, it } from "@effect/vitest"
import { Either, Option, Redacted, Schema } from "effect"
import fc from "fast-check"
import { parseBody } from "../src/internal/tokenResponse.js"
import { Token } from "../src/index.js"
import { jwt } from "./fixtures/tokenFaults.js"

describe("Token.fromResponse", () => {
  it("takes expires_in as a number or a numeric string", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 10 ** 12 }),
        (n, asText, now) => {
          const token = Token.fromResponse({ access_token: "a", expires_in: asText ? String(n) : n }, now)
          // clamped to a year (issue 13 item 10)
          expect(token.expiresAt).toBe(now + Math.min(n, Token.maxLifetimeSeconds) * 1000)
        }
      )
    )
  })

  it("falls back to the JWT exp, then to the default lifetime; a bad expires_in counts as none", () => {
    expect(Token.fromResponse({ access_token: jwt({ exp: 100 }) }, 40_000).expiresAt).toBe(100_000)
    expect(Token.fromResponse({ access_token: jwt({ exp: 10 }) }, 40_000).expiresAt).toBe(40_000)
    expect(Token.fromResponse({ access_token: "opaque" }, 0).expiresAt).toBe(3_600_000)
    expect(
      Token.fromResponse({ access_token: "opaque", expires_in: "soon" }, 0, { defaultLifetime: 0 }).expiresAt
    ).toBe(0)
    expect(
      Token.fromResponse({ access_token: "a.b.c", expires_in: -5 }, 0, { defaultLifetime: "1 minute" }).expiresAt
    ).toBe(60_000)
  })

  it("compares token_type case-insensitively, keeps secrets Redacted and out of fields", () => {
    const token = Token.fromResponse(
      { access_token: "at", token_type: "BEARER", refresh_token: "rt", id_token: "it", scope: "a b", extra: 1 },
      0
    )
    expect(token.tokenType).toBe("Bearer")
    expect(Token.fromResponse({ access_token: "at", token_type: "DPoP" }, 0).tokenType).toBe("DPoP")
    expect(token.fields).toEqual({ token_type: "BEARER", scope: "a b", extra: 1 })
    expect([Redacted.value(token.refreshToken!), Redacted.value(token.idToken!)]).toEqual(["rt", "it"])
    expect(String(token.accessToken)).toBe("<redacted>")
    expect(JSON.stringify(token)).not.toContain('"at"')
  })

  it("round-trips through the cache's JSON form", () => {
    const token = Token.fromResponse({ access_token: "at", refresh_token: "rt", expires_in: 5, scope: "s" }, 1000)
    const json = Schema.encodeSync(Token.TokenFromJson)(token)
    const back = Schema.decodeSync(Token.TokenFromJson)(json)
    expect([Redacted.value(back.accessToken), Redacted.value(back.refreshToken!), back.expiresAt, back.scope]).toEqual([
      "at",
      "rt",
      6000,
      "s"
    ])
  })

  it("isExpired: earlyExpiry before expiresAt, 0 means 0", () => {
    const token = Token.fromResponse({ access_token: "a", expires_in: 60 }, 0)
    expect(Token.isExpired(token, 29_999)).toBe(false)
    expect(Token.isExpired(token, 30_000)).toBe(true)
    expect(Token.isExpired(token, 59_999, 0)).toBe(false)
    expect(Token.isExpired(token, 60_000, 0)).toBe(true)
  })

  it("keepRefreshToken keeps the old refresh token only when the new token has none", () => {
    const old = Token.fromResponse({ access_token: "a", refresh_token: "r-old" }, 0)
    const without = Token.fromResponse({ access_token: "b" }, 0)
    const withOwn = Token.fromResponse({ access_token: "c", refresh_token: "r-new" }, 0)
    expect(Redacted.value(Token.keepRefreshToken(without, old).refreshToken!)).toBe("r-old")
    expect(Redacted.value(Token.keepRefreshToken(withOwn, old).refreshToken!)).toBe("r-new")
  })

  it("jwtExpiry reads exp only from a well-formed JWT", () => {
    expect(Token.jwtExpiry(jwt({ exp: 5 }))).toEqual(Option.some(5))
    for (const bad of ["", "a.b", "a.b.c", jwt({ exp: "5" }), `x.${Buffer.from("null").toString("base64url")}.y`]) {
      expect(Token.jwtExpiry(bad)).toEqual(Option.none())
    }
  })
})

describe("token response bodies", () => {
  const fields = fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { minKeys: 1 })

  it("reads any form body back to its fields, whatever the content type", () => {
    fc.assert(
      fc.property(
        fields,
        fc.constantFrom("application/x-www-form-urlencoded", "text/plain", "text/html", ""),
        (f, type) => {
          const body = new URLSearchParams(f).toString()
          expect(parseBody(body, type)).toEqual(Either.right(Object.fromEntries(new URLSearchParams(body))))
        }
      )
    )
  })

  it("reads any JSON object back to its fields", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((key) => key !== "__proto__"),
          fc.jsonValue()
        ),
        (f) => {
          const parsed = parseBody(JSON.stringify(f), "application/json")
          expect(Either.map(parsed, (p) => JSON.stringify(p))).toEqual(
            Either.right(JSON.stringify(JSON.parse(JSON.stringify(f))))
          )
        }
      )
    )
  })

  it("never throws on any text, and refuses HTML, arrays and empty bodies", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, type) => {
        parseBody(text, type)
      })
    )
    expect(parseBody("<html>x=1</html>", "text/html")).toEqual(Either.left("the body is neither JSON nor a form"))
    expect(parseBody("[1]", "application/json")).toEqual(Either.left("the body is not a JSON object"))
    expect(parseBody("  ", "text/plain")).toEqual(Either.left("the body is empty"))
    // Schema drops a "__proto__" key rather than set the prototype
    expect(parseBody('{"__proto__": {"x": 1}, "a": 2}', "application/json")).toEqual(Either.right({ a: 2 }))
  })
})
