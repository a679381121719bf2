/**
 * The leak scan's tools: every rendering of a value a program may print or
 * ship (String, message, stack, JSON, util.inspect, Cause.pretty, each of
 * Effect's loggers), a tracer that records span attributes, and the forms a
 * secret takes (as is, base64, URL-encoded).
 */
import { inspect } from "node:util"
import { Cause, Effect, FiberId, HashMap, List, Logger, LogLevel, Tracer } from "effect"

/** The secret and the encodings it travels in. */
export const forms = (secret: string, extra: ReadonlyArray<string> = []) => [
  secret,
  Buffer.from(secret).toString("base64"),
  Buffer.from(secret).toString("base64url"),
  encodeURIComponent(secret),
  ...extra
]

const loggers = {
  stringLogger: Logger.stringLogger,
  logfmtLogger: Logger.logfmtLogger,
  jsonLogger: Logger.jsonLogger,
  structuredLogger: Logger.map(Logger.structuredLogger, (value) => JSON.stringify(value))
}

/** What each of Effect's loggers writes for `Effect.logError(value)` with `value` as its cause too. */
const logged = (value: unknown): Record<string, string> => {
  const result: Record<string, string> = {}
  for (const [name, logger] of Object.entries(loggers)) {
    try {
      result[name] = String(
        logger.log({
          fiberId: FiberId.none,
          logLevel: LogLevel.Error,
          message: [value],
          cause: Cause.fail(value),
          context: undefined as never,
          spans: List.empty(),
          annotations: HashMap.make(["error", value]),
          date: new Date(0)
        })
      )
    } catch (error) {
      result[name] = `THREW ${String(error)}`
    }
  }
  return result
}

const attempt = (f: () => unknown): string => {
  try {
    return String(f())
  } catch (error) {
    return `THREW ${String(error)}`
  }
}

/** Every rendering of `value`, by name. A rendering that throws is reported as `THREW ...` (itself a failure). */
export const renderings = (value: unknown): Record<string, string> => {
  const error = value as { message?: unknown; stack?: unknown; cause?: unknown }
  return {
    String: attempt(() => String(value)),
    message: attempt(() => error?.message),
    stack: attempt(() => error?.stack),
    "JSON.stringify": attempt(() => JSON.stringify(value)),
    "util.inspect": attempt(() => inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true })),
    "Cause.pretty": attempt(() => Cause.pretty(Cause.fail(value), { renderErrorCause: true })),
    "cause util.inspect": attempt(() => inspect(error?.cause, { depth: Number.POSITIVE_INFINITY })),
    ...logged(value)
  }
}

/** The renderings in which some form of a secret appears: `["JSON.stringify: <form>", ...]`. */
export const leaksOf = (value: unknown, secrets: ReadonlyArray<string>): Array<string> => {
  const found: Array<string> = []
  for (const [name, text] of Object.entries(renderings(value))) {
    if (text.startsWith("THREW")) found.push(`${name}: ${text}`)
    for (const secret of secrets) if (text.includes(secret)) found.push(`${name}: ${secret}`)
  }
  return found
}

/**
 * Runs `effect` under a tracer that keeps every span Effect's own tracer
 * makes, and gives their attributes rendered as `name=value`.
 */
export const withRecordedSpans = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.tracer, (base) => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (...args) => {
        const span = base.span(...args)
        spans.push(span)
        return span
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    const attributes = () =>
      spans.flatMap((span) => [...span.attributes].map(([key, value]) => `${span.name} ${key}=${String(value)}`))
    return Effect.map(Effect.exit(Effect.withTracer(effect, tracer)), (exit) => ({ exit, attributes: attributes() }))
  })
