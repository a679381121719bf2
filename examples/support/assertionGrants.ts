/**
 * The JWT bearer grant (RFC 7523 section 2.1) and token exchange (RFC 8693
 * section 2.1) on oidc-provider (`registerGrantType`): the handlers verify
 * the assertion or the subject token with jose, and issue an access token
 * for its subject.
 */
import type { KeyObject } from "node:crypto"
import { jwtVerify } from "jose"
import type { OidcProvider } from "./oidcProvider.js"

const issue = async (oidc: OidcProvider, ctx: any, accountId: string, gty: string, extra: Record<string, unknown>) => {
  const { provider } = oidc
  const params = ctx.oidc.params as Record<string, string | undefined>
  const client = ctx.oidc.client!
  const scope = params.scope ?? ""
  const grant = new provider.Grant({ accountId, clientId: client.clientId })
  grant.addOIDCScope(scope)
  const grantId = await grant.save()
  const accessToken = new provider.AccessToken({ accountId, client, grantId, gty, scope })
  ctx.body = {
    access_token: await accessToken.save(),
    expires_in: accessToken.expiration,
    token_type: accessToken.tokenType,
    ...(scope === "" ? {} : { scope }),
    ...extra
  }
}

/** What the handlers saw, for the tests to assert on. */
export interface Seen {
  readonly assertions: Array<Record<string, unknown>>
  readonly exchanges: Array<Record<string, string | undefined>>
}

export const registerAssertionGrants = async (
  oidc: OidcProvider,
  keys: { readonly assertion: KeyObject; readonly subjectToken: KeyObject }
): Promise<Seen> => {
  const { errors } = await import("oidc-provider")
  const seen: Seen = { assertions: [], exchanges: [] }
  oidc.provider.registerGrantType(
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    async (ctx: any) => {
      const assertion = ctx.oidc.params.assertion as string
      // RFC 7523 section 3: aud is the token endpoint (or the issuer), and exp bounds it
      const verified = await jwtVerify(assertion, keys.assertion, {
        audience: [oidc.tokenUrl, oidc.issuer],
        requiredClaims: ["iss", "sub", "exp", "iat", "jti"]
      }).catch(() => undefined)
      if (verified === undefined) throw new errors.InvalidGrant("the assertion does not verify")
      seen.assertions.push({ ...verified.protectedHeader, ...verified.payload })
      await issue(oidc, ctx, String(verified.payload.sub), "jwt-bearer", {})
    },
    ["assertion", "scope"]
  )
  oidc.provider.registerGrantType(
    "urn:ietf:params:oauth:grant-type:token-exchange",
    async (ctx: any) => {
      const params = ctx.oidc.params as Record<string, string | undefined>
      seen.exchanges.push({ ...params })
      if (params.subject_token_type !== "urn:ietf:params:oauth:token-type:jwt") {
        throw new (errors as any).InvalidRequest("unsupported subject_token_type")
      }
      const verified = await jwtVerify(params.subject_token ?? "", keys.subjectToken).catch(() => undefined)
      if (verified === undefined) throw new errors.InvalidGrant("the subject token does not verify")
      await issue(oidc, ctx, String(verified.payload.sub), "token-exchange", {
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token"
      })
    },
    [
      "subject_token",
      "subject_token_type",
      "actor_token",
      "actor_token_type",
      "audience",
      "resource",
      "requested_token_type",
      "scope"
    ]
  )
  return seen
}
