/**
 * Testing a program that uses effect-http-auth, with the test kit: no
 * network, no authorization server, no secret.
 *
 *   npx tsx examples/testing.ts
 *
 * In a real suite these are @effect/vitest tests (`it.effect(...)`); here they
 * run as a script and print what they checked.
 */
import { strict as assert } from "node:assert"
import { HttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { createToken, MockAuth, TestAuthorizationServer } from "effect-http-auth/testing"

// The program under test: fetches the user's profile.
const fetchProfile = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("https://api.test/me"))

// 1. Stand in for the real auth layer and assert that the call was authenticated.
const withMockAuth = Effect.gen(function* () {
  yield* fetchProfile
  const [request] = yield* MockAuth.requests
  assert.equal(request?.scheme, "oauth2")
  assert.equal(request?.url, "https://api.test/me")
  yield* Console.log(`MockAuth: GET ${request?.url} was authenticated with ${request?.scheme}`)
}).pipe(Effect.provide(MockAuth.layer("oauth2").pipe(Layer.provide(TestAuthorizationServer.layer()))))

// 2. A JWT for a test, expiring on the Clock.
const withToken = Effect.gen(function* () {
  const jwt = yield* createToken({ expiresIn: "5 minutes", claims: { sub: "alice" } })
  const payload = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString())
  assert.equal(payload.sub, "alice")
  yield* Console.log(`createToken: sub=${payload.sub}, lives ${payload.exp - payload.iat} s`)
})

NodeRuntime.runMain(Effect.zipRight(withMockAuth, withToken))
