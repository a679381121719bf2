import { configDefaults, defineConfig } from "vitest/config"

// Files that start many processes of their own (8-process fleets, npm installs): they run one at a time
// after the rest, so they never compete with each other or the suite for the 2 cores of a CI machine.
const heavy = ["test/RedisTokenCache.test.ts", "test/TokenCache.fleet.test.ts", "test/package/pack.test.ts"]

export default defineConfig({
  // "source" resolves effect-http-auth and effect-http-auth/testing (the package's own
  // exports map, as users import them) to src/, so tests need no build first.
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...heavy],
          sequence: { groupOrder: 0 }
        }
      },
      {
        extends: true,
        test: {
          name: "processes",
          include: heavy,
          // one fork for all three: one file at a time
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 }
        }
      }
    ]
  }
})
