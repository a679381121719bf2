/**
 * The demo's one form for every part: what the client sent (`→`) and what came back (`←`), under a
 * label, secrets cut short, every line under 100 characters.
 */
import { Console, Effect } from "effect"

const width = 99
const labelWidth = 14

/**
 * Fills lines of at most `room` characters with `parts` joined by `separator`; a part too long for a line
 * of its own is broken at its spaces.
 */
const wrap = (parts: ReadonlyArray<string>, separator: string, room: number): Array<string> => {
  const lines: Array<string> = []
  let current = ""
  for (const part of parts) {
    if (current === "") current = part
    else if (current.length + separator.length + part.length <= room) current = `${current}${separator}${part}`
    else {
      lines.push(current)
      current = part
    }
    if (current.length > room && current.includes(" ")) {
      const words = wrap(current.split(" "), " ", room)
      lines.push(...words.slice(0, -1))
      current = words.at(-1)!
    }
  }
  return [...lines, current]
}

/** A credential cut short: its scheme (`Bearer`, `Basic`) kept, then the first 4 characters of the secret. */
export const cut = (credential: string | undefined) => {
  if (credential === undefined) return "(none)"
  const [, scheme = "", secret = credential] = /^([A-Za-z0-9-]+ )?(.*)$/s.exec(credential) ?? []
  return `${scheme}${secret.slice(0, 4)}…`
}

/** One header as sent: its name and its value cut short. */
export const header = (name: string, value: string | undefined) => `${name}: ${cut(value)}`

/** Parts under a label, wrapped under the width; the lines after the first are indented under the text. */
const lines = (label: string, parts: ReadonlyArray<string>, separator: string) => {
  const [first, ...rest] = wrap(parts, separator, width - labelWidth - 2)
  return Console.log(
    [`${label.padEnd(labelWidth)}${first}`, ...rest.map((more) => `${" ".repeat(labelWidth + 2)}${more}`)].join("\n")
  )
}

/** Text under a label, broken at spaces under the width. */
export const line = (label: string, text: string) => lines(label, text.split(" "), " ")

/** What the client sent: the request line and the headers worth showing. */
export const sent = (label: string, requestLine: string, headers: ReadonlyArray<string> = []) =>
  lines(label, [`→ ${requestLine}`, ...headers], "  ")

/** What came back: a status, or an error's tag and message. */
export const got = (text: string) => line("", `← ${text}`)

/** A remark on what the part showed. */
export const note = (text: string) => line("", `· ${text}`)

/** The status and the body of a response, the body on one line. */
export const answer = (response: { readonly status: number; readonly text: Effect.Effect<string, unknown> }) =>
  Effect.map(
    Effect.orElseSucceed(response.text, () => ""),
    (body) => `${response.status}${body === "" ? "" : ` ${body.replaceAll("\n", "\\n")}`}`
  )

/** An error as the program sees it: its tag and its message. */
export const failure = (error: unknown) =>
  typeof error === "object" && error !== null && "_tag" in error && "message" in error
    ? `${String(error._tag)}: ${String(error.message)}`
    : String(error)
