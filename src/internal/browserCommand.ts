/**
 * The commands `Browser.layer` tries for a URL: `$BROWSER` read as Python's
 * `webbrowser` reads it, split as a POSIX shell would without running one.
 */

/**
 * Splits a command line as a POSIX shell would, without running a shell:
 * words separated by blanks, single and double quotes, backslash escapes.
 * The URL later replaces `%s` inside one word, so `&` or `;` in it never
 * reaches a shell.
 */
export const splitCommand = (command: string): Array<string> => {
  const words: Array<string> = []
  let word: string | undefined
  let quote: "'" | '"' | undefined
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!
    if (quote === "'") {
      if (char === "'") quote = undefined
      else word += char
    } else if (quote === '"') {
      if (char === '"') quote = undefined
      else if (char === "\\" && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) word += command[++i]
      else word += char
    } else if (char === " " || char === "\t" || char === "\n") {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (char === "'" || char === '"') {
      quote = char
      word ??= ""
    } else if (char === "\\" && i + 1 < command.length) {
      word = (word ?? "") + command[++i]
    } else {
      word = (word ?? "") + char
    }
  }
  if (word !== undefined) words.push(word)
  return words
}

/**
 * The commands to try for `url`, in order: each `$BROWSER` entry (`%s`
 * replaced, else the URL appended, as Python's `webbrowser`), else the
 * platform's opener.
 */
export const commandsFor = (
  url: string,
  options: { readonly command: string | undefined; readonly platform: NodeJS.Platform }
): Array<ReadonlyArray<string>> => {
  const configured = (options.command ?? "")
    .split(":")
    .map((entry) => splitCommand(entry))
    .filter((words) => words.length > 0)
  if (configured.length > 0) {
    return configured.map((words) =>
      words.some((word) => word.includes("%s")) ? words.map((word) => word.replaceAll("%s", url)) : [...words, url]
    )
  }
  switch (options.platform) {
    case "darwin":
      return [["open", url]]
    case "win32":
      // `start` is a cmd built-in; the empty title keeps a quoted URL from
      // being read as the window title, and the quotes keep `&` literal.
      return [["cmd.exe", "/d", "/s", "/c", `start "" "${url}"`]]
    default:
      return [["xdg-open", url]]
  }
}
