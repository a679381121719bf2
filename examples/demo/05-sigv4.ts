import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect } from "effect"
import { AwsSigV4, HttpAuth } from "../../src/index.js"
import { answer, got, sent } from "../support/demoLines.js"
import { serve } from "../support/loopback.js"
import { s3StandIn, verifying } from "../support/sigv4Verifier.js"

export const title = "AWS Signature V4, checked by a server that recomputes every signature"

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }

export default Effect.gen(function* () {
  // An API that recomputes each signature with @smithy/signature-v4 (the AWS SDK's signer).
  const api = yield* serve(verifying(credentials))
  const client = yield* HttpAuth.client(AwsSigV4.make({ region: "eu-west-1", service: "execute-api", credentials }))
  const ok = yield* client.post(`${api.origin}/prod/orders?customer=ada%20l&page=2`, {
    body: HttpBody.text('{"item":"tea"}', "application/json")
  })
  const signature = ok.request.headers.authorization!.replace(/Signature=(.{8}).*/, "Signature=$1…")
  yield* sent("SigV4", "POST /prod/orders?customer=ada%20l&page=2", [`authorization: ${signature}`])
  yield* got(yield* answer(ok))

  const stolen = yield* HttpAuth.client(
    AwsSigV4.make({
      region: "eu-west-1",
      service: "execute-api",
      credentials: { ...credentials, secretAccessKey: "x" }
    })
  )
  const refused = yield* stolen.get(`${api.origin}/prod/orders`)
  yield* sent("wrong secret", "GET /prod/orders  authorization: AWS4-HMAC-SHA256 …")
  yield* got(`${refused.status}`)

  // S3: a signed PUT, then a presigned GET that needs no credentials.
  const s3 = yield* serve(s3StandIn(credentials))
  const s3Client = yield* HttpAuth.client(AwsSigV4.make({ region: "us-east-1", service: "s3", credentials }))
  const put = yield* s3Client.put(`${s3.origin}/bucket/report (1).csv`, { body: HttpBody.text("a,b\n1,2\n") })
  yield* sent(
    "S3 PUT",
    `PUT ${new URL(put.request.url).pathname}  x-amz-content-sha256: ${put.request.headers["x-amz-content-sha256"]!.slice(0, 8)}…`
  )
  yield* got(yield* answer(put))
  const url = yield* AwsSigV4.presign(HttpClientRequest.get(`${s3.origin}/bucket/report (1).csv`), {
    region: "us-east-1",
    service: "s3",
    expires: 60,
    credentials
  })
  const download = yield* HttpClient.get(url)
  const signed = [...url.searchParams.keys()].map((name) => name.replace("X-Amz-", ""))
  yield* sent("presigned", `GET ${url.pathname}?X-Amz-…`, [
    `(${signed.join(", ")}; Signature=${url.searchParams.get("X-Amz-Signature")!.slice(0, 8)}…)`,
    "no authorization header"
  ])
  yield* got(yield* answer(download))
}).pipe(Effect.provide(NodeHttpClient.layerUndici))
