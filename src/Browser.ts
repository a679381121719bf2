/**
 * Opening the authorization URL of a browser grant: `$BROWSER`, else the
 * platform's opener (`xdg-open`, `open`, `start`), started detached so that a
 * text-mode browser in the same terminal cannot deadlock the program. When no
 * browser can be opened, the URL is printed (stderr by default) and the
 * authorization goes on waiting for the redirect, so headless machines and
 * SSH sessions work: open the URL anywhere that reaches the redirect URI.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import { commandsFor } from "./internal/browserCommand.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Shows `url` to the person who authorizes. It never fails: when no browser
   * can be opened, it prints the URL instead.
   */
  readonly open: (url: string) => Effect.Effect<void>
}

/**
 * Where the URL goes when no browser opens: a line for a person to read.
 *
 * @since 0.1.0
 * @category models
 */
export type Print = (line: string) => Effect.Effect<void>

/**
 * The browser service. Its default is the system browser with the URL
 * printed to stderr as the fallback, so no program needs to provide it;
 * provide `layer`, `layerPrint` or `layerTest` (from
 * `effect-http-auth/testing`) to change it.
 *
 * @since 0.1.0
 * @category tags
 */
export class Browser extends Context.Reference<Browser>()("effect-http-auth/Browser", {
  defaultValue: (): Service => system({})
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions {
  /**
   * The browser command, where `%s` stands for the URL (appended when there is
   * no `%s`); several commands separated by `:` are tried in turn. Default the
   * `BROWSER` environment variable, else the platform's opener.
   */
  readonly command?: string | undefined
  /** Where the URL is printed when no browser opens. Default a line on stderr. */
  readonly print?: Print | undefined
}

/**
 * The message printed when no browser opens.
 *
 * @since 0.1.0
 * @category constants
 */
export const fallbackMessage = (url: string): string =>
  `Could not open a browser. To authorize, open this URL in a browser (the program is waiting):\n${url}`

const defaultPrint: Print = (line) => Console.error(line)

/** Starts `words` detached; resolves with whether it started, reports a failed exit later. */
const launch = (words: ReadonlyArray<string>, onFailedExit: () => void): Promise<boolean> =>
  new Promise((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(words[0]!, words.slice(1), {
        detached: true,
        stdio: "ignore",
        windowsVerbatimArguments: words[0] === "cmd.exe"
      })
    } catch {
      resolve(false)
      return
    }
    child.once("error", () => resolve(false))
    child.once("spawn", () => {
      // A text-mode browser may run for as long as the person reads: never
      // wait for it, and let the program exit without it.
      child.unref()
      resolve(true)
    })
    // `xdg-open` with no browser configured starts, then exits with a failure.
    child.once("exit", (code) => {
      if (code !== 0 && code !== null) onFailedExit()
    })
  })

const system = (options: LayerOptions): Service => ({
  open: (url) =>
    Effect.gen(function* () {
      const print = options.print ?? defaultPrint
      const runtime = yield* Effect.runtime<never>()
      const printFallback = () => Runtime.runFork(runtime)(print(fallbackMessage(url)))
      const commands = commandsFor(url, {
        command: options.command ?? process.env.BROWSER,
        platform: process.platform
      })
      for (const [index, words] of commands.entries()) {
        // Only the last command reports a failed exit: an earlier one has
        // already been judged by whether it started.
        const started = yield* Effect.promise(() =>
          launch(words, index === commands.length - 1 ? printFallback : () => undefined)
        )
        if (started) return
      }
      yield* print(fallbackMessage(url))
    })
})

/**
 * The system browser: `command`, else `$BROWSER`, else the platform's
 * opener, started detached; when none can be started (or the opener exits
 * with a failure), the URL is printed through `print`.
 *
 * @example
 * ```ts
 * import { Browser } from "effect-http-auth"
 * import { Console } from "effect"
 *
 * const FirefoxLive = Browser.layer({ command: "firefox --new-window %s", print: Console.log })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<never> => Layer.succeed(Browser, system(options))

/**
 * Never opens a browser: prints the URL (stderr by default), for headless
 * machines and SSH sessions where the person opens it elsewhere.
 *
 * @example
 * ```ts
 * import { Browser } from "effect-http-auth"
 *
 * const HeadlessLive = Browser.layerPrint()
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPrint = (print: Print = defaultPrint): Layer.Layer<never> =>
  Layer.succeed(Browser, {
    open: (url) => print(`To authorize, open this URL in a browser (the program is waiting):\n${url}`)
  })

/**
 * A browser of your own: `open` gets each authorization URL.
 *
 * @example
 * ```ts
 * import { Browser } from "effect-http-auth"
 * import { Effect } from "effect"
 *
 * const Logged = Browser.layerFrom((url) => Effect.log(`authorize at ${url}`))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFrom = (open: Service["open"]): Layer.Layer<never> => Layer.succeed(Browser, { open })

/**
 * Opens `url` with the `Browser` in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const open = (url: string): Effect.Effect<void> => Effect.flatMap(Browser, (browser) => browser.open(url))
