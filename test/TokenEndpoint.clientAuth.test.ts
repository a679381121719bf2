import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { ClientAuth } from "../src/index.js"

const request = { tokenUrl: "https://issuer.test/token", params: { grant_type: "client_credentials" }, headers: {} }

describe("ClientAuth", () => {
  it("client_secret_basic: any id and secret come back from the header (RFC 6749 section 2.3.1)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (id, secret) => {
        const applied = Effect.runSync(ClientAuth.clientSecretBasic(id, Redacted.make(secret)).apply(request))
        const decoded = Buffer.from(applied.headers.authorization!.replace(/^Basic /, ""), "base64").toString("utf8")
        // form-urlencoding leaves no ":" in either part, so the first ":" splits them
        const colon = decoded.indexOf(":")
        const formDecode = (value: string) => new URLSearchParams(`v=${value}`).get("v")
        expect([formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))]).toEqual([id, secret])
        expect(applied.params).toEqual(request.params)
      })
    )
  })

  it("client_secret_post and none add form fields, and keep the grant's", () => {
    const post = Effect.runSync(ClientAuth.clientSecretPost("a", Redacted.make("s")).apply(request))
    expect([post.params, post.headers]).toEqual([
      { grant_type: "client_credentials", client_id: "a", client_secret: "s" },
      {}
    ])
    const none = Effect.runSync(ClientAuth.none("cli").apply(request))
    expect(none.params).toEqual({ grant_type: "client_credentials", client_id: "cli" })
    expect(ClientAuth.fromMethod("client_secret_basic", "a", undefined).method).toBe("none")
  })
})
