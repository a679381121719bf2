/**
 * `npm run bench`: every bench/*.bench.ts file default-exports a function
 * that runs its measurements and prints ratios measured in the same run.
 */
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const folder = dirname(fileURLToPath(import.meta.url))
const only = process.argv[2]
for (const name of readdirSync(folder)
  .filter((name) => name.endsWith(".bench.ts"))
  .sort()) {
  if (only !== undefined && !name.includes(only)) continue
  const part = (await import(join(folder, name))) as { default: () => Promise<void> }
  console.log(`\n## ${name.replace(".bench.ts", "")}`)
  await part.default()
}
