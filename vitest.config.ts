import { defineConfig } from "vitest/config"

export default defineConfig({
  // "source" resolves effect-http-auth and effect-http-auth/testing (the package's own
  // exports map, as users import them) to src/, so tests need no build first.
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks"
  }
})
