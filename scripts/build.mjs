#!/usr/bin/env node
// `npm run build`: the types from tsc (one .d.ts per module, so editors and docs see the modules), the
// JavaScript from esbuild as one file per entry plus the chunks the entries share. Node's ESM loader
// pays about 0.6 ms per module file: 74 files made the core's import 72 ms, one bundle makes it about
// 25 ms (issue 20, `npm run bench -- import`). Every package import (effect, @effect/platform, jose,
// platform-node, ioredis, undici) stays an import, so users share one copy of each, and the optional
// peers stay out of the core entry (test/package/pack.test.ts walks the built core entry's imports).
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = join(root, "dist")

rmSync(dist, { recursive: true, force: true })
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--emitDeclarationOnly"],
  {
    cwd: root,
    stdio: "inherit"
  }
)
await build({
  absWorkingDir: root,
  entryPoints: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
    "node/index": "src/node/index.ts",
    "redis/index": "src/redis/index.ts"
  },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  // one copy of a module shared by the entries: the core's services and errors are the same objects
  // whether a user reaches them through `effect-http-auth` or `effect-http-auth/testing`
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  tsconfig: "tsconfig.build.json",
  logLevel: "warning"
})
