/**
 * A stand-in for the person and the authorization server of the device
 * grant (`OAuth2.deviceCode`), in a user's tests: an `HttpClient` that
 * answers the device authorization endpoint with a code, then the token
 * endpoint with `authorization_pending` for `polls` polls and then a token
 * (or `access_denied`), and a `DeviceDisplay` that records the prompts
 * instead of printing them. Under `TestClock`, `TestClock.adjust` runs the
 * polls at once: a test waits for nothing.
 *
 * Other requests go to a `TestAuthorizationServer` (its resource server
 * accepts the tokens issued), which the layer also provides.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as DeviceDisplay from "../DeviceDisplay.js"
import * as TestAuthorizationServer from "./TestAuthorizationServer.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many polls get `authorization_pending` before the person decides. Default 2. */
  readonly polls?: number | undefined
  /** What the person decides. Default `"approve"`. */
  readonly outcome?: "approve" | "deny" | undefined
  /** The device authorization endpoint. Default `"https://auth.test/device"`. */
  readonly deviceAuthorizationUrl?: string | undefined
  /** The token endpoint. Default `"https://auth.test/token"`. */
  readonly tokenUrl?: string | undefined
  /** The `interval` the device authorization answer gives, in seconds. Default 5. */
  readonly interval?: number | undefined
  /** The `expires_in` of the device code, in seconds. Default 600. */
  readonly expiresIn?: number | undefined
}

/**
 * What the grant showed, for assertions.
 *
 * @since 0.1.0
 * @category tags
 */
export class DeviceTest extends Context.Tag("effect-http-auth/testing/DeviceTest")<
  DeviceTest,
  {
    /** Every prompt the grant showed, in order. */
    readonly prompts: Effect.Effect<ReadonlyArray<DeviceDisplay.Prompt>>
  }
>() {}

/** The user code every device authorization answer gives. */
const userCode = "TEST-CODE"

/**
 * The device grant's servers and person as a layer: `HttpClient`,
 * `DeviceDisplay`, `DeviceTest` and `TestAuthorizationServer`.
 *
 * @example
 * ```ts
 * import { HttpAuth, OAuth2 } from "effect-http-auth"
 * import { DeviceTest } from "effect-http-auth/testing"
 * import { Effect, Fiber, TestClock } from "effect"
 *
 * const test = Effect.gen(function* () {
 *   const client = yield* HttpAuth.client(
 *     OAuth2.deviceCode({
 *       deviceAuthorizationUrl: "https://auth.test/device",
 *       tokenUrl: "https://auth.test/token",
 *       clientId: "tv"
 *     })
 *   )
 *   const call = yield* Effect.fork(client.get("https://api.test/me"))
 *   yield* TestClock.adjust("1 minute")
 *   return yield* Fiber.join(call)
 * }).pipe(Effect.provide(DeviceTest.layer({ polls: 3 })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<HttpClient.HttpClient | DeviceTest | TestAuthorizationServer.TestAuthorizationServer> => {
  const deviceUrl = new URL(options?.deviceAuthorizationUrl ?? "https://auth.test/device").toString()
  const polls = options?.polls ?? 2
  const decision =
    options?.outcome === "deny" ? TestAuthorizationServer.error("access_denied") : TestAuthorizationServer.token()
  const server = TestAuthorizationServer.layer({
    tokenUrl: options?.tokenUrl ?? "https://auth.test/token",
    script: [...Array.from({ length: polls }, () => TestAuthorizationServer.error("authorization_pending")), decision]
  })
  const device = Layer.effectContext(
    Effect.gen(function* () {
      const inner = yield* HttpClient.HttpClient
      const prompts = yield* Ref.make<ReadonlyArray<DeviceDisplay.Prompt>>([])
      const client = HttpClient.make((request, url) =>
        `${url.origin}${url.pathname}` === deviceUrl && request.method === "POST"
          ? Effect.succeed(
              HttpClientResponse.fromWeb(
                request,
                new Response(
                  JSON.stringify({
                    device_code: "test-device-code",
                    user_code: userCode,
                    verification_uri: new URL("/activate", deviceUrl).toString(),
                    expires_in: options?.expiresIn ?? 600,
                    interval: options?.interval ?? 5
                  }),
                  { status: 200, headers: { "content-type": "application/json" } }
                )
              )
            )
          : inner.execute(request)
      )
      return Context.make(HttpClient.HttpClient, client).pipe(
        Context.add(DeviceTest, { prompts: Ref.get(prompts) }),
        Context.add(DeviceDisplay.DeviceDisplay, {
          show: (prompt) => Ref.update(prompts, (all) => [...all, prompt])
        })
      )
    })
  )
  return Layer.provideMerge(device, server) as Layer.Layer<
    HttpClient.HttpClient | DeviceTest | TestAuthorizationServer.TestAuthorizationServer
  >
}

/**
 * The prompts the grant showed.
 *
 * @since 0.1.0
 * @category accessors
 */
export const prompts: Effect.Effect<ReadonlyArray<DeviceDisplay.Prompt>, never, DeviceTest> = Effect.flatMap(
  DeviceTest,
  (test) => test.prompts
)
