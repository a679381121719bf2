/**
 * `Google.serviceAccount` and `Google.idToken` against a loopback token
 * endpoint that does what Google's does with the assertion: verifies it
 * (RS256) with the public key of a key file made here, checks its claims,
 * and answers an access token or an id_token.
 */
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Config } from "effect"
import { jwtVerify } from "jose"
import { Google, HttpAuth } from "../../src/index.js"
import { startGoogleToken } from "../../examples/support/googleToken.js"
import { echo, serve } from "../fixtures/server.js"

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString()

const googleToken = startGoogleToken({ publicKey, privateKey })

const keyFile = (tokenUri: string) => ({
  type: "service_account",
  project_id: "demo",
  private_key_id: "0123abcd",
  private_key: pem,
  client_email: "robot@demo.iam.gserviceaccount.com",
  client_id: "1234567890",
  token_uri: tokenUri
})

describe("Google.serviceAccount", () => {
  it.live("a key file read through FileSystem: the RS256 assertion Google wants, the token as bearer", () =>
    Effect.gen(function* () {
      const { tokenUri, assertions } = yield* googleToken
      const api = yield* serve(echo)
      const dir = mkdtempSync(join(tmpdir(), "google-"))
      const path = join(dir, "robot.json")
      writeFileSync(path, JSON.stringify(keyFile(tokenUri)), { mode: 0o600 })
      const client = yield* HttpAuth.client(
        Google.serviceAccount({
          credentials: path,
          scopes: ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/pubsub"]
        })
      )
      const response = yield* client.get(`${api.origin}/v1/projects`)
      const seen = (yield* response.json) as { headers: Record<string, string> }
      expect(seen.headers.authorization).toBe("Bearer ya29.for-robot@demo.iam.gserviceaccount.com")
      const claims = assertions[0]!
      expect(Object.keys(claims).sort()).toEqual(["aud", "exp", "form", "header", "iat", "iss", "jti", "scope"])
      expect(claims.header).toEqual({ alg: "RS256", typ: "JWT", kid: "0123abcd" })
      expect([claims.iss, claims.aud, claims.scope, (claims.exp as number) - (claims.iat as number)]).toEqual([
        "robot@demo.iam.gserviceaccount.com",
        tokenUri,
        "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/pubsub",
        3600
      ])
      // the scope goes in the assertion, not the form; no client authentication
      expect(claims.form).toEqual(["grant_type", "assertion"])
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)))
  )

  it.live("domain-wide delegation: subject is the assertion's sub; the key from a Config of its JSON", () =>
    Effect.gen(function* () {
      const { tokenUri, assertions } = yield* googleToken
      const api = yield* serve(echo)
      const client = yield* HttpAuth.client(
        Google.serviceAccount({
          credentials: Config.redacted("GOOGLE_CREDENTIALS"),
          scopes: ["https://www.googleapis.com/auth/admin.directory.user.readonly"],
          subject: "admin@example.com"
        })
      ).pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["GOOGLE_CREDENTIALS", JSON.stringify(keyFile(tokenUri))]]))
        )
      )
      const seen = (yield* Effect.flatMap(client.get(`${api.origin}/`), (r) => r.json)) as {
        headers: Record<string, string>
      }
      expect(seen.headers.authorization).toBe("Bearer ya29.for-admin@example.com")
      expect(assertions[0]!.sub).toBe("admin@example.com")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("a key the endpoint does not trust is Google's invalid_grant", () =>
    Effect.gen(function* () {
      const { tokenUri } = yield* googleToken
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
      const client = yield* HttpAuth.client(
        Google.serviceAccount({
          credentials: { ...keyFile(tokenUri), private_key: other.export({ format: "pem", type: "pkcs8" }).toString() },
          scopes: ["email"]
        })
      )
      const error = yield* Effect.flip(client.get(`${tokenUri}/unused`))
      expect(error._tag).toBe("OAuth2Error")
      expect([(error as any).error, (error as any).errorDescription, (error as any).status]).toEqual([
        "invalid_grant",
        "Invalid JWT Signature.",
        400
      ])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("bad credentials fail when built, never quoting the key", () =>
    Effect.gen(function* () {
      const body = pem.split("\n")[1]!
      const base = keyFile("https://oauth2.googleapis.com/token")
      const cases = [
        [{ credentials: { ...base, type: "authorized_user" }, scopes: ["email"] }, "credentials"],
        [{ credentials: { ...base, client_email: "" }, scopes: ["email"] }, "credentials"],
        [
          { credentials: { ...base, private_key: `${pem.slice(0, 200)}broken` }, scopes: ["email"] },
          "credentials.privateKey"
        ],
        [{ credentials: base, scopes: [] }, "scopes"],
        [{ credentials: "/nonexistent/key.json", scopes: ["email"] }, "credentials"]
      ] as const
      for (const [options, option] of cases) {
        const error = yield* Effect.flip(Google.serviceAccount(options as Google.ServiceAccountOptions))
        expect([error._tag, error.option]).toEqual(["InvalidOptions", option])
        expect(error.message).not.toContain(body)
      }
      const noFs = yield* Effect.flip(Google.serviceAccount({ credentials: "/etc/key.json", scopes: ["email"] }))
      expect(noFs.reason).toBe("is a file path, which needs a FileSystem in context (NodeFileSystem.layer)")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})

describe("Google.idToken", () => {
  it.live("target_audience in the assertion, no scope; the id_token is the bearer", () =>
    Effect.gen(function* () {
      const { tokenUri, assertions } = yield* googleToken
      const api = yield* serve(echo)
      const client = yield* HttpAuth.client(
        Google.idToken({ credentials: keyFile(tokenUri), audience: "https://svc-abc123-ew.a.run.app" })
      )
      const seen = (yield* Effect.flatMap(client.get(`${api.origin}/`), (r) => r.json)) as {
        headers: Record<string, string>
      }
      const bearer = seen.headers.authorization!.replace(/^Bearer /, "")
      const { payload } = yield* Effect.promise(() => jwtVerify(bearer, publicKey))
      expect([payload.aud, payload.email]).toEqual([
        "https://svc-abc123-ew.a.run.app",
        "robot@demo.iam.gserviceaccount.com"
      ])
      expect(assertions[0]!.target_audience).toBe("https://svc-abc123-ew.a.run.app")
      expect(assertions[0]!.scope).toBeUndefined()
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
