/**
 * The oauthlib OAuth 1.0a provider (oauth1Provider.py, Debian
 * python3-oauthlib) as a child process on a free 127.0.0.1 port, stopped
 * with the scope: the independent oracle of the OAuth 1 tests, the example
 * and the demo.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { generateKeyPairSync } from "node:crypto"
import { fileURLToPath } from "node:url"
import { Effect, type Scope } from "effect"

/** Debian's python, which has python3-oauthlib (a pyenv python3 on PATH may not). */
export const python = process.env.OAUTH1_PYTHON ?? "/usr/bin/python3"

const script = fileURLToPath(new URL("./oauth1Provider.py", import.meta.url))

export interface ProviderClient {
  readonly secret?: string | undefined
  /** PEM of the public key, for RSA-SHA1 and RSA-SHA256. */
  readonly rsaPublicKey?: string | undefined
}

export interface ProviderConfig {
  readonly clients: Readonly<Record<string, ProviderClient>>
  /** Access tokens the provider knows from the start: token to client and secret. */
  readonly accessTokens?: Readonly<Record<string, { readonly client: string; readonly secret: string }>>
  /** A verifier accepted for any request token (a test browser makes one up). */
  readonly testVerifier?: string | undefined
  /** Extra fields of the access token response. */
  readonly user?: Readonly<Record<string, string>>
}

export interface Provider {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  readonly requestTokenUrl: string
  readonly authorizationUrl: string
  readonly accessTokenUrl: string
  /** What the provider's stderr said, for a failing test's message. */
  readonly stderr: () => string
}

/** A fresh RSA key pair in PEM, for the RSA methods. */
export const rsaKeyPair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" }
  })

const start = (config: ProviderConfig) =>
  new Promise<{ child: ChildProcess; port: number; stderr: () => string }>((resolve, reject) => {
    const child = spawn(python, [script, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stderr!.on("data", (chunk) => {
      err += chunk
    })
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const line = out.split("\n")[0]
      if (out.includes("\n") && /^\d+$/.test(line!.trim())) resolve({ child, port: Number(line), stderr: () => err })
    })
    child.once("error", reject)
    child.once("exit", (code) =>
      reject(new Error(`the OAuth 1 provider (${python} ${script}) exited with ${code} before listening: ${err}`))
    )
  })

/** Starts the provider; the scope stops it. */
export const oauth1Provider = (config: ProviderConfig): Effect.Effect<Provider, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => start(config)),
      ({ child }) =>
        Effect.promise(
          () =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve()
              child.once("exit", () => resolve())
              child.kill("SIGTERM")
            })
        )
    ),
    ({ port, stderr }) => {
      const origin = `http://127.0.0.1:${port}`
      return {
        origin,
        requestTokenUrl: `${origin}/request_token`,
        authorizationUrl: `${origin}/authorize`,
        accessTokenUrl: `${origin}/access_token`,
        stderr
      }
    }
  )
