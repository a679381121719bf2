import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { HttpAuth, Okta } from "../../src/index.js"
import { TestAuthorizationServer } from "../../src/testing/index.js"

const tokenUrl = "https://dev-123.okta.com/oauth2/aus9/v1/token"

describe("Okta", () => {
  it("builds httpx-auth's token URL", () => {
    expect(Okta.tokenUrl("dev-123.okta.com")).toBe("https://dev-123.okta.com/oauth2/default/v1/token")
    expect(Okta.tokenUrl("dev-123.okta.com", "aus9")).toBe(tokenUrl)
  })

  it.scoped("clientCredentials posts to the instance's authorization server with the scope", () =>
    Effect.gen(function* () {
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      const client = yield* HttpAuth.client(
        Okta.clientCredentials({
          instance: "dev-123.okta.com",
          authorizationServer: "aus9",
          clientId: "0oa1",
          clientSecret: "secret",
          scope: ["api.read", "api.write"]
        })
      )
      expect((yield* client.get("https://api.test/x")).status).toBe(200)
      expect(yield* server.tokenRequests).toEqual([
        {
          params: { grant_type: "client_credentials", scope: "api.read api.write" },
          authorization: `Basic ${Buffer.from("0oa1:secret").toString("base64")}`
        }
      ])
    }).pipe(Effect.provide(TestAuthorizationServer.layer({ tokenUrl })))
  )

  it.scoped("password asks for openid by default, on the default server", () =>
    Effect.gen(function* () {
      const server = yield* TestAuthorizationServer.TestAuthorizationServer
      const client = yield* HttpAuth.client(
        Okta.password({
          instance: "dev-123.okta.com",
          username: "alice@example.com",
          password: "pw",
          clientId: "0oa1",
          clientSecret: "secret"
        })
      )
      yield* client.get("https://api.test/x")
      const [request] = yield* server.tokenRequests
      expect(request!.params).toEqual({
        grant_type: "password",
        username: "alice@example.com",
        password: "pw",
        scope: "openid"
      })
    }).pipe(
      Effect.provide(TestAuthorizationServer.layer({ tokenUrl: "https://dev-123.okta.com/oauth2/default/v1/token" }))
    )
  )

  it.scoped("refuses a missing scope for client credentials, and a bad instance, naming the option", () =>
    Effect.gen(function* () {
      const cases = [
        [
          Okta.clientCredentials({ instance: "dev-123.okta.com", clientId: "a", clientSecret: "s", scope: [] }),
          'Okta.clientCredentials: option "scope" is mandatory for Okta client credentials'
        ],
        [
          Okta.clientCredentials({
            instance: "https://dev-123.okta.com",
            clientId: "a",
            clientSecret: "s",
            scope: "x"
          }),
          'Okta.clientCredentials: option "instance" must be a host name such as "dev-123.okta.com", not "https://dev-123.okta.com"'
        ],
        [
          Okta.password({
            instance: "dev-123.okta.com",
            authorizationServer: "a/b",
            username: "u",
            password: "p",
            clientId: "a",
            clientSecret: "s"
          }),
          'Okta.password: option "authorizationServer" is not an authorization server id'
        ]
      ] as const
      for (const [auth, message] of cases) {
        const error = yield* Effect.flip(auth)
        expect([error._tag, error.message]).toEqual(["InvalidOptions", message])
      }
    }).pipe(Effect.provide(TestAuthorizationServer.layer()))
  )
})
