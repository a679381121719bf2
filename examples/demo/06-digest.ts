import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpServerResponse } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { Effect } from "effect"
import { Digest, HttpAuth, NetRc } from "../../src/index.js"
import { answer, got, header, note, sent } from "../support/demoLines.js"
import { digestServer } from "../support/digestServer.js"
import { serve } from "../support/loopback.js"

export const title = "Digest (RFC 7616) and .netrc"

/** A Digest Authorization value, the nonce, cnonce and response hash shortened. */
const digestHeader = (value: string | undefined) =>
  (value ?? "(none)")
    .replace(/response="([0-9a-f]{8})[0-9a-f]+"/, 'response="$1…"')
    .replace(/nonce="([0-9a-f]{8})[0-9a-f]+"/, 'nonce="$1…"')
    .replace(/cnonce="[^"]+"/, 'cnonce="…"')

export default Effect.gen(function* () {
  const server = yield* digestServer({ realm: "demo", users: [["demo", "s3cret"]] })
  const digest = yield* HttpAuth.client(Digest.make("demo", "s3cret"))
  const first = yield* digest.get(`${server.origin}/private`)
  yield* sent("Digest", "GET /private  (no authorization)")
  yield* got('401  www-authenticate: Digest realm="demo", qop="auth", nonce=…')
  yield* sent("", "GET /private", [`authorization: ${digestHeader(first.request.headers.authorization)}`])
  yield* got(yield* answer(first))
  for (let i = 0; i < 4; i++) yield* digest.get(`${server.origin}/private`)
  yield* note(`5 requests, ${server.received.length} exchanges: the challenge is reused, nc counts`)

  const basicServer = yield* serve((seen) => HttpServerResponse.text(seen.headers.authorization ?? "(none)"))
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "demo-netrc-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  writeFileSync(join(dir, ".netrc"), "machine 127.0.0.1 login demo password s3cret\n", { mode: 0o600 })
  const netrc = yield* HttpAuth.client(NetRc.make({ file: join(dir, ".netrc") }))
  const fromNetrc = yield* netrc.get(`${basicServer.origin}/`)
  yield* sent(".netrc", "GET 127.0.0.1/", [header("authorization", fromNetrc.request.headers.authorization)])
  yield* got(`${fromNetrc.status} (machine 127.0.0.1 login demo in the .netrc)`)
}).pipe(Effect.provide([NodeHttpClient.layerUndici, NodeFileSystem.layer]))
