import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpServerResponse } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Logger, Redacted } from "effect"
import fc from "fast-check"
import { Basic, HttpAuth, NetRc } from "../src/index.js"
import { parseNetRc } from "../src/internal/netrc.js"
import { serve } from "./fixtures/server.js"

const Live = Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)

const write = (text: string, mode = 0o600) => {
  const dir = mkdtempSync(join(tmpdir(), "netrc-"))
  const file = join(dir, ".netrc")
  writeFileSync(file, text)
  chmodSync(file, mode)
  return { dir, file }
}

const basic = (user: string, pass: string) => Redacted.value(Basic.encode(user, Redacted.make(pass)))

const sample = `# credentials
machine 127.0.0.1 login alice password "s3cret pass"

macdef init
cd /pub
machine in-a-macro login x password y

machine localhost
  login bob
  account acct
  password hunter2
default login anon password guest
`

describe("NetRc parser", () => {
  it("reads machines, default, account, quoted values and comments; skips macdef bodies", () => {
    const parsed = parseNetRc(sample)
    expect(Either.isRight(parsed)).toBe(true)
    const file = Either.getOrThrow(parsed)
    expect(Object.fromEntries(file.machines)).toEqual({
      "127.0.0.1": { login: "alice", password: "s3cret pass" },
      localhost: { login: "bob", account: "acct", password: "hunter2" }
    })
    expect(file.default).toEqual({ login: "anon", password: "guest" })
  })

  it("the first entry of a host wins; escapes in quotes are read", () => {
    const file = Either.getOrThrow(parseNetRc('machine h login "a\\"b" password 1\nmachine H login c password 2'))
    expect(file.machines.get("h")).toEqual({ login: 'a"b', password: "1" })
  })

  it("names the line of what it could not read, never the token itself", () => {
    const cases = [
      ["machine a login x\npassword", { line: 2, reason: '"password" has no value' }],
      ["login x", { line: 1, reason: '"login" comes before any "machine" or "default"' }],
      [
        "machine a login x\n\n hunter2",
        { line: 3, reason: "expected one of machine, default, login, password, account, macdef and found another word" }
      ],
      ['machine a password "open', { line: 1, reason: "a quoted value is not closed" }]
    ] as const
    for (const [text, error] of cases) expect(parseNetRc(text)).toEqual(Either.left(error))
  })

  it("never throws, and reads back any entries it is given (fast-check)", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        parseNetRc(text)
      })
    )
    const word = fc.stringMatching(/^[A-Za-z0-9._@-]{1,12}$/)
    const value = fc.string({ maxLength: 12 }).filter((v) => !/[\r\n]/.test(v))
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(word, value, value), { selector: ([host]) => host.toLowerCase() }),
        (entries) => {
          const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`
          const text = entries
            .map(([host, login, password]) => `machine ${host}\n  login ${quote(login)} password ${quote(password)}\n`)
            .join("# comment\n")
          const file = Either.getOrThrow(parseNetRc(text))
          for (const [host, login, password] of entries) {
            expect(file.machines.get(host.toLowerCase())).toEqual({ login, password })
          }
        }
      )
    )
  })
})

describe("NetRc.make", () => {
  it.scoped("sends the host's Basic credentials to a server that checks them; other hosts get the default", () =>
    Effect.gen(function* () {
      const { file } = write(sample)
      const server = yield* serve((seen) =>
        seen.headers.authorization === basic("alice", "s3cret pass")
          ? HttpServerResponse.text("alice in")
          : HttpServerResponse.text(seen.headers.authorization ?? "none", { status: 401 })
      )
      const client = yield* HttpAuth.client(NetRc.make({ file }))
      const ok = yield* client.get(`${server.origin}/`)
      expect([ok.status, yield* ok.text]).toEqual([200, "alice in"])
      const viaLocalhost = yield* client.get(`http://localhost:${server.port}/`)
      expect([viaLocalhost.status, yield* viaLocalhost.text]).toEqual([401, basic("bob", "hunter2")])
    }).pipe(Effect.provide(Live))
  )

  it.scoped("no entry and no default: no header", () =>
    Effect.gen(function* () {
      const { file } = write("machine elsewhere login a password b\n")
      const server = yield* serve((seen) => HttpServerResponse.text(seen.headers.authorization ?? "none"))
      const client = yield* HttpAuth.client(NetRc.make({ file }))
      expect(yield* (yield* client.get(`${server.origin}/`)).text).toBe("none")
    }).pipe(Effect.provide(Live))
  )

  it.scoped("reads $NETRC, else ~/.netrc; a missing default file means no credentials, a missing named one fails", () =>
    Effect.gen(function* () {
      const { file } = write("default login env password p\n")
      const server = yield* serve((seen) => HttpServerResponse.text(seen.headers.authorization ?? "none"))
      const withEnv = yield* HttpAuth.client(NetRc.make()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["NETRC", file]])))
      )
      expect(yield* (yield* withEnv.get(`${server.origin}/`)).text).toBe(basic("env", "p"))

      const home = write("default login home password p\n").dir
      const withHome = yield* HttpAuth.client(NetRc.make()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HOME", home]])))
      )
      expect(yield* (yield* withHome.get(`${server.origin}/`)).text).toBe(basic("home", "p"))

      const emptyHome = mkdtempSync(join(tmpdir(), "netrc-home-"))
      const none = yield* HttpAuth.client(NetRc.make()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HOME", emptyHome]])))
      )
      expect(yield* (yield* none.get(`${server.origin}/`)).text).toBe("none")

      const missing = join(emptyHome, "nope")
      const error = yield* Effect.flip(NetRc.make({ file: missing }))
      expect(error.message).toBe(`.netrc ${missing}: no such file`)
      const fromEnv = yield* Effect.flip(
        NetRc.make().pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["NETRC", missing]]))))
      )
      expect(fromEnv._tag).toBe("NetRcError")
    }).pipe(Effect.provide(Live))
  )

  it.effect("a malformed file fails with the path and line", () =>
    Effect.gen(function* () {
      const { file } = write("machine a\n  login x\n  passwd y\n")
      const error = yield* Effect.flip(NetRc.make({ file }))
      expect(error.message).toBe(
        `.netrc ${file}:3: expected one of machine, default, login, password, account, macdef and found another word`
      )
      expect(error.line).toBe(3)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("warns when others can read the file, and not when it is 0600", () =>
    Effect.gen(function* () {
      const logs: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label}: ${String(message)}`))
      )
      const open = write("default login a password b\n", 0o644).file
      yield* NetRc.make({ file: open }).pipe(Effect.provide(logger))
      expect(logs).toEqual([`WARN: .netrc ${open} can be read by other users (mode 644): chmod 600 it`])
      yield* NetRc.make({ file: write("default login a password b\n").file }).pipe(Effect.provide(logger))
      expect(logs.length).toBe(1)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
