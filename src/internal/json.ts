/**
 * JSON values from a server, cut to a size that can be stored, printed and
 * logged: a token endpoint may answer with a nesting deep enough that
 * `JSON.stringify` throws `RangeError` (and a JSON logger with it).
 */

/** How much of a value is kept. */
export interface Limits {
  /** Levels of arrays and objects kept; what lies deeper becomes `"<omitted>"`. */
  readonly depth: number
  /** Members kept per array or object. */
  readonly members: number
  /** Characters kept per string (a longer one ends with `…`). */
  readonly string: number
}

/** What a stored token keeps of the response's other fields. */
export const storedLimits: Limits = { depth: 8, members: 100, string: 4096 }

/** What an error keeps of a server's fields: a short excerpt. */
export const errorLimits: Limits = { depth: 3, members: 20, string: 200 }

const omitted = "<omitted>"

/**
 * `value` with at most `limits.depth` levels below it. The recursion stops
 * at the limit, so no input can overflow the stack here; cycles (not in
 * parsed JSON, but in a value a program builds) end at the limit too.
 */
export const bounded = (
  value: unknown,
  limits: Limits,
  depth = 0,
  /** Member names whose values become `"<redacted>"`, at any depth. */
  redact?: ReadonlySet<string>
): unknown => {
  if (typeof value === "string") return value.length > limits.string ? `${value.slice(0, limits.string)}…` : value
  if (value === null || typeof value === "boolean") return value
  if (typeof value === "number") return Number.isFinite(value) ? value : null
  if (typeof value !== "object") return undefined
  if (depth >= limits.depth) return omitted
  if (Array.isArray(value)) {
    return value.slice(0, limits.members).map((item) => bounded(item, limits, depth + 1, redact))
  }
  const result: Record<string, unknown> = {}
  let kept = 0
  for (const [name, item] of Object.entries(value)) {
    if (kept++ >= limits.members) break
    const cut = redact?.has(name) ? "<redacted>" : bounded(item, limits, depth + 1, redact)
    if (cut !== undefined) result[name.length > limits.string ? name.slice(0, limits.string) : name] = cut
  }
  return result
}
