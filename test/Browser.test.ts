import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { commandsFor, splitCommand } from "../src/internal/browserCommand.js"
import { Browser, RedirectListener } from "../src/index.js"

const url = "https://auth.test/authorize?response_type=code&state=a;b&redirect_uri=http%3A%2F%2Flocalhost%3A5000%2F"

/** Waits, without a timer, until `check` holds (a detached process writes a file). */
const until = (check: () => boolean) =>
  Effect.gen(function* () {
    while (!check()) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
  })

const folders: Array<string> = []
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "browser-test-"))
  folders.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

/** A fake browser: a shell script that writes its arguments, one per line, and its pid. */
const fakeBrowser = (dir: string, body = "") => {
  const script = join(dir, "fake browser.sh")
  writeFileSync(
    script,
    `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg"; done > "${dir}/args.tmp"\necho $$ > "${dir}/pid"\nmv "${dir}/args.tmp" "${dir}/args"\n${body}\n`
  )
  chmodSync(script, 0o755)
  return script
}

describe("Browser", () => {
  it("splits a command as a shell would, without running one", () => {
    expect(splitCommand("firefox --new-window %s")).toEqual(["firefox", "--new-window", "%s"])
    expect(splitCommand(`'/opt/my browser/run' "--title=a \\"b\\"" x\\ y  `)).toEqual([
      "/opt/my browser/run",
      '--title=a "b"',
      "x y"
    ])
    expect(splitCommand(`a '' ""`)).toEqual(["a", "", ""])
    expect(splitCommand("   ")).toEqual([])
  })

  it("chooses $BROWSER (with %s, or the URL appended), else the platform's opener", () => {
    expect(commandsFor(url, { command: "lynx", platform: "linux" })).toEqual([["lynx", url]])
    expect(commandsFor(url, { command: "w3m -o x=%s %s", platform: "linux" })).toEqual([["w3m", "-o", `x=${url}`, url]])
    expect(commandsFor(url, { command: "missing-browser:firefox %s", platform: "linux" })).toEqual([
      ["missing-browser", url],
      ["firefox", url]
    ])
    expect(commandsFor(url, { command: undefined, platform: "linux" })).toEqual([["xdg-open", url]])
    expect(commandsFor(url, { command: "", platform: "freebsd" })).toEqual([["xdg-open", url]])
    expect(commandsFor(url, { command: undefined, platform: "darwin" })).toEqual([["open", url]])
    expect(commandsFor(url, { command: undefined, platform: "win32" })).toEqual([
      ["cmd.exe", "/d", "/s", "/c", `start "" "${url}"`]
    ])
  })

  it.live("runs the command with the URL as one argument, so no shell sees it", () =>
    Effect.gen(function* () {
      const dir = folder()
      const script = fakeBrowser(dir)
      const printed: Array<string> = []
      yield* Browser.open(url).pipe(
        Effect.provide(
          Browser.layer({ command: `'${script}' --flag %s`, print: (line) => Effect.sync(() => printed.push(line)) })
        )
      )
      yield* until(() => existsSync(join(dir, "args")))
      expect(readFileSync(join(dir, "args"), "utf8")).toBe(`--flag\n${url}\n`)
      expect(printed).toEqual([])
    })
  )

  it.live("reads $BROWSER when no command is given", () =>
    Effect.gen(function* () {
      const dir = folder()
      const before = process.env.BROWSER
      process.env.BROWSER = `'${fakeBrowser(dir)}'`
      yield* Browser.open(url).pipe(
        Effect.provide(Browser.layer()),
        Effect.ensuring(
          Effect.sync(() => {
            if (before === undefined) delete process.env.BROWSER
            else process.env.BROWSER = before
          })
        )
      )
      yield* until(() => existsSync(join(dir, "args")))
      expect(readFileSync(join(dir, "args"), "utf8")).toBe(`${url}\n`)
    })
  )

  it.live("does not wait for the browser: a text-mode browser may run on", () =>
    Effect.gen(function* () {
      const dir = folder()
      // The fake browser stays until killed, as lynx would until the person quits.
      const script = fakeBrowser(dir, "exec sleep 300")
      yield* Browser.open(url).pipe(Effect.provide(Browser.layer({ command: `'${script}'`, print: () => Effect.void })))
      yield* until(() => existsSync(join(dir, "args")))
      const pid = Number(readFileSync(join(dir, "pid"), "utf8"))
      // open returned while the browser still runs; we end the process we started
      expect(process.kill(pid, 0)).toBe(true)
      process.kill(pid, "SIGTERM")
    })
  )

  it.live("prints the URL when no browser starts, trying each command first", () =>
    Effect.gen(function* () {
      const printed: Array<string> = []
      yield* Browser.open(url).pipe(
        Effect.provide(
          Browser.layer({
            command: "/nonexistent/browser-a:/nonexistent/browser-b %s",
            print: (line) => Effect.sync(() => printed.push(line))
          })
        )
      )
      expect(printed).toEqual([
        `Could not open a browser. To authorize, open this URL in a browser (the program is waiting):\n${url}`
      ])
    })
  )

  it.live("prints the URL when the opener starts and then fails (xdg-open without a browser)", () =>
    Effect.gen(function* () {
      const printed: Array<string> = []
      yield* Browser.open(url).pipe(
        Effect.provide(
          Browser.layer({ command: "sh -c 'exit 3'", print: (line) => Effect.sync(() => printed.push(line)) })
        )
      )
      yield* until(() => printed.length > 0)
      expect(printed).toEqual([Browser.fallbackMessage(url)])
    })
  )

  it.live("layerPrint only prints", () =>
    Effect.gen(function* () {
      const printed: Array<string> = []
      yield* Browser.open(url).pipe(Effect.provide(Browser.layerPrint((line) => Effect.sync(() => printed.push(line)))))
      expect(printed).toEqual([`To authorize, open this URL in a browser (the program is waiting):\n${url}`])
    })
  )

  it.live("after printing, the authorization keeps waiting for the redirect", () =>
    Effect.gen(function* () {
      const printed: Array<string> = []
      const listener = yield* RedirectListener.make({ redirectUriPort: 0 })
      const grant = yield* listener
        .authorize({
          grantField: "code",
          url: ({ redirectUri, state }) =>
            `https://auth.test/authorize?${new URLSearchParams({ redirect_uri: redirectUri, state })}`
        })
        .pipe(
          Effect.provide(
            Browser.layer({ command: "/nonexistent/browser", print: (line) => Effect.sync(() => printed.push(line)) })
          ),
          Effect.fork
        )
      yield* until(() => printed.length > 0)
      // The person copies the printed URL to a browser elsewhere, which is redirected back.
      const shown = new URL(printed[0]!.split("\n")[1]!)
      const redirect = `${shown.searchParams.get("redirect_uri")}?code=from-elsewhere&state=${shown.searchParams.get("state")}`
      expect((yield* Effect.promise(() => fetch(redirect))).status).toBe(200)
      expect(Redacted.value((yield* grant.await.pipe(Effect.flatten)).grant)).toBe("from-elsewhere")
    })
  )
})
