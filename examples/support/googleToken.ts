/**
 * Google's token endpoint as far as a service account's JWT bearer grant
 * goes (Google's own is not reachable here): on 127.0.0.1, it verifies the
 * RS256 assertion with the public key of the service account key, records
 * its header and claims, and answers an access token (with `scope`) or a
 * signed id_token (with `target_audience`).
 */
import type { KeyObject } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { Effect, type Scope } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { serve } from "./loopback.js"

export interface GoogleToken {
  /** The token endpoint URL, for the key file's `token_uri`. */
  readonly tokenUri: string
  /** Each verified assertion: its claims, its `header` and the names of the form's fields (`form`). */
  readonly assertions: Array<Record<string, unknown>>
}

export const startGoogleToken = (keys: {
  readonly publicKey: KeyObject
  readonly privateKey: KeyObject
}): Effect.Effect<GoogleToken, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const assertions: Array<Record<string, unknown>> = []
    const server = yield* serve((seen) =>
      Effect.promise(async () => {
        const form = new URLSearchParams(seen.body)
        if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
          return HttpServerResponse.unsafeJson({ error: "unsupported_grant_type" }, { status: 400 })
        }
        const verified = await jwtVerify(form.get("assertion") ?? "", keys.publicKey, {
          algorithms: ["RS256"],
          audience: `http://${seen.headers.host}/token`
        }).catch(() => undefined)
        if (verified === undefined) {
          return HttpServerResponse.unsafeJson(
            { error: "invalid_grant", error_description: "Invalid JWT Signature." },
            { status: 400 }
          )
        }
        assertions.push({ header: verified.protectedHeader, ...verified.payload, form: [...form.keys()] })
        const payload = verified.payload
        if (typeof payload.target_audience === "string") {
          const idToken = await new SignJWT({ aud: payload.target_audience, email: payload.iss })
            .setProtectedHeader({ alg: "RS256" })
            .setIssuedAt()
            .setExpirationTime("1h")
            .sign(keys.privateKey)
          return HttpServerResponse.unsafeJson({ id_token: idToken })
        }
        return HttpServerResponse.unsafeJson({
          access_token: `ya29.for-${payload.sub ?? payload.iss}`,
          expires_in: 3599,
          token_type: "Bearer"
        })
      })
    )
    return { tokenUri: `${server.origin}/token`, assertions }
  })
