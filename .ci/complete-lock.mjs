// The registry this project installs from serves only some platform builds
// of packages such as @biomejs/cli-* and @rollup/rollup-*: `npm install`
// leaves the others out of package-lock.json, and `npm ci` then refuses the
// lock ("Missing: ... from lock file"). This adds each missing optional
// platform package as an optional entry restricted to its os and cpu, which
// `npm ci` skips on every other platform. Run after `npm install`:
//   node .ci/complete-lock.mjs
import { readFileSync, writeFileSync } from "node:fs"

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"))
const packages = lock.packages
const oses = ["android", "darwin", "linux", "win32", "freebsd", "openbsd", "netbsd", "sunos", "aix", "openharmony"]
const cpus = ["arm64", "x64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64", "mips64el", "wasm32"]
let added = 0
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${name}`
    if (packages[at] !== undefined) continue
    const parts = name.split(/[/-]/)
    const os = parts.find((part) => oses.includes(part)) ?? (parts.includes("win32") ? "win32" : undefined)
    const cpu = parts.find((part) => cpus.includes(part))
    if (os === undefined && cpu === undefined) {
      console.error(`left alone: ${name} (optional dependency of ${path || "the root"}, not a platform build)`)
      continue
    }
    packages[at] = {
      version: String(version).replace(/^[\^~]/, ""),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(os === undefined ? {} : { os: [os] }),
      ...(cpu === undefined ? {} : { cpu: [cpu] }),
      ...(name.endsWith("-musl") ? { libc: ["musl"] } : os === "linux" ? { libc: ["glibc"] } : {})
    }
    added++
  }
}
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`)
console.log(`complete-lock: added ${added} platform entries`)
