/**
 * The compliance hooks `tokenRequest` and `tokenResponse` (Authlib's
 * `register_compliance_hook`), on the one options core: every grant that
 * makes a token request takes them. The two documented cases: a token
 * nested under `data`, and `expires` instead of `expires_in`.
 */
import { HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { HttpAuth, OAuth2, type Token } from "../src/index.js"
import { echo, serve } from "./fixtures/server.js"

const NOW = 1_700_000_000_000

/** A token endpoint that answers `body` to every POST, and an API that echoes. */
const endpoint = (body: unknown) =>
  Effect.gen(function* () {
    const token = yield* serve(() => HttpServerResponse.unsafeJson(body))
    const api = yield* serve(echo)
    return { tokenUrl: `${token.origin}/token`, token, api }
  })

describe("compliance hooks", () => {
  it.scoped("tokenResponse: a token nested under data is lifted out before it is read", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const { tokenUrl, api } = yield* endpoint({
        code: 0,
        data: { access_token: "nested-token", token_type: "bearer", expires_in: 120 }
      })
      const tokens: Array<Token.Token> = []
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl,
          clientId: "app",
          clientSecret: "s",
          tokenResponse: (fields, response) =>
            response.status === 200 && typeof fields.data === "object" && fields.data !== null
              ? (fields.data as Record<string, unknown>)
              : fields,
          onToken: (token) => Effect.sync(() => tokens.push(token))
        })
      )
      const response = yield* client.get(`${api.origin}/me`)
      expect(((yield* response.json) as { headers: Record<string, string> }).headers.authorization).toBe(
        "Bearer nested-token"
      )
      expect([Redacted.value(tokens[0]!.accessToken), tokens[0]!.expiresAt]).toEqual(["nested-token", NOW + 120_000])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("tokenResponse: expires instead of expires_in is renamed, so the token expires when the server says", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const { tokenUrl, api } = yield* endpoint({ access_token: "t", token_type: "Bearer", expires: "90" })
      const tokens: Array<Token.Token> = []
      const build = (hook: boolean) =>
        HttpAuth.client(
          OAuth2.password({
            tokenUrl,
            username: "alice",
            password: "pw",
            clientId: "cli",
            ...(hook
              ? {
                  tokenResponse: ({ expires, ...fields }: Record<string, unknown>) =>
                    expires === undefined ? fields : { ...fields, expires_in: expires }
                }
              : {}),
            onToken: (token) => Effect.sync(() => tokens.push(token))
          })
        )
      yield* Effect.flatMap(build(false), (client) => client.get(`${api.origin}/`))
      yield* Effect.flatMap(build(true), (client) => client.get(`${api.origin}/`))
      // without the hook, the default lifetime (1 hour); with it, the server's 90 s
      expect(tokens.map((token) => token.expiresAt - NOW)).toEqual([3_600_000, 90_000])
      expect(tokens[1]!.fields).toEqual({ token_type: "Bearer", expires_in: "90" })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("tokenRequest: adjusts the form and headers after client authentication", () =>
    Effect.gen(function* () {
      const { tokenUrl, token, api } = yield* endpoint({ access_token: "t", expires_in: 60 })
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl,
          clientId: "app",
          clientSecret: "s",
          clientAuth: "client_secret_post",
          // a provider that wants the client id in a header of its own and the form without it
          tokenRequest: ({ params: { client_id, ...params }, ...request }) => ({
            ...request,
            params: { ...params, resource: "https://api.example" },
            headers: { ...request.headers, "x-client-id": client_id ?? "" }
          })
        })
      )
      yield* client.get(`${api.origin}/`)
      const [seen] = yield* token.seen
      expect(seen!.body).toBe("grant_type=client_credentials&client_secret=s&resource=https%3A%2F%2Fapi.example")
      expect(seen!.headers["x-client-id"]).toBe("app")
      expect(seen!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scoped("a hook that throws is AuthenticationFailed naming the hook, never quoting the answer", () =>
    Effect.gen(function* () {
      const { tokenUrl, api } = yield* endpoint({ access_token: "secret-token-value" })
      const client = yield* HttpAuth.client(
        OAuth2.clientCredentials({
          tokenUrl,
          clientId: "app",
          clientSecret: "s",
          tokenResponse: (fields) => {
            throw new TypeError(`cannot read ${JSON.stringify(fields)}`)
          }
        })
      )
      const error = yield* Effect.flip(client.get(`${api.origin}/`))
      expect(error._tag).toBe("AuthenticationFailed")
      expect(error.message).toBe("TokenEndpoint: the tokenResponse hook threw TypeError")
      expect(JSON.stringify(error)).not.toContain("secret-token-value")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
})
