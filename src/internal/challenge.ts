/**
 * A parser for `WWW-Authenticate` / `Proxy-Authenticate` (RFC 9110 section
 * 11.6.1) and the parameter list of `Authentication-Info` (RFC 7615): several
 * challenges in one field value (or in several, joined by commas), tokens,
 * quoted strings with escapes, token68 and any parameter, with case-insensitive
 * scheme and parameter names. It never throws: it returns what it could not
 * read instead.
 */
import * as Either from "effect/Either"

/** One challenge: the scheme as sent, parameter names lower-cased. */
export interface Challenge {
  readonly scheme: string
  readonly params: Readonly<Record<string, string>>
  readonly token68?: string | undefined
}

// RFC 9110 section 5.6.2: tchar
const isTchar = (c: string) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/.test(c)
// RFC 9110 section 11.2: token68
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/

class Reader {
  pos = 0
  constructor(readonly text: string) {}
  get done() {
    return this.pos >= this.text.length
  }
  peek() {
    return this.text[this.pos]
  }
  skipSpaces() {
    while (!this.done && (this.peek() === " " || this.peek() === "\t")) this.pos++
  }
  skipSpacesAndCommas() {
    while (!this.done && (this.peek() === " " || this.peek() === "\t" || this.peek() === ",")) this.pos++
  }
  token(): string {
    const start = this.pos
    while (!this.done && isTchar(this.peek()!)) this.pos++
    return this.text.slice(start, this.pos)
  }
  /** A quoted-string (RFC 9110 section 5.6.4), or undefined when it is not closed. */
  quoted(): string | undefined {
    this.pos++ // the opening quote
    let value = ""
    while (!this.done) {
      const c = this.text[this.pos++]!
      if (c === '"') return value
      if (c === "\\") {
        if (this.done) return undefined
        value += this.text[this.pos++]
      } else {
        value += c
      }
    }
    return undefined
  }
}

const at = (reader: Reader) => `at character ${reader.pos + 1}`

/**
 * Reads `name=value` pairs until the end, or until a word that is not
 * followed by `=` (the next challenge's scheme). Fills `params`.
 */
const readParams = (reader: Reader, params: Record<string, string>, what: string): string | undefined => {
  for (;;) {
    reader.skipSpacesAndCommas()
    if (reader.done) return undefined
    const save = reader.pos
    const name = reader.token()
    if (name === "") return `unexpected ${JSON.stringify(reader.peek())} ${at(reader)} of the ${what}`
    reader.skipSpaces()
    if (reader.peek() !== "=") {
      reader.pos = save
      return undefined
    }
    reader.pos++
    reader.skipSpaces()
    let value: string | undefined
    if (reader.peek() === '"') {
      const start = reader.pos
      value = reader.quoted()
      if (value === undefined) {
        return `the quoted value of parameter "${name}" that starts at character ${start + 1} of the ${what} is not closed`
      }
    } else {
      value = reader.token()
      if (value === "") return `parameter "${name}" has no value ${at(reader)} of the ${what}`
    }
    const key = name.toLowerCase()
    if (!(key in params)) params[key] = value
    reader.skipSpaces()
    if (!reader.done && reader.peek() !== ",") {
      return `expected "," after parameter "${name}" ${at(reader)} of the ${what}`
    }
  }
}

/**
 * Every challenge of a `WWW-Authenticate` field value, in order; `Left` with
 * what could not be read. Several field values can be given, or one joined
 * with commas.
 */
export const parseChallenges = (
  header: string | ReadonlyArray<string>,
  what = "WWW-Authenticate header"
): Either.Either<ReadonlyArray<Challenge>, string> => {
  const reader = new Reader(typeof header === "string" ? header : header.join(", "))
  const challenges: Array<Challenge> = []
  for (;;) {
    reader.skipSpacesAndCommas()
    if (reader.done) break
    const scheme = reader.token()
    if (scheme === "") {
      return Either.left(
        `expected an authentication scheme ${at(reader)} of the ${what}, found ${JSON.stringify(reader.peek())}`
      )
    }
    const params: Record<string, string> = Object.create(null)
    let token68: string | undefined
    if (reader.peek() === " " || reader.peek() === "\t") {
      reader.skipSpaces()
      // token68 when the word runs to a comma or the end (`name=` with no value is token68 too)
      const match = TOKEN68.exec(reader.text.slice(reader.pos))
      if (match !== null) {
        const after = reader.text.slice(reader.pos + match[0].length).trimStart()
        if (after === "" || after.startsWith(",")) {
          token68 = match[0]
          reader.pos += match[0].length
        }
      }
      if (token68 === undefined) {
        const problem = readParams(reader, params, what)
        if (problem !== undefined) return Either.left(problem)
      }
    } else if (!reader.done && reader.peek() !== ",") {
      return Either.left(`expected a space or "," after scheme "${scheme}" ${at(reader)} of the ${what}`)
    }
    challenges.push(token68 === undefined ? { scheme, params } : { scheme, params, token68 })
  }
  return Either.right(challenges)
}

/** The parameters of an `Authentication-Info` field (RFC 7615 section 3). */
export const parseParams = (
  header: string,
  what = "Authentication-Info header"
): Either.Either<Readonly<Record<string, string>>, string> => {
  const reader = new Reader(header)
  const params: Record<string, string> = Object.create(null)
  const problem = readParams(reader, params, what)
  if (problem !== undefined) return Either.left(problem)
  reader.skipSpacesAndCommas()
  return reader.done
    ? Either.right(params)
    : Either.left(`unexpected ${JSON.stringify(reader.peek())} ${at(reader)} of the ${what}`)
}

/** A quoted-string with `"` and `\` escaped (RFC 9110 section 5.6.4). */
export const quote = (value: string) => `"${escaped(value)}"`

/** The content of `quote(value)`: the value itself when it has no `"` or `\` (the usual case, with no new string). */
export const escaped = (value: string) => (/["\\]/.test(value) ? value.replace(/["\\]/g, (c) => `\\${c}`) : value)

/** A challenge as a server would send it, every value quoted. */
export const renderChallenge = (challenge: Challenge): string => {
  if (challenge.token68 !== undefined) return `${challenge.scheme} ${challenge.token68}`
  const params = Object.entries(challenge.params).map(([name, value]) => `${name}=${quote(value)}`)
  return params.length === 0 ? challenge.scheme : `${challenge.scheme} ${params.join(", ")}`
}
