/**
 * AWS Signature V4 against an S3-compatible endpoint (a loopback stand-in
 * that checks every signature with @smithy/signature-v4): a signed PUT, then
 * a presigned URL that downloads the object with no credentials at all.
 *
 *   npx tsx examples/sigv4-s3.ts
 */
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, ConfigProvider, Console, Effect, Layer } from "effect"
import { AwsCredentials, AwsSigV4, HttpAuth } from "effect-http-auth"
import { serve } from "./support/loopback.js"
import { s3StandIn } from "./support/sigv4Verifier.js"

const program = Effect.gen(function* () {
  // The user's code: it only knows HttpClient (signed) and presign.
  const endpoint = yield* Config.string("S3_ENDPOINT")
  const client = yield* HttpClient.HttpClient
  const put = yield* client.put(`${endpoint}/demo-bucket/hello.txt`, {
    body: HttpBody.text("hello from effect-http-auth")
  })
  yield* Console.log(`signed PUT /demo-bucket/hello.txt -> ${put.status}`)

  const url = yield* AwsSigV4.presign(HttpClientRequest.get(`${endpoint}/demo-bucket/hello.txt`), {
    region: "us-east-1",
    service: "s3",
    expires: 300
  })
  yield* Console.log(`presigned URL carries: ${[...url.searchParams.keys()].join(", ")}`)
  // Whoever holds the URL needs no credentials: a bare client downloads it.
  const download = yield* Effect.provide(HttpClient.get(url), NodeHttpClient.layerUndici)
  yield* Console.log(`presigned GET -> ${download.status} ${yield* download.text}`)

  url.searchParams.set("X-Amz-Expires", "604800")
  const tampered = yield* Effect.provide(HttpClient.get(url), NodeHttpClient.layerUndici)
  yield* Console.log(`presigned GET with a longer X-Amz-Expires -> ${tampered.status}`)
})

// The wiring: credentials from the environment (here, a map standing in for it).
const CredentialsLive = AwsCredentials.layerEnv
const AuthLive = HttpAuth.layer(AwsSigV4.make({ region: "us-east-1", service: "s3" })).pipe(
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provide(CredentialsLive)
)

const main = Effect.gen(function* () {
  const s3 = yield* serve(
    s3StandIn({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" })
  )
  const environment = ConfigProvider.fromMap(
    new Map([
      ["AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"],
      ["AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"],
      ["S3_ENDPOINT", s3.origin]
    ])
  )
  yield* program.pipe(Effect.provide(Layer.merge(AuthLive, CredentialsLive)), Effect.withConfigProvider(environment))
})

NodeRuntime.runMain(Effect.scoped(main))
