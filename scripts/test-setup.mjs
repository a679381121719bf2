#!/usr/bin/env node
// `npm test`'s set-up step: finds the system servers and oracles the tests run against and, where one is
// missing, installs it with apt-get (as root) or stops with the one command that does.
// Add a row here when a test starts using another Debian package.
import { execFileSync, spawnSync } from "node:child_process"
import { accessSync, constants } from "node:fs"

/** Debian package, what the tests use it for, and how to tell it is there. */
const needs = [
  { pkg: "lighttpd", why: "a real Digest server", present: () => found("lighttpd") },
  { pkg: "chromium", why: "headless browser flows", present: () => found("chromium") },
  { pkg: "python3-botocore", why: "the SigV4 cross-check", present: () => python("botocore") },
  { pkg: "python3-oauthlib", why: "the OAuth 1.0a provider", present: () => python("oauthlib") },
  { pkg: "squid", why: "a real forward proxy with Basic proxy auth", present: () => found("squid") },
  { pkg: "redis-server", why: "the fleet token cache (TokenCache on Redis)", present: () => found("redis-server") }
]

// Debian's python3, not a pyenv or venv one earlier on PATH: the python3-* packages live in its path.
const python = (module) => spawnSync("/usr/bin/python3", ["-c", `import ${module}`], { stdio: "ignore" }).status === 0
const executable = (path) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
// sbin too: lighttpd lives in /usr/sbin, which a non-root PATH often lacks.
const found = (command) =>
  ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"].some((dir) => executable(`${dir}/${command}`))

const missing = needs.filter((need) => !need.present())
if (missing.length === 0) process.exit(0)

const names = missing.map((need) => need.pkg)
const install = `apt-get install -y --no-install-recommends ${names.join(" ")}`
for (const need of missing) console.log(`test set-up: ${need.pkg} is missing (${need.why})`)

const isRoot = process.getuid?.() === 0
const hasApt = found("apt-get")
if (!isRoot || !hasApt) {
  console.error(`test set-up: install them first, then run npm test again:\n  sudo apt-get update && sudo ${install}`)
  process.exit(1)
}

console.log(`test set-up: installing ${names.join(" ")} with apt-get`)
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
try {
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env })
  execFileSync(
    "apt-get",
    ["install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends", ...names],
    { stdio: ["ignore", "ignore", "inherit"], env }
  )
} catch {
  console.error(`test set-up: apt-get failed; run it yourself and read its error:\n  apt-get update && ${install}`)
  process.exit(1)
}
const still = missing.filter((need) => !need.present()).map((need) => need.pkg)
if (still.length > 0) {
  console.error(`test set-up: still missing after apt-get: ${still.join(" ")}`)
  process.exit(1)
}
