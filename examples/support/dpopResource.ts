/**
 * A resource server that accepts DPoP-bound tokens only (RFC 9449 section
 * 7): it verifies each proof with jose (signature, `typ`, `htm`, `htu`,
 * `iat` within 60 s, a `jti` never seen, `ath`, and its own nonce when it
 * asks for one), then asks oidc-provider (RFC 7662 introspection) whether
 * the token is active and bound to the proof's key (`cnf.jkt`).
 */
import { createHash } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { Effect, Ref } from "effect"
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from "jose"
import type { OidcProvider } from "./oidcProvider.js"
import { type Server, serve } from "./loopback.js"

export interface DpopApi extends Server {
  /** Why each refused request was refused, in order. */
  readonly refusals: Effect.Effect<ReadonlyArray<string>>
}

export const dpopApi = (
  oidc: OidcProvider,
  resourceServer: { readonly clientId: string; readonly clientSecret: string },
  options: { readonly nonce?: string | undefined } = {}
): Effect.Effect<DpopApi, unknown, import("effect").Scope.Scope> =>
  Effect.gen(function* () {
    const refusals = yield* Ref.make<ReadonlyArray<string>>([])
    const jtis = new Set<string>()
    let origin = ""
    const refuse = (error: string, reason: string, headers: Record<string, string> = {}) =>
      Effect.as(
        Ref.update(refusals, (all) => [...all, reason]),
        HttpServerResponse.text(reason, {
          status: 401,
          headers: { "www-authenticate": `DPoP error="${error}", error_description="${reason}"`, ...headers }
        })
      )
    const server = yield* serve((seen) =>
      Effect.gen(function* () {
        const token = /^DPoP (.+)$/.exec(seen.headers.authorization ?? "")?.[1]
        if (token === undefined) return yield* refuse("invalid_token", "no DPoP token")
        const proof = seen.headers.dpop
        if (proof === undefined) return yield* refuse("invalid_dpop_proof", "no DPoP proof")
        const verified = yield* Effect.promise(async () => {
          try {
            const jwk = decodeProtectedHeader(proof).jwk as JWK
            const key = await importJWK(jwk, decodeProtectedHeader(proof).alg)
            const { payload } = await jwtVerify(proof, key, { typ: "dpop+jwt" })
            return { jwk, payload }
          } catch {
            return undefined
          }
        })
        if (verified === undefined) return yield* refuse("invalid_dpop_proof", "bad proof signature")
        const { jwk, payload } = verified
        if (payload.htm !== seen.method) return yield* refuse("invalid_dpop_proof", "wrong htm")
        if (payload.htu !== `${origin}${seen.url.split("?")[0]}`)
          return yield* refuse("invalid_dpop_proof", "wrong htu")
        if (typeof payload.iat !== "number" || Math.abs(payload.iat - Date.now() / 1000) > 60) {
          return yield* refuse("invalid_dpop_proof", "stale iat")
        }
        if (typeof payload.jti !== "string" || jtis.has(payload.jti)) {
          return yield* refuse("invalid_dpop_proof", "replayed jti")
        }
        jtis.add(payload.jti)
        if (payload.ath !== createHash("sha256").update(token).digest("base64url")) {
          return yield* refuse("invalid_dpop_proof", "wrong ath")
        }
        if (options.nonce !== undefined && payload.nonce !== options.nonce) {
          return yield* refuse("use_dpop_nonce", "nonce required", { "dpop-nonce": options.nonce })
        }
        const basic = Buffer.from(`${resourceServer.clientId}:${resourceServer.clientSecret}`).toString("base64")
        const answer = yield* Effect.promise(() =>
          fetch(oidc.introspectionUrl, {
            method: "POST",
            headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ token }).toString()
          }).then(
            (response) => response.json() as Promise<{ active: boolean; client_id?: string; cnf?: { jkt?: string } }>
          )
        )
        if (!answer.active) return yield* refuse("invalid_token", "inactive token")
        const jkt = yield* Effect.promise(() => calculateJwkThumbprint(jwk, "sha256"))
        if (answer.cnf?.jkt !== jkt) return yield* refuse("invalid_token", "token not bound to the proof's key")
        return HttpServerResponse.unsafeJson({ client: answer.client_id, jkt })
      })
    )
    origin = server.origin
    return { ...server, refusals: Ref.get(refusals) }
  })
