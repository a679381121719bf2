import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Bearer, HttpAuth } from "effect-http-auth"
import * as Testing from "effect-http-auth/testing"
import * as BearerSubpath from "effect-http-auth/Bearer"

describe("the package's exports map", () => {
  it.effect("resolves the root, ./testing and a module subpath by the package name", () =>
    Effect.gen(function* () {
      const auth = yield* BearerSubpath.make("t")
      expect(HttpAuth.isHttpAuth(auth)).toBe(true)
      expect(BearerSubpath.make).toBe(Bearer.make)
      expect(typeof Testing.randomFixed).toBe("function")
    })
  )
})
