/**
 * How the device authorization grant (RFC 8628) shows the person its user
 * code and where to enter it: by default a short block on stderr; a layer
 * of your own shows it elsewhere (a TUI, a chat message, a QR code).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * What the person needs to authorize the device (RFC 8628 section 3.2).
 *
 * @since 0.1.0
 * @category models
 */
export interface Prompt {
  /** The code the person types (`user_code`). */
  readonly userCode: string
  /** Where the person goes (`verification_uri`). */
  readonly verificationUri: string
  /** The same with the code in it (`verification_uri_complete`), when the server gives one. */
  readonly verificationUriComplete: string | undefined
  /** How long the code is valid (`expires_in`). */
  readonly expiresIn: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Shows the prompt; it never fails. */
  readonly show: (prompt: Prompt) => Effect.Effect<void>
}

/**
 * The text of the default block.
 *
 * @example
 * ```ts
 * import { DeviceDisplay } from "effect-http-auth"
 * import { Duration } from "effect"
 *
 * const text = DeviceDisplay.format({
 *   userCode: "WDJB-MJHT",
 *   verificationUri: "https://issuer.example/device",
 *   verificationUriComplete: undefined,
 *   expiresIn: Duration.minutes(10)
 * })
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (prompt: Prompt): string =>
  [
    `To sign in, open ${prompt.verificationUri} and enter the code ${prompt.userCode}`,
    ...(prompt.verificationUriComplete === undefined ? [] : [`(or open ${prompt.verificationUriComplete})`]),
    `The code expires in ${Duration.format(prompt.expiresIn)}; the program is waiting.`
  ].join("\n")

/**
 * The display service; its default writes `format(prompt)` to stderr, so no
 * program needs to provide it.
 *
 * @example
 * ```ts
 * import { DeviceDisplay } from "effect-http-auth"
 * import { Duration, Effect } from "effect"
 *
 * const show = Effect.flatMap(DeviceDisplay.DeviceDisplay, (display) =>
 *   display.show({
 *     userCode: "WDJB-MJHT",
 *     verificationUri: "https://issuer.example/device",
 *     verificationUriComplete: undefined,
 *     expiresIn: Duration.minutes(10)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class DeviceDisplay extends Context.Reference<DeviceDisplay>()("effect-http-auth/DeviceDisplay", {
  defaultValue: (): Service => ({
    show: (prompt) => Console.error(format(prompt))
  })
}) {}

/**
 * Shows the prompt your way.
 *
 * @example
 * ```ts
 * import { DeviceDisplay } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const Logged = DeviceDisplay.layer((prompt) => Effect.log(`code ${prompt.userCode} at ${prompt.verificationUri}`))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (show: (prompt: Prompt) => Effect.Effect<void>): Layer.Layer<never> =>
  Layer.succeed(DeviceDisplay, { show })
