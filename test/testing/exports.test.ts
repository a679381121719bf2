import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect } from "effect"
import { Bearer, HttpAuth } from "effect-http-auth"
import { NodeHttpAuth } from "effect-http-auth/node"
import * as Testing from "effect-http-auth/testing"

describe("the package's exports map", () => {
  it("names the entries and nothing else: no path into src/ or internal/", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"))
    expect(Object.keys(pkg.exports)).toEqual([".", "./testing", "./node", "./redis", "./package.json"])
  })

  it.effect("resolves the root, ./testing and ./node by the package name", () =>
    Effect.gen(function* () {
      const auth = yield* Bearer.make("t")
      expect(HttpAuth.isHttpAuth(auth)).toBe(true)
      expect(typeof Testing.randomFixed).toBe("function")
      expect(typeof NodeHttpAuth.layer).toBe("function")
    })
  )
})
