import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { DeviceDisplay, Discovery, HttpAuth, OAuth2, type Token } from "../../src/index.js"
import { answer, got, header, note, sent } from "../support/demoLines.js"
import { protectedApi, startOidcProvider } from "../support/oidcProvider.js"

export const title = "Discovery (RFC 8414) and the device grant (RFC 8628), revoke, introspect, userinfo"

const clients = [
  {
    client_id: "demo-tv",
    token_endpoint_auth_method: "none",
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
    response_types: [],
    redirect_uris: []
  },
  { client_id: "demo-api", client_secret: "api-secret", grant_types: [], response_types: [], redirect_uris: [] }
]

export default Effect.gen(function* () {
  const oidc = yield* startOidcProvider({
    clients,
    features: {
      deviceFlow: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true }
    },
    configuration: {
      scopes: ["openid", "offline_access"],
      // the accounts: any id is a person whose only claim is sub (oidc-provider's default warns)
      findAccount: async (_ctx: unknown, accountId: string) => ({ accountId, claims: async () => ({ sub: accountId }) })
    }
  })
  const api = yield* protectedApi(oidc, { clientId: "demo-api", clientSecret: "api-secret" })
  const path = (url: string | undefined) => (url === undefined ? "(none)" : new URL(url).pathname)

  const metadata = yield* OAuth2.discover(oidc.issuer)
  yield* sent("discovery", "GET /.well-known/openid-configuration")
  yield* got(
    `200 token ${path(metadata.token_endpoint)}, device ${path(metadata.device_authorization_endpoint)}, ` +
      `revocation ${path(metadata.revocation_endpoint)}, jwks ${path(metadata.jwks_uri)}`
  )

  // The person approves on another device; here oidc-provider's own model records the approval
  // that its verification pages would (the device_code test drives them in Chromium).
  const approve = (userCode: string) =>
    Effect.promise(async () => {
      // stored as oidc-provider's pages read it from a person: upper case, no dash
      const code = await oidc.provider.DeviceCode.findByUserCode(userCode.toUpperCase().replace(/\W/g, ""))
      const grant = new oidc.provider.Grant({ accountId: "alice", clientId: "demo-tv" })
      grant.addOIDCScope("openid offline_access")
      code!.grantId = await grant.save()
      code!.accountId = "alice"
      code!.scope = "openid offline_access"
      code!.authTime = Math.floor(Date.now() / 1000)
      await code!.save()
    })
  const display = DeviceDisplay.layer((prompt) =>
    Effect.gen(function* () {
      yield* sent("device", `POST ${path(metadata.device_authorization_endpoint)}  client_id=demo-tv`)
      yield* got(`200 user_code ${prompt.userCode}, verification_uri ${path(prompt.verificationUri)}`)
      yield* note("DeviceDisplay shows the code; the person approves it 0.5 s later")
      yield* Effect.forkDaemon(Effect.zipRight(Effect.sleep("500 millis"), approve(prompt.userCode)))
    })
  )

  const tokens: Array<Token.Token> = []
  const client = yield* HttpAuth.client(
    OAuth2.deviceCode({
      issuer: oidc.issuer,
      clientId: "demo-tv",
      scope: ["openid", "offline_access"],
      // oidc-provider sends no interval; RFC 8628's default of 5 s is too slow for a demo
      interval: "200 millis",
      onToken: (token) => Effect.sync(() => tokens.push(token))
    })
  ).pipe(Effect.provide(display))
  const me = yield* client.get(`${api.origin}/me`).pipe(Effect.timeout("20 seconds"))
  const polls = (yield* oidc.requests).filter((request) => request === "POST /token").length
  yield* sent("token polls", "POST /token  grant_type=urn:ietf:params:oauth:grant-type:device_code")
  yield* got(`400 authorization_pending ×${polls - 1}, then 200 access and refresh token`)
  yield* sent("API", "GET /me", [header("authorization", me.request.headers.authorization)])
  yield* got(yield* answer(me))

  const token = tokens[0]!
  const claims = yield* OAuth2.userinfo({ issuer: oidc.issuer, accessToken: token.accessToken })
  yield* sent("userinfo", "GET /me", [header("authorization", me.request.headers.authorization)])
  yield* got(`200 sub ${String(claims.sub)}`)
  const asApi = { issuer: oidc.issuer, token: token.accessToken, clientId: "demo-api", clientSecret: "api-secret" }
  const before = yield* OAuth2.introspect(asApi)
  yield* sent("introspect", "POST /token/introspection  token=…")
  yield* got(`200 active: ${before.active}, sub ${before.sub}, client_id ${before.client_id}`)
  yield* OAuth2.revoke({ issuer: oidc.issuer, token: token.accessToken, clientId: "demo-tv" })
  yield* sent("revoke", "POST /token/revocation  token=…  client_id=demo-tv")
  yield* got("200")
  yield* sent("introspect", "POST /token/introspection  token=…")
  yield* got(`200 active: ${(yield* OAuth2.introspect(asApi)).active}`)
  const discoveries = (yield* oidc.requests).filter((r) => r === "GET /.well-known/openid-configuration").length
  yield* note(`metadata reads: ${discoveries} for discover, the grant and the four calls (Discovery.layer)`)
}).pipe(Effect.provide(Layer.provideMerge(Discovery.layer(), NodeHttpClient.layerUndici)))
