import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeFileSystem } from "@effect/platform-node"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Ref, TestClock } from "effect"
import fc from "fast-check"
import { AwsCredentials } from "../src/index.js"
import { parseIni } from "../src/internal/sigv4Ini.js"

const withEnv = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

const getFrom = <E>(layer: Layer.Layer<AwsCredentials.AwsCredentials, E>) =>
  Effect.flatMap(AwsCredentials.AwsCredentials, (service) => service.get).pipe(Effect.provide(layer))

const plain = (credentials: AwsCredentials.Credentials) => ({
  accessKeyId: credentials.accessKeyId,
  secretAccessKey: Redacted.value(credentials.secretAccessKey),
  sessionToken: credentials.sessionToken === undefined ? undefined : Redacted.value(credentials.sessionToken)
})

describe("AwsCredentials.layer and layerEnv", () => {
  it.effect("fixed values, secrets kept Redacted", () =>
    Effect.gen(function* () {
      const credentials = yield* getFrom(
        AwsCredentials.layer({ accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "token" })
      )
      expect(plain(credentials)).toEqual({ accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "token" })
      expect(String(credentials.secretAccessKey)).toBe("<redacted>")
    })
  )

  it.effect("reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN through Config", () =>
    Effect.gen(function* () {
      const full = yield* getFrom(AwsCredentials.layerEnv).pipe(
        withEnv({ AWS_ACCESS_KEY_ID: "AKENV", AWS_SECRET_ACCESS_KEY: "env-secret", AWS_SESSION_TOKEN: "env-token" })
      )
      expect(plain(full)).toEqual({ accessKeyId: "AKENV", secretAccessKey: "env-secret", sessionToken: "env-token" })
      const noToken = yield* getFrom(AwsCredentials.layerEnv).pipe(
        withEnv({ AWS_ACCESS_KEY_ID: "AKENV", AWS_SECRET_ACCESS_KEY: "env-secret" })
      )
      expect(noToken.sessionToken).toBeUndefined()
    })
  )

  it.effect("a missing variable fails with InvalidOptions naming it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(getFrom(AwsCredentials.layerEnv).pipe(withEnv({ AWS_ACCESS_KEY_ID: "AKENV" })))
      expect(error._tag).toBe("InvalidOptions")
      expect(error.message).toMatch(
        /^AwsCredentials\.layerEnv: option "secretAccessKey" could not be read from the configuration: .*AWS_SECRET_ACCESS_KEY/
      )
    })
  )
})

describe("AwsCredentials.layerSharedFile", () => {
  const folder = mkdtempSync(join(tmpdir(), "sigv4-credentials-"))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))
  const file = join(folder, "credentials")
  writeFileSync(
    file,
    [
      "# comment",
      "[default]",
      "aws_access_key_id = AKDEFAULT",
      "aws_secret_access_key = default/secret+key==",
      "",
      "[ci]",
      "; another comment",
      "AWS_ACCESS_KEY_ID=AKCI",
      "aws_secret_access_key=ci-secret",
      "aws_session_token = ci-token",
      "",
      "[broken]",
      "aws_access_key_id = AKBROKEN"
    ].join("\n")
  )
  const shared = (options?: AwsCredentials.SharedFileOptions) =>
    AwsCredentials.layerSharedFile(options).pipe(Layer.provide(NodeFileSystem.layer))

  it.effect("reads the default profile, one named in the options, and AWS_PROFILE", () =>
    Effect.gen(function* () {
      expect(plain(yield* getFrom(shared({ path: file })))).toEqual({
        accessKeyId: "AKDEFAULT",
        secretAccessKey: "default/secret+key==",
        sessionToken: undefined
      })
      expect(plain(yield* getFrom(shared({ path: file, profile: "ci" })))).toEqual({
        accessKeyId: "AKCI",
        secretAccessKey: "ci-secret",
        sessionToken: "ci-token"
      })
      const fromEnv = yield* getFrom(shared()).pipe(withEnv({ AWS_PROFILE: "ci", AWS_SHARED_CREDENTIALS_FILE: file }))
      expect(fromEnv.accessKeyId).toBe("AKCI")
    })
  )

  it.effect("looks in HOME/.aws/credentials when no path is given", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(getFrom(shared()).pipe(withEnv({ HOME: folder })))
      expect(error.message).toMatch(
        new RegExp(`^AwsCredentials\\.layerSharedFile: could not read ${folder}/\\.aws/credentials: `)
      )
    })
  )

  it.effect("a missing profile or key fails with a SigningError naming the file and profile, never a value", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(getFrom(shared({ path: file, profile: "nope" })))
      expect(missing._tag).toBe("SigningError")
      expect(missing.message).toBe(`AwsCredentials.layerSharedFile: ${file} has no profile [nope]`)
      const broken = yield* Effect.flip(getFrom(shared({ path: file, profile: "broken" })))
      expect(broken.message).toBe(
        `AwsCredentials.layerSharedFile: profile [broken] in ${file} has no aws_secret_access_key`
      )
      expect(broken.message).not.toContain("AKBROKEN")
    })
  )
})

describe("AwsCredentials.refreshable", () => {
  const issue = (counter: Ref.Ref<number>, lifetime: number) =>
    Effect.gen(function* () {
      const n = yield* Ref.updateAndGet(counter, (n) => n + 1)
      const now = yield* TestClock.currentTimeMillis
      yield* Effect.sleep("10 millis") // a slow provider: concurrent callers must wait for this one fetch
      return {
        accessKeyId: `AK${n}`,
        secretAccessKey: Redacted.make(`secret-${n}`),
        expiration: now + lifetime
      } satisfies AwsCredentials.Credentials
    })

  it.scoped("keeps credentials until expiration minus margin, then fetches again", () =>
    Effect.gen(function* () {
      const fetches = yield* Ref.make(0)
      const service = yield* AwsCredentials.refreshable(issue(fetches, 3_600_000), { margin: "5 minutes" })
      const first = yield* Effect.fork(service.get)
      yield* TestClock.adjust("10 millis")
      expect((yield* Fiber.join(first)).accessKeyId).toBe("AK1")
      yield* TestClock.adjust("54 minutes")
      expect((yield* service.get).accessKeyId).toBe("AK1")
      yield* TestClock.adjust("1 minute")
      const renewed = yield* Effect.fork(service.get)
      yield* TestClock.adjust("10 millis")
      expect((yield* Fiber.join(renewed)).accessKeyId).toBe("AK2")
      expect(yield* Ref.get(fetches)).toBe(2)
    })
  )

  it.scoped("ten concurrent requests on a cold provider make one fetch", () =>
    Effect.gen(function* () {
      const fetches = yield* Ref.make(0)
      const service = yield* AwsCredentials.refreshable(issue(fetches, 3_600_000))
      const all = yield* Effect.fork(
        Effect.all(
          Array.from({ length: 10 }, () => service.get),
          { concurrency: 10 }
        )
      )
      yield* TestClock.adjust("10 millis")
      const results = yield* Fiber.join(all)
      expect(new Set(results.map((c) => c.accessKeyId))).toEqual(new Set(["AK1"]))
      expect(yield* Ref.get(fetches)).toBe(1)
    })
  )

  it.scoped("a failed fetch is a SigningError and is not kept", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const flaky = Effect.flatMap(
        Ref.updateAndGet(attempts, (n) => n + 1),
        (n) =>
          n === 1
            ? Effect.fail("sts down")
            : Effect.succeed({ accessKeyId: "AKOK", secretAccessKey: Redacted.make("s") } as AwsCredentials.Credentials)
      )
      const service = yield* AwsCredentials.refreshable(flaky)
      const error = yield* Effect.flip(service.get)
      expect(error._tag).toBe("SigningError")
      expect(error.message).toBe("AwsCredentials.refreshable: the credentials provider failed")
      expect(error.cause).toBe("sts down")
      expect((yield* service.get).accessKeyId).toBe("AKOK")
      // no expiration: kept for good
      expect((yield* service.get).accessKeyId).toBe("AKOK")
      expect(yield* Ref.get(attempts)).toBe(2)
    })
  )

  it.scoped("refuses a margin that is not a finite duration", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        AwsCredentials.refreshable(Effect.die("unused"), { margin: Number.POSITIVE_INFINITY })
      )
      expect(error.message).toBe('AwsCredentials.refreshable: option "margin" must be a finite duration')
    })
  )
})

describe("shared credentials file parser (fast-check)", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/)
  // keys are read case-insensitively: generate them in one case so that none collide
  const key = fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,10}$/)
  const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/)
  it("reads back every profile and key written, whatever the spacing, comments and line endings", () => {
    fc.assert(
      fc.property(
        fc.dictionary(word, fc.dictionary(key, value, { maxKeys: 4 }), { maxKeys: 4 }),
        fc.constantFrom("\n", "\r\n"),
        fc.constantFrom("=", " = ", "  =\t"),
        (profiles, newline, equals) => {
          const text = Object.entries(profiles)
            .flatMap(([name, keys]) => [
              "# a comment",
              `[${name === "default" ? name : `profile ${name}`}]`,
              ...Object.entries(keys).map(([key, v]) => `${key}${equals}${v}`),
              "; another"
            ])
            .join(newline)
          const parsed = parseIni(text)
          for (const [name, keys] of Object.entries(profiles)) {
            for (const [key, v] of Object.entries(keys)) expect(parsed.get(name)?.get(key)).toBe(v)
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
