import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { AwsSigV4, HttpAuth } from "../../src/index.js"
import { serve } from "../support/loopback.js"
import { s3StandIn, verifying } from "../support/sigv4Verifier.js"

export const title = "AWS Signature V4: signed requests and a presigned URL, checked by a server that recomputes them"

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }

export default Effect.gen(function* () {
  // An API that recomputes each signature with @smithy/signature-v4 (the AWS SDK's signer).
  const api = yield* serve(verifying(credentials))
  const client = yield* HttpAuth.client(AwsSigV4.make({ region: "eu-west-1", service: "execute-api", credentials }))
  const ok = yield* client.post(`${api.origin}/prod/orders?customer=ada%20l&page=2`, {
    body: HttpBody.text('{"item":"tea"}', "application/json")
  })
  yield* Console.log(`SigV4:        POST /prod/orders -> ${ok.status} ${yield* ok.text}`)
  const [seen] = yield* api.seen
  yield* Console.log(`              ${seen!.headers.authorization!.replace(/Signature=(.{12}).*/, "Signature=$1…")}`)

  const stolen = yield* HttpAuth.client(
    AwsSigV4.make({
      region: "eu-west-1",
      service: "execute-api",
      credentials: { ...credentials, secretAccessKey: "guess" }
    })
  )
  const refused = yield* stolen.get(`${api.origin}/prod/orders`)
  yield* Console.log(`wrong secret: GET /prod/orders -> ${refused.status}`)

  // S3: a signed PUT, then a presigned GET that needs no credentials.
  const s3 = yield* serve(s3StandIn(credentials))
  const s3Client = yield* HttpAuth.client(AwsSigV4.make({ region: "us-east-1", service: "s3", credentials }))
  const put = yield* s3Client.put(`${s3.origin}/bucket/report (1).csv`, { body: HttpBody.text("a,b\n1,2\n") })
  yield* Console.log(`S3 PUT:       /bucket/report (1).csv -> ${put.status}`)
  const url = yield* AwsSigV4.presign(HttpClientRequest.get(`${s3.origin}/bucket/report (1).csv`), {
    region: "us-east-1",
    service: "s3",
    expires: 60,
    credentials
  })
  const download = yield* HttpClient.get(url)
  yield* Console.log(`presigned:    GET ${url.pathname} -> ${download.status} ${JSON.stringify(yield* download.text)}`)
}).pipe(Effect.provide(NodeHttpClient.layerUndici))
