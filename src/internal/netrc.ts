/**
 * A .netrc parser, as ftp(1), curl and Python's netrc read the file: tokens
 * separated by any whitespace (an entry may span lines), `machine NAME` and
 * `default` entries with `login`, `password` and `account`, `macdef NAME`
 * blocks skipped up to the next empty line, `#` comments, and values in
 * double quotes with backslash escapes. It never throws; errors carry the
 * line number and never a token's text (it may be a password).
 */
import * as Either from "effect/Either"

export interface Entry {
  readonly login?: string | undefined
  readonly password?: string | undefined
  readonly account?: string | undefined
}

export interface NetRcFile {
  /** By lower-cased host name; the first entry of a host wins, as curl and ftp. */
  readonly machines: ReadonlyMap<string, Entry>
  readonly default?: Entry | undefined
}

export interface ParseError {
  readonly line: number
  readonly reason: string
}

interface Token {
  readonly text: string
  readonly line: number
  /** Where the token ends in the text. */
  readonly end: number
}

const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v"

class Lexer {
  pos = 0
  line = 1
  constructor(readonly text: string) {}

  /** The next token, undefined at the end; `Left` for an unclosed quote. */
  next(): Either.Either<Token | undefined, ParseError> {
    for (;;) {
      while (this.pos < this.text.length && isSpace(this.text[this.pos]!)) {
        if (this.text[this.pos] === "\n") this.line++
        this.pos++
      }
      if (this.pos >= this.text.length) return Either.right(undefined)
      if (this.text[this.pos] !== "#") break
      // a comment runs to the end of the line
      while (this.pos < this.text.length && this.text[this.pos] !== "\n") this.pos++
    }
    const line = this.line
    if (this.text[this.pos] === '"') {
      this.pos++
      let value = ""
      while (this.pos < this.text.length) {
        const c = this.text[this.pos++]!
        if (c === '"') return Either.right({ text: value, line, end: this.pos })
        if (c === "\n") this.line++
        if (c === "\\" && this.pos < this.text.length) {
          const escaped = this.text[this.pos++]!
          value += escaped === "n" ? "\n" : escaped === "r" ? "\r" : escaped === "t" ? "\t" : escaped
        } else {
          value += c
        }
      }
      return Either.left({ line, reason: "a quoted value is not closed" })
    }
    const start = this.pos
    while (this.pos < this.text.length && !isSpace(this.text[this.pos]!)) this.pos++
    return Either.right({ text: this.text.slice(start, this.pos), line, end: this.pos })
  }

  /** Skips a macdef body: everything up to and including the next empty line. */
  skipMacro() {
    // the rest of the macdef line
    while (this.pos < this.text.length && this.text[this.pos] !== "\n") this.pos++
    while (this.pos < this.text.length) {
      this.pos++ // the newline
      this.line++
      const end = this.text.indexOf("\n", this.pos)
      const lineText = this.text.slice(this.pos, end === -1 ? this.text.length : end)
      if (lineText.trim() === "") {
        this.pos = end === -1 ? this.text.length : end
        return
      }
      this.pos = end === -1 ? this.text.length : end
    }
  }
}

const keywords = ["machine", "default", "login", "password", "account", "macdef"]

/** Parses the text of a .netrc file. */
export const parseNetRc = (text: string): Either.Either<NetRcFile, ParseError> => {
  const lexer = new Lexer(text)
  const machines = new Map<string, Entry>()
  let defaultEntry: Entry | undefined
  let current: { fields: Record<string, string>; host: string | undefined } | undefined

  const close = () => {
    if (current === undefined) return
    const entry: Entry = { ...current.fields }
    if (current.host === undefined) defaultEntry ??= entry
    else if (!machines.has(current.host)) machines.set(current.host, entry)
    current = undefined
  }

  for (;;) {
    const next = lexer.next()
    if (Either.isLeft(next)) return Either.left(next.left)
    const token = next.right
    if (token === undefined) break
    const keyword = token.text
    const value = () => {
      const v = lexer.next()
      if (Either.isLeft(v)) return v
      return v.right === undefined
        ? Either.left<ParseError>({ line: token.line, reason: `"${keyword}" has no value` })
        : Either.right(v.right)
    }
    switch (keyword) {
      case "machine": {
        close()
        const name = value()
        if (Either.isLeft(name)) return Either.left(name.left)
        current = { fields: {}, host: name.right.text.toLowerCase() }
        break
      }
      case "default":
        close()
        current = { fields: {}, host: undefined }
        break
      case "login":
      case "password":
      case "account": {
        if (current === undefined) {
          return Either.left({ line: token.line, reason: `"${keyword}" comes before any "machine" or "default"` })
        }
        const v = value()
        if (Either.isLeft(v)) return Either.left(v.left)
        if (!(keyword in current.fields)) current.fields[keyword] = v.right.text
        break
      }
      case "macdef": {
        close()
        const name = value()
        if (Either.isLeft(name)) return Either.left(name.left)
        lexer.pos = name.right.end
        lexer.line = name.right.line
        lexer.skipMacro()
        break
      }
      default:
        // never echo the token: a misplaced word may be a password
        return Either.left({
          line: token.line,
          reason: `expected one of ${keywords.join(", ")} and found another word`
        })
    }
  }
  close()
  return Either.right({ machines, default: defaultEntry })
}

/** The entry for `host`: its machine entry, else the default one. */
export const lookup = (file: NetRcFile, host: string): Entry | undefined =>
  file.machines.get(host.toLowerCase()) ?? file.default
