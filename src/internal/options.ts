/**
 * Validation and resolution of scheme options: every bad option fails when
 * the auth is built, with `InvalidOptions` naming it.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { InvalidOptions } from "../AuthError.js"

/** A secret as a user may give it. */
export type Secret = string | Redacted.Redacted<string>

/** A secret, or a `Config` that reads one (once, when the auth is built). */
export type SecretInput = Secret | Config.Config<string> | Config.Config<Redacted.Redacted<string>>

/** A plain option, or a `Config` that reads it. */
export type TextInput = string | Config.Config<string>

export const invalid = (scheme: string, option: string, reason: string) =>
  new InvalidOptions({ scheme, option, reason })

const readConfig = <A>(config: Config.Config<A>, scheme: string, option: string) =>
  Effect.mapError(config, (error) => invalid(scheme, option, `could not be read from the configuration: ${error}`))

/** Reads a secret from its input; empty secrets are refused unless `allowEmpty`. */
export const resolveSecret = (
  input: SecretInput,
  scheme: string,
  option: string,
  options?: { readonly allowEmpty?: boolean }
): Effect.Effect<Redacted.Redacted<string>, InvalidOptions> =>
  Effect.flatMap(
    Config.isConfig(input) ? readConfig(input as Config.Config<Secret>, scheme, option) : Effect.succeed(input),
    (secret) => {
      const redacted = typeof secret === "string" ? Redacted.make(secret) : secret
      if (typeof Redacted.value(redacted) !== "string") {
        return Effect.fail(invalid(scheme, option, "must be a string or a Redacted string"))
      }
      if (!options?.allowEmpty && Redacted.value(redacted) === "") {
        return Effect.fail(invalid(scheme, option, "must not be empty"))
      }
      if (hasLineBreak(Redacted.value(redacted))) {
        return Effect.fail(invalid(scheme, option, "must not contain CR, LF or NUL characters"))
      }
      return Effect.succeed(redacted)
    }
  )

/** Reads a plain option from its input. */
export const resolveText = (input: TextInput, scheme: string, option: string): Effect.Effect<string, InvalidOptions> =>
  Config.isConfig(input) ? readConfig(input, scheme, option) : Effect.succeed(input)

// RFC 9110 section 5.6.2: token = 1*tchar
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** RFC 9110 section 5.1: a field name is a token. */
export const validateHeaderName = (name: string, scheme: string, option: string) =>
  TOKEN.test(name)
    ? Effect.succeed(name.toLowerCase())
    : Effect.fail(
        invalid(
          scheme,
          option,
          name === ""
            ? "must not be empty"
            : `is not a valid header name (${JSON.stringify(name)}): use letters, digits and !#$%&'*+-.^_\`|~, without spaces`
        )
      )

export const validateParamName = (name: string, scheme: string, option: string) =>
  name === ""
    ? Effect.fail(invalid(scheme, option, "must not be empty"))
    : hasLineBreak(name)
      ? Effect.fail(invalid(scheme, option, "must not contain CR, LF or NUL characters"))
      : Effect.succeed(name)

/** Field values must not smuggle another header (RFC 9110 section 5.5). */
export const hasLineBreak = (value: string) => /[\r\n\0]/.test(value)

/** A `{token}` template, as httpx-auth's `header_value`. */
export const validateTemplate = (template: string, scheme: string, option: string) =>
  !template.includes("{token}")
    ? Effect.fail(invalid(scheme, option, 'must contain "{token}", where the token goes'))
    : hasLineBreak(template)
      ? Effect.fail(invalid(scheme, option, "must not contain CR, LF or NUL characters"))
      : Effect.succeed(template)

export const fillTemplate = (template: string, token: string) => template.replaceAll("{token}", token)
