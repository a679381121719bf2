/**
 * The test kit's DeviceTest: a program on the device grant tested under TestClock, approved or denied
 * after N polls, without waiting.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import type { AuthError } from "../../src/index.js"
import { HttpAuth, OAuth2 } from "../../src/index.js"
import { DeviceTest, TestAuthorizationServer } from "../../src/testing/index.js"

const deviceAuth = OAuth2.deviceCode({
  deviceAuthorizationUrl: "https://auth.test/device",
  tokenUrl: "https://auth.test/token",
  clientId: "tv"
})

describe("DeviceTest", () => {
  it.scoped("approves after 3 polls: the program gets its answer once the clock is moved", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(deviceAuth)
      const call = yield* Effect.fork(client.get("https://api.test/me"))
      yield* TestClock.adjust("1 minute")
      const response = yield* Fiber.join(call)
      expect(response.status).toBe(200)
      expect(yield* DeviceTest.prompts).toEqual([
        {
          userCode: "TEST-CODE",
          verificationUri: "https://auth.test/activate",
          verificationUriComplete: undefined,
          expiresIn: Duration.seconds(600)
        }
      ])
      const requests = yield* Effect.flatMap(TestAuthorizationServer.TestAuthorizationServer, (s) => s.tokenRequests)
      expect(requests.map((r) => r.params)).toEqual(
        Array.from({ length: 4 }, () => ({
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
          device_code: "test-device-code",
          client_id: "tv"
        }))
      )
    }).pipe(Effect.provide(DeviceTest.layer({ polls: 3 })))
  )

  it.scoped("denies after 1 poll: access_denied", () =>
    Effect.gen(function* () {
      const client = yield* HttpAuth.client(deviceAuth)
      const call = yield* Effect.fork(Effect.flip(client.get("https://api.test/me")))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(call)
      expect(error._tag).toBe("OAuth2Error")
      expect((error as AuthError.OAuth2Error).error).toBe("access_denied")
    }).pipe(Effect.provide(DeviceTest.layer({ polls: 1, outcome: "deny" })))
  )
})
