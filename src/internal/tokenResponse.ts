/**
 * Reading token endpoint bodies: JSON (RFC 6749 section 5.1), or a form
 * (`a=b&c=d`) as GitHub and WakaTime answer, whatever their content type says.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { OAuth2Error } from "../AuthError.js"
import { secretFields } from "../Token.js"
import { bounded, errorLimits } from "./json.js"

const decodeJson = Schema.decodeEither(Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown })))

const FORM = /^[^=&\s<>{}]+=[^<>]*$/

/** The fields of a body, or why it has none. */
export const parseBody = (text: string, contentType: string): Either.Either<Record<string, unknown>, string> => {
  const trimmed = text.trim()
  if (contentType.includes("json") || trimmed.startsWith("{")) {
    return Either.mapLeft(decodeJson(trimmed), () => "the body is not a JSON object")
  }
  if (FORM.test(trimmed)) {
    return Either.right(Object.fromEntries(new URLSearchParams(trimmed)))
  }
  return Either.left(trimmed === "" ? "the body is empty" : "the body is neither JSON nor a form")
}

/**
 * Names whose values an error never shows, at any depth: the tokens, and
 * what a token request carries (an endpoint may echo the form back).
 */
const hidden: ReadonlySet<string> = new Set([
  ...secretFields,
  "token",
  "client_secret",
  "client_assertion",
  "assertion",
  "password",
  "code",
  "code_verifier",
  "device_code"
])

/** The fields worth showing in an error: no token value, ever. */
export const safeFields = (fields: Readonly<Record<string, unknown>>, tokenField: string) => {
  const others: Record<string, unknown> = {}
  let kept = 0
  for (const [name, value] of Object.entries(fields)) {
    if (name === "error" || name === "error_description" || name === "error_uri") continue
    // an error keeps a short excerpt: it is printed, logged and serialized
    if (kept++ >= errorLimits.members) break
    others[truncate(name, errorLimits.string)] =
      hidden.has(name) || name === tokenField ? "<redacted>" : bounded(value, errorLimits, 1, hidden)
  }
  return others
}

export const truncate = (text: string, length = 500) => (text.length > length ? `${text.slice(0, length)}…` : text)

/** An RFC 6749 section 5.2 error from decoded fields. */
export const errorOf = (fields: Readonly<Record<string, unknown>>, status: number, tokenField: string) => {
  const text = (name: string) => (typeof fields[name] === "string" ? truncate(fields[name] as string) : undefined)
  const others = safeFields(fields, tokenField)
  return new OAuth2Error({
    error: text("error") ?? "invalid_response",
    errorDescription: text("error_description"),
    errorUri: text("error_uri"),
    status,
    ...(Object.keys(others).length === 0 ? {} : { fields: others })
  })
}

// a body that could not be read may still hold a token, or echo the request's secrets: their values never reach an error
const TOKEN_VALUE =
  /((?:access_token|refresh_token|id_token|token|client_secret|client_assertion|assertion|password|code_verifier|device_code|code)"?\s*[:=]\s*"?)[^"&,\s}<]*/gi

/** The body as an error may show it: token values masked, truncated. */
export const showBody = (body: string) => truncate(body.replace(TOKEN_VALUE, "$1<redacted>"))

/** An error for a body that carries no RFC 6749 error. */
export const errorOfBody = (status: number, body: string, error = "invalid_response") =>
  new OAuth2Error({ error, status, body: showBody(body) })
