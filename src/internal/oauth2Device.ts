/**
 * The device authorization grant (RFC 8628): a device code and a user code
 * from the device authorization endpoint, the user code shown through
 * `DeviceDisplay`, then the token endpoint polled on a `Schedule` until the
 * person approves, refuses, or the code expires.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { type AuthError, AuthorizationTimeout, GrantNotProvided, type InvalidOptions } from "../AuthError.js"
import * as Browser from "../Browser.js"
import * as DeviceDisplay from "../DeviceDisplay.js"
import type * as HttpAuth from "../HttpAuth.js"
import type { DeviceCodeOptions } from "../OAuth2.js"
import * as engine from "./oauth2Engine.js"
import * as grants from "./oauth2Grant.js"
import { revokeOnClose } from "./oauth2Manage.js"
import { validateDuration } from "./oauth2Options.js"

/** RFC 8628 section 3.4. */
export const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

/** RFC 8628 section 3.5: `slow_down` adds 5 seconds to the interval, for this and every later poll. */
const slowDownStep = Duration.seconds(5)

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined)

/** RFC 8628 section 3.2: `interval` in seconds, a number (or a numeric string, as some servers send). */
const intervalOf = (value: unknown): Duration.Duration | undefined => {
  const seconds = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Duration.seconds(seconds) : undefined
}

/** Polling goes on while the server says so (RFC 8628 section 3.5); any other answer ends it. */
const isPending = (error: AuthError) =>
  error._tag === "OAuth2Error" && (error.error === "authorization_pending" || error.error === "slow_down")

export const deviceCodeGrant = (
  scheme: string,
  options: DeviceCodeOptions
): Effect.Effect<HttpAuth.HttpAuth, InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const located = yield* grants.issuer(scheme, options)
    const endpoint = yield* grants.endpoint(scheme, options, { clientId: true, clientSecret: false }, located)
    const deviceUrl = yield* grants.endpointUrl(
      scheme,
      options.deviceAuthorizationUrl,
      "deviceAuthorizationUrl",
      located,
      "device_authorization_endpoint",
      // RFC 8705 section 5: a client authenticating with its certificate uses the alias
      grants.isMutualTls(endpoint.clientAuth)
    )
    const interval = yield* validateDuration(options.interval, "5 seconds", scheme, "interval", { positive: true })
    // the display and the browser of the program that builds the auth, whatever fiber later needs a token
    const display = yield* DeviceDisplay.DeviceDisplay
    const browser = yield* Browser.Browser
    const scope = endpoint.scope === undefined ? {} : { scope: endpoint.scope }

    const grant = Effect.gen(function* () {
      // RFC 8628 section 3.1 and 3.2: the answer's device_code is read as the "token" of this request
      const device = yield* endpoint.requestAt(deviceUrl, scope, "device_code")
      const userCode = text(device.fields.user_code)
      // verification_url: the name of a draft that Google still sends
      const verificationUri = text(device.fields.verification_uri) ?? text(device.fields.verification_url)
      if (userCode === undefined || verificationUri === undefined) {
        return yield* Effect.fail(
          new GrantNotProvided({
            field: userCode === undefined ? "user_code" : "verification_uri",
            received: ["device_code", ...Object.keys(device.fields)]
          })
        )
      }
      const verificationUriComplete = text(device.fields.verification_uri_complete)
      const now = yield* Clock.currentTimeMillis
      const expiresIn = Duration.millis(Math.max(0, device.expiresAt - now))
      yield* display.show({ userCode, verificationUri, verificationUriComplete, expiresIn })
      if (options.openBrowser === true) yield* browser.open(verificationUriComplete ?? verificationUri)

      let wait = intervalOf(device.fields.interval) ?? interval
      const poll = endpoint.request({ grant_type: deviceGrantType, device_code: Redacted.value(device.accessToken) })
      const polling = Schedule.identity<AuthError>().pipe(
        Schedule.whileInput(isPending),
        Schedule.addDelay((error) => {
          if (error._tag === "OAuth2Error" && error.error === "slow_down") wait = Duration.sum(wait, slowDownStep)
          return wait
        })
      )
      // RFC 8628 section 3.5: the first poll waits the interval too
      return yield* Effect.zipRight(Effect.sleep(wait), Effect.retry(poll, polling)).pipe(
        // RFC 8628 section 3.5: past expires_in the device code is dead, whatever the server says
        Effect.timeoutFail({
          duration: expiresIn,
          onTimeout: () =>
            new AuthorizationTimeout({
              timeout: expiresIn,
              redirectUri: verificationUri,
              // the wait is the code's life, which the server sets (expires_in): no option of the grant lengthens it
              remedy:
                "the device code expired (the server's expires_in, RFC 8628 section 3.2): approve the code there sooner; the next request asks for a new one"
            })
        })
      )
    })

    const key = endpoint.cacheKey("device_code")
    return yield* engine.make(scheme, {
      ...(yield* revokeOnClose(scheme, options, endpoint, located, key)),
      cacheKey: key,
      grant,
      refresh: endpoint.refresh
    })
  }).pipe(grants.withTokenClient(scheme, options))
