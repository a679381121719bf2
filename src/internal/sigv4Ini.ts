/**
 * The INI dialect of the AWS shared credentials file: `[profile]` sections,
 * `key = value` lines, `#` and `;` comment lines. Keys are lower-cased, as
 * the AWS CLI reads them; a value keeps everything after the first `=`.
 */
export const parseIni = (text: string): Map<string, Map<string, string>> => {
  const sections = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue
    const header = /^\[\s*([^\]]*?)\s*\]$/.exec(line)
    if (header !== null) {
      const name = header[1]!.replace(/^profile\s+/, "")
      current = sections.get(name) ?? new Map()
      sections.set(name, current)
      continue
    }
    const at = line.indexOf("=")
    if (at === -1 || current === undefined) continue
    current.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim())
  }
  return sections
}
