/**
 * Credentials per host from a .netrc file: requests to a host with a
 * `machine` entry carry its login and password as Basic; other hosts get
 * nothing.
 *
 *   npx tsx examples/netrc.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient, HttpServerResponse } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { HttpAuth, NetRc } from "effect-http-auth"
import { serve } from "./support/loopback.js"

const main = Effect.gen(function* () {
  const server = yield* serve((seen) =>
    seen.headers.authorization === `Basic ${Buffer.from("alice:s3cret").toString("base64")}`
      ? HttpServerResponse.text("hello alice")
      : HttpServerResponse.text(`authorization=${seen.headers.authorization ?? "(none)"}`, { status: 401 })
  )
  // A .netrc file (mode 0600, as it should be) with an entry for 127.0.0.1 only.
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "netrc-example-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const file = join(dir, ".netrc")
  writeFileSync(file, "# example\nmachine 127.0.0.1\n  login alice\n  password s3cret\n", { mode: 0o600 })

  const AuthLive = HttpAuth.layer(NetRc.make({ file })).pipe(
    Layer.provide([NodeHttpClient.layerUndici, NodeFileSystem.layer])
  )
  yield* Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const ok = yield* client.get(`${server.origin}/private`)
    yield* Console.log(`127.0.0.1: GET /private -> ${ok.status} ${yield* ok.text}`)
    const other = yield* client.get(`http://localhost:${server.port}/private`)
    yield* Console.log(`localhost: GET /private -> ${other.status} ${yield* other.text}`)
  }).pipe(Effect.provide(AuthLive))
})

NodeRuntime.runMain(Effect.scoped(main))
