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
  options?: { readonly allowEmpty?: boolean; readonly multiline?: boolean }
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
      if (!options?.multiline && hasLineBreak(Redacted.value(redacted))) {
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

/**
 * The header an auth sets: any valid name but `Proxy-Authorization`. Through
 * a forward proxy's tunnel (CONNECT, which every proxied request takes) that
 * header goes to the origin, and a proxy's credentials with it; the proxy
 * gets its credentials from the transport.
 */
export const validateCredentialHeader = (name: string, scheme: string, option: string) =>
  Effect.flatMap(validateHeaderName(name, scheme, option), (lower) =>
    lower === "proxy-authorization"
      ? Effect.fail(
          invalid(
            scheme,
            option,
            'must not be Proxy-Authorization: through a proxy\'s tunnel it would reach the origin; give the proxy\'s credentials to the transport, NodeTransport.layer({ proxy: { url, username, password, scheme: "basic" | "digest" | "auto" } })'
          )
        )
      : Effect.succeed(lower)
  )

export const validateParamName = (name: string, scheme: string, option: string) =>
  name === ""
    ? Effect.fail(invalid(scheme, option, "must not be empty"))
    : hasLineBreak(name)
      ? Effect.fail(invalid(scheme, option, "must not contain CR, LF or NUL characters"))
      : Effect.succeed(name)

/** Field values must not smuggle another header (RFC 9110 section 5.5). */
export const hasLineBreak = (value: string) => /[\r\n\0]/.test(value)

// RFC 9110 section 5.5: field-value is visible ASCII, SP, HTAB and obs-text
// (0x80-0xFF); node:http's validateHeaderValue and undici refuse the same set,
// and any character beyond U+00FF (a JS string is sent as Latin-1 bytes).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

/** Whether a header can carry `value` as it is: node:http and undici would throw on anything else. */
export const isHeaderValue = (value: string) => FIELD_VALUE.test(value)

/** Says why a value cannot be sent in a header; never quotes it (it may be a secret). */
export const headerValueReason =
  "must hold only visible ASCII, spaces, tabs and Latin-1 characters (RFC 9110 section 5.5): no control characters, DEL, or characters beyond U+00FF"

/** A header value known when the auth is built: `InvalidOptions` naming the option, never a defect when sending. */
export const validateHeaderValue = (value: string, scheme: string, option: string) =>
  isHeaderValue(value) ? Effect.succeed(value) : Effect.fail(invalid(scheme, option, headerValueReason))

/** A `{token}` template, as httpx-auth's `header_value`. */
export const validateTemplate = (template: string, scheme: string, option: string) =>
  !template.includes("{token}")
    ? Effect.fail(invalid(scheme, option, 'must contain "{token}", where the token goes'))
    : hasLineBreak(template)
      ? Effect.fail(invalid(scheme, option, "must not contain CR, LF or NUL characters"))
      : validateHeaderValue(template, scheme, option)

export const fillTemplate = (template: string, token: string) => template.replaceAll("{token}", token)
