/**
 * The key the test kit signs its id_tokens with (ES256), made once per
 * process: BrowserTest's (the authorization redirect's) and
 * TestAuthorizationServer's (the token endpoint's), verified with one JWKS.
 */
import { generateKeyPairSync } from "node:crypto"

const pair = generateKeyPairSync("ec", { namedCurve: "P-256" })

export const signingKey = pair.privateKey

export const jwks: { readonly keys: ReadonlyArray<Readonly<Record<string, string>>> } = {
  keys: [{ ...(pair.publicKey.export({ format: "jwk" }) as Record<string, string>), alg: "ES256", use: "sig" }]
}
