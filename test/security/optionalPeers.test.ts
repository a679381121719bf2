import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"

/** Every module the core entry loads, following relative imports from src/index.ts. */
const reachable = (entry: string) => {
  const seen = new Map<string, ReadonlyArray<string>>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const source = readFileSync(file, "utf8")
    // `import ... from "x"` and `export ... from "x"`, not `import type` (erased) nor JSDoc examples.
    const specifiers = [...source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+"([^"]+)"/gms)].map(
      (match) => match[1]!
    )
    seen.set(file, specifiers)
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")))
    }
  }
  visit(entry)
  return seen
}

describe("the core entry", () => {
  it("loads no optional peer: nothing it imports reaches @effect/platform-node", () => {
    const modules = reachable(join(import.meta.dirname, "../../src/index.ts"))
    const offenders = [...modules].filter(([, specifiers]) =>
      specifiers.some((specifier) => specifier.startsWith("@effect/platform-node") || specifier === "undici")
    )
    expect(modules.size).toBeGreaterThan(20)
    expect(offenders.map(([file]) => file)).toEqual([])
  })

  it("loads no ioredis, nor does the Node entry: only effect-http-auth/redis needs it", () => {
    for (const entry of ["../../src/index.ts", "../../src/node/index.ts"]) {
      const modules = reachable(join(import.meta.dirname, entry))
      const offenders = [...modules].filter(([, specifiers]) => specifiers.includes("ioredis"))
      expect(offenders.map(([file]) => file)).toEqual([])
    }
    const redis = reachable(join(import.meta.dirname, "../../src/redis/index.ts"))
    expect([...redis].some(([, specifiers]) => specifiers.includes("ioredis"))).toBe(true)
  })
})
