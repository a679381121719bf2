/**
 * The WWW-Authenticate parser and the response computation, on fixed inputs
 * (RFC 2617 section 3.5, RFC 7616 section 3.9) and fast-check properties.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import { parseChallenges, parseParams, renderChallenge } from "../src/internal/challenge.js"
import {
  authorization,
  chooseChallenge,
  type DigestChallenge,
  readChallenge,
  response
} from "../src/internal/digest.js"

const right = <A>(either: Either.Either<A, string>) => {
  if (Either.isLeft(either)) throw new Error(either.left)
  return either.right
}

describe("WWW-Authenticate parser", () => {
  it("reads several challenges in one header, tokens, quoted strings with escaped quotes and commas, token68", () => {
    const header =
      'Newauth realm="apps", type=1, title="Login to \\"apps\\", please", Basic realm="simple", Negotiate abc+/==, DIGEST REALM="x", Nonce=abc, qop="auth,auth-int", unknown-param="u"'
    expect(right(parseChallenges(header))).toEqual([
      { scheme: "Newauth", params: { realm: "apps", type: "1", title: 'Login to "apps", please' } },
      { scheme: "Basic", params: { realm: "simple" } },
      { scheme: "Negotiate", params: {}, token68: "abc+/==" },
      { scheme: "DIGEST", params: { realm: "x", nonce: "abc", qop: "auth,auth-int", "unknown-param": "u" } }
    ])
  })

  it("reads several header values, empty list elements and a scheme alone", () => {
    expect(right(parseChallenges(["Basic", ' , Digest realm="a" , nonce="n",, ']))).toEqual([
      { scheme: "Basic", params: {} },
      { scheme: "Digest", params: { realm: "a", nonce: "n" } }
    ])
    expect(right(parseChallenges(""))).toEqual([])
  })

  it("says what it could not read", () => {
    expect(parseChallenges('Digest realm="open')).toEqual(
      Either.left(
        'the quoted value of parameter "realm" that starts at character 14 of the WWW-Authenticate header is not closed'
      )
    )
    expect(parseChallenges('Digest nonce="n", realm=, qop=auth')).toEqual(
      Either.left('parameter "realm" has no value at character 25 of the WWW-Authenticate header')
    )
    // by the grammar, a lone `realm=` right after the scheme is token68, and then `nonce=n` is no challenge
    expect(parseChallenges("Digest realm=, nonce=n")).toEqual(
      Either.left('expected a space or "," after scheme "nonce" at character 21 of the WWW-Authenticate header')
    )
    expect(parseChallenges('Digest realm="a" nonce="n"')).toEqual(
      Either.left('expected "," after parameter "realm" at character 18 of the WWW-Authenticate header')
    )
    expect(parseChallenges('"Digest"')).toEqual(
      Either.left('expected an authentication scheme at character 1 of the WWW-Authenticate header, found "\\""')
    )
    expect(parseChallenges("Digest@ realm=a")).toEqual(
      Either.left('expected a space or "," after scheme "Digest" at character 7 of the WWW-Authenticate header')
    )
  })

  it("reads Authentication-Info parameters", () => {
    expect(right(parseParams('nextnonce="abc", qop=auth, rspauth="x"'))).toEqual({
      nextnonce: "abc",
      qop: "auth",
      rspauth: "x"
    })
    expect(Either.isLeft(parseParams('nextnonce="abc'))).toBe(true)
  })

  it("never throws on arbitrary strings (fast-check)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.array(fc.string())), (header) => {
        const parsed = parseChallenges(header)
        if (Either.isRight(parsed)) for (const challenge of parsed.right) chooseChallenge([challenge])
      }),
      { numRuns: 2000 }
    )
    // strings built from the grammar's own characters reach deeper
    const piece = fc.constantFrom("Digest", " ", ",", "=", '"', "\\", "realm", "nonce", "abc", "==", "\t", "qop")
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        parseChallenges(pieces.join(""))
      }),
      { numRuns: 2000 }
    )
  })

  it("reads back the challenges it renders (fast-check)", () => {
    const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/)
    const challenge = fc.record({
      scheme: token,
      params: fc
        .uniqueArray(fc.tuple(token, fc.string({ maxLength: 20 })), {
          selector: ([name]) => name.toLowerCase(),
          minLength: 1,
          maxLength: 5
        })
        .map((entries) => Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), value])))
    })
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (challenges) => {
        const header = challenges.map(renderChallenge).join(", ")
        expect(right(parseChallenges(header))).toEqual(challenges)
      }),
      { numRuns: 1000 }
    )
  })
})

describe("Digest response", () => {
  it("gives RFC 2617 section 3.5's response", () => {
    const challenge = right(
      readChallenge(
        right(
          parseChallenges(
            'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
          )
        )[0]!
      )
    )
    const answer = {
      username: "Mufasa",
      password: "Circle Of Life",
      method: "GET",
      uri: "/dir/index.html",
      nc: 1,
      cnonce: "0a4f113b",
      body: new Uint8Array(0)
    }
    expect(response(challenge, answer)).toBe("6629fae49393a05397450978507c4ef1")
    expect(authorization(challenge, answer)).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", uri="/dir/index.html", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", nc=00000001, cnonce="0a4f113b", qop=auth, response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
  })

  it("RFC 7616 section 3.9.2's input: username* and userhash for a non-ASCII username", () => {
    const challenge: DigestChallenge = {
      realm: "api@example.org",
      nonce: "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
      opaque: "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS",
      algorithm: "SHA-512-256",
      algorithmSent: true,
      qop: "auth",
      stale: false,
      userhash: false
    }
    const answer = {
      username: "J\u00e4s\u00f8n Doe",
      password: "Secret, or not?",
      method: "GET",
      uri: "/doe.json",
      nc: 1,
      cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
      body: new Uint8Array(0)
    }
    const header = authorization(challenge, answer)
    expect(header).toContain("username*=UTF-8''J%C3%A4s%C3%B8n%20Doe")
    expect(header).not.toContain('username="')
    // SHA-512/256 of "Jäsøn Doe:api@example.org" in UTF-8, as Python's hashlib.new("sha512_256") gives it
    // (the hash printed in the RFC's example matches no encoding of that input)
    const hashed = authorization({ ...challenge, userhash: true }, answer)
    expect(hashed).toContain('username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"')
    expect(hashed).toContain("userhash=true")
  })

  it("answers with one qop, never the list, and the RFC 2069 form without qop", () => {
    const read = (header: string) => right(readChallenge(right(parseChallenges(header))[0]!))
    expect(read('Digest realm="r", nonce="n", qop="auth-int, auth"').qop).toBe("auth")
    expect(read('Digest realm="r", nonce="n", qop="auth-int"').qop).toBe("auth-int")
    expect(read('Digest realm="r", nonce="n", qop=""').qop).toBeUndefined()
    const plain = read('Digest realm="r", nonce="n"')
    const header = authorization(plain, {
      username: "u",
      password: "p",
      method: "GET",
      uri: "/",
      nc: 1,
      cnonce: "c",
      body: new Uint8Array(0)
    })
    expect(header).not.toMatch(/qop|nc=|cnonce|algorithm/)
    expect(readChallenge(right(parseChallenges('Digest realm="r", nonce="n", qop="auth-conf"'))[0]!)).toEqual(
      Either.left('qop "auth-conf" offers neither "auth" nor "auth-int"')
    )
    expect(readChallenge(right(parseChallenges('Digest nonce="n"'))[0]!)).toEqual(
      Either.left('the challenge has no "realm"')
    )
    expect(chooseChallenge(right(parseChallenges('Basic realm="r"')))).toBeUndefined()
  })

  it("the Authorization value reads back with the parser, any username and uri carried exactly (fast-check)", () => {
    const challenge = fc.record({
      realm: fc.string({ maxLength: 20 }),
      nonce: fc.string({ maxLength: 20 }),
      opaque: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      algorithm: fc.constantFrom(
        "MD5",
        "MD5-sess",
        "SHA-256",
        "SHA-256-sess",
        "SHA-512-256",
        "SHA-512-256-sess" as const
      ),
      algorithmSent: fc.boolean(),
      qop: fc.constantFrom("auth" as const, "auth-int" as const, undefined),
      stale: fc.constant(false),
      userhash: fc.boolean()
    })
    const answer = fc.record({
      username: fc.string({ unit: "grapheme", maxLength: 12 }),
      password: fc.string({ maxLength: 12 }),
      method: fc.constantFrom("GET", "POST"),
      uri: fc.webPath(),
      nc: fc.integer({ min: 1, max: 0xffffffff }),
      cnonce: fc.base64String({ minLength: 4, maxLength: 44 }),
      body: fc.uint8Array({ maxLength: 16 })
    })
    fc.assert(
      fc.property(challenge, answer, (challenge, answer) => {
        const header = authorization(challenge as DigestChallenge, answer)
        const [read] = right(parseChallenges(header, "Authorization header"))
        const params = read!.params
        expect(read!.scheme).toBe("Digest")
        expect(params.response).toBe(response(challenge as DigestChallenge, answer))
        expect([params.realm, params.nonce, params.uri, params.opaque]).toEqual([
          challenge.realm,
          challenge.nonce,
          answer.uri,
          challenge.opaque
        ])
        if (challenge.userhash) expect(params.userhash).toBe("true")
        else if (params.username !== undefined) expect(params.username).toBe(answer.username)
        else expect(decodeURIComponent(params["username*"]!.replace(/^UTF-8''/, ""))).toBe(answer.username)
        expect(params.qop).toBe(challenge.qop)
      }),
      { numRuns: 500 }
    )
  })
})
