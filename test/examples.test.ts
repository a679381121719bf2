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
/** Runs a file with tsx: what it printed on stdout (ports replaced, as they change from run to run) and stderr. */
const runWithStderr = async (...args: ReadonlyArray<string>) => {
  const { stdout, stderr } = await promisify(execFile)(`${root}node_modules/.bin/tsx`, [...args], {
    cwd: root,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1" }
  })
  return { stdout: stdout.replaceAll(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT").trim(), stderr }
}
const run = async (...args: ReadonlyArray<string>) => (await runWithStderr(...args)).stdout

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
  "jwt-assertions": [
    "private_key_jwt: GET /me -> 200 for client reporting",
    "another key: OAuth2Error invalid_client",
    "jwtBearer: GET /me -> 200 for client robot-runner, subject nightly-report",
    "tokenExchange: issued_token_type urn:ietf:params:oauth:token-type:access_token",
    "tokenExchange: GET /me -> 200 for client robot-runner, subject carol",
    "Google.serviceAccount: Bearer ya29.for-…",
    "  assertion: kid k-0123, iss robot@demo.iam.gserviceaccount.com, lives 3600 s",
    "tokenResponse hook: Bearer nested…"
  ],
  dpop: [
    "GET /me -> 200 for reporting, token_type DPoP",
    "token bound to the key's thumbprint: true",
    "token requests: 2 (the first was answered use_dpop_nonce)",
    'the stolen token without a proof -> 401 DPoP error="invalid_dpop_proof", error_description="no DPoP proof"'
  ],
  "client-credentials": ["run 2: GET /me -> 200 for reporting, token requests so far: 1", "token cache file mode: 600"],
  "sigv4-s3": [
    "signed PUT /demo-bucket/hello.txt -> 200",
    "presigned GET -> 200 hello from effect-http-auth",
    "presigned GET with a longer X-Amz-Expires -> 403"
  ],
  oauth1: [
    "authorized: access token for jane (user 42)",
    "GET /resource/me -> 200, signed with HMAC-SHA1 in the header",
    "second request: no new authorization (visits: 1)",
    "RSA-SHA256 in the header -> 200",
    "PLAINTEXT in the query -> 200",
    "wrong secret -> OAuth1Error signature_invalid"
  ],
  "mtls-client": [
    'tls_client_auth, same certificate: GET /me -> 200 {"client":"service-a","bound":true}',
    "the token request went to the mTLS alias: true",
    "the API over another certificate: 401 the token is bound to another certificate",
    'no client certificate: OAuth2Error: OAuth 2 error "invalid_client" (HTTP 401): client authentication failed'
  ],
  transport: [
    "verify + cert + proxy: GET /me -> 200 authorization=Bearer api-…",
    "the API saw: client certificate test-client, proxy-authorization (none)",
    "system roots only: TlsError: TLS with https://127.0.0.1:PORT failed (SELF_SIGNED_CERT_IN_CHAIN): the server's certificate is signed by a CA this client does not trust: give that CA with verify: { caFile, caDir or ca }",
    "no proxy credentials: ProxyError: The proxy http://127.0.0.1:PORT answered 407: the proxy requires credentials: give them in the proxy URL or as username and password",
    'a key that is not the certificate\'s: NodeTransport.layer: option "cert.keyFile" is not the key of the certificate in cert.certFile'
  ],
  "device-flow": [
    "display: enter the code at /device",
    "run 1: GET /me -> 200 as alice, device logins so far: 1",
    "run 2: GET /me -> 200 as alice, device logins so far: 1"
  ],
  "redis-fleet": [
    "process 1: 100 of 100 requests -> 200",
    "process 2: 100 of 100 requests -> 200",
    "process 3: 100 of 100 requests -> 200",
    "token requests: 1",
    "in Redis: v1.… (sealed: the token is not readable)"
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

  it("runs every file of examples/, each listed in the table of docs/examples.md", () => {
    const files = readdirSync(`${root}examples`)
      .filter((name) => name.endsWith(".ts") && name !== "demo.ts")
      .map((name) => name.replace(/\.ts$/, ""))
      .sort()
    expect(Object.keys(examples).sort()).toEqual(files)
    const page = readFileSync(`${root}docs/examples.md`, "utf8")
    for (const name of files) expect(page).toContain(`| \`examples/${name}.ts\` |`)
  })

  it("npm run demo runs every part to the end, in one form, on lines under 100 characters", async () => {
    const { stdout: output, stderr } = await runWithStderr("examples/demo.ts")
    // no warning from a dependency (oidc-provider's runtime and development warnings are dealt with)
    expect(stderr).toBe("")
    const lines = output.split("\n")
    expect(lines[0]).toBe("effect-http-auth demo: the library against servers it starts on 127.0.0.1 (no internet).")
    expect(output).toContain("Basic         → GET /private  authorization: Basic ZGVt…\n              ← 200 welcome")
    expect(output).toContain("              → GET /landing  authorization: (none)\n              ← 200")
    expect(output).toContain("              · 3 concurrent API calls, 1 token request")
    expect(output).toContain("              · logins so far: 1, the token was reused")
    expect(output).toContain("              · 5 requests, 6 exchanges: the challenge is reused, nc counts")
    expect(output).toContain("              · authorizations so far: 1, the access token was reused")
    expect(output).toContain('              ← OAuth1Error: OAuth 1 problem "nonce_used" (HTTP 401) from')
    expect(output).toContain('              ← 200 {"client":"demo-app","sub":"carol"}')
    expect(output).toContain('              ← 200 {"client":"demo-tv","sub":"alice"}')
    expect(output).toContain("              · metadata reads: 1 for discover, the grant and the four calls")
    expect(output).toContain("introspect    → POST /token/introspection  token=…\n              ← 200 active: false")
    expect(lines.filter((line) => line.length >= 100)).toEqual([])
    // no secret in full: the demo's secrets appear only cut short
    expect(output).not.toMatch(/s3cret|demo-secret|demo-token|wJalrXUtnFEMI/)
    expect(output).toMatch(/\ndemo finished: \d+ parts$/)
  })
})
