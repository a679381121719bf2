/**
 * Runs every example and the demo as a user would (`npx tsx ...`) and checks
 * what they print: an example that breaks, or whose output changes, fails here.
 */
import { execFile } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const run = async (...args: ReadonlyArray<string>) => {
  const { stdout } = await promisify(execFile)(`${root}node_modules/.bin/tsx`, [...args], {
    cwd: root,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1" }
  })
  // ports change from run to run
  return stdout.replaceAll(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT").trim()
}

/** The lines each example must print, in order (other lines may come between). */
const examples: Record<string, ReadonlyArray<string>> = {
  "static-key": ["GET /items -> 200 [1,2,3]"],
  "multi-auth": [
    "api /me: x-api-key=k-123 authorization=Bearer t-456",
    "redirected to /report.csv on another origin: x-api-key=(none) authorization=(none)"
  ],
  "challenge-response": [
    'GET /report -> 200 {"rows":3} after 2 exchanges (challenge, answer)',
    "wrong key -> 401 after 2 exchanges, no loop"
  ],
  digest: ["10 requests -> 11 exchanges: the challenge was reused", "wrong password -> 401 after 2 exchanges, no loop"],
  netrc: ["127.0.0.1: GET /private -> 200 hello alice", "localhost: GET /private -> 401 authorization=(none)"],
  testing: ["MockAuth: GET https://api.test/me was authenticated with oauth2", "createToken: sub=alice, lives 300 s"],
  "client-credentials": ["run 2: GET /me -> 200 for reporting, token requests so far: 1", "token cache file mode: 600"],
  "sigv4-s3": [
    "signed PUT /demo-bucket/hello.txt -> 200",
    "presigned GET -> 200 hello from effect-http-auth",
    "presigned GET with a longer X-Amz-Expires -> 403"
  ],
  "pkce-terminal": [
    "run 1: GET /me -> 200 as alice, logins so far: 1",
    "run 2: GET /me -> 200 as alice, logins so far: 1",
    "token cache file mode: 600"
  ]
}

describe("examples", () => {
  for (const [name, expected] of Object.entries(examples)) {
    it(`examples/${name}.ts prints what it did`, async () => {
      const lines = (await run(`examples/${name}.ts`)).split("\n")
      for (const line of expected) expect(lines).toContain(line)
      const found = expected.map((line) => lines.indexOf(line))
      expect([...found].sort((a, b) => a - b)).toEqual(found)
    })
  }

  it("runs every file of examples/, each listed in the README's table", () => {
    const files = readdirSync(`${root}examples`)
      .filter((name) => name.endsWith(".ts") && name !== "demo.ts")
      .map((name) => name.replace(/\.ts$/, ""))
      .sort()
    expect(Object.keys(examples).sort()).toEqual(files)
    const readme = readFileSync(`${root}README.md`, "utf8")
    for (const name of files) expect(readme).toContain(`| \`examples/${name}.ts\` |`)
  })

  it("npm run demo runs every part to the end", async () => {
    const output = await run("examples/demo.ts")
    expect(output).toContain("Basic:   GET /private -> 200 welcome")
    expect(output).toContain(
      "Redirect http://127.0.0.1:PORT -> http://127.0.0.1:PORT: GET /landing  authorization: (none)"
    )
    expect(output).toContain("GET /me again -> 200, logins so far: 1")
    expect(output).toMatch(/\ndemo finished: \d+ parts$/)
  })
})
