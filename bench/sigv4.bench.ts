/**
 * SigV4 signing cost against the peers, measured in the same run:
 * @smithy/signature-v4 (the AWS SDK for JavaScript v3's signer, with a
 * node:crypto hash as @smithy/hash-node gives it in Node) and aws4; the
 * 1 MiB PUT against a bare node:crypto SHA-256 of the body; and the
 * per-request overhead of the scheme on an in-memory client.
 * Goals (issue 5): small GET at least 2x faster than aws4 and 4x faster than
 * @smithy; 1 MiB PUT within 1.05x of the bare hash. Signing is measured as
 * a program does it, many signatures in a row; a one-off `Effect.runSync`
 * per signature is shown beside, as it also pays for starting a fiber.
 */
import { createHash, createHmac } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { HttpBody, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { SignatureV4 } from "@smithy/signature-v4"
import aws4 from "aws4"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, ManagedRuntime } from "effect"
import { AwsSigV4, HttpAuth } from "effect-http-auth"
import { medians, printRatios } from "./support/measure.js"

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }

class NodeSha256 {
  private readonly hash
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", secret)
  }
  update(data: string | Uint8Array) {
    this.hash.update(data)
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.hash.digest()))
  }
}

const smithy = new SignatureV4({
  credentials,
  region: "us-east-1",
  service: "execute-api",
  sha256: NodeSha256 as never,
  applyChecksum: false
})
const smithyS3 = new SignatureV4({
  credentials,
  region: "us-east-1",
  service: "s3",
  sha256: NodeSha256 as never,
  uriEscapePath: false
})

const smithyDynamo = new SignatureV4({
  credentials,
  region: "ap-southeast-2",
  service: "dynamodb",
  sha256: NodeSha256 as never
})

const host = "abc123.execute-api.us-east-1.amazonaws.com"
const megabyte = new Uint8Array(1024 * 1024).fill(97)

const smallGet = HttpClientRequest.get(`https://${host}/prod/items/42?limit=10&page=2`)
const bigPut = HttpClientRequest.put("https://bucket.s3.amazonaws.com/object.bin").pipe(
  HttpClientRequest.setBody(HttpBody.uint8Array(megabyte, "application/octet-stream"))
)

const smallGetPeers = {
  aws4: () =>
    aws4.sign(
      { host, path: "/prod/items/42?limit=10&page=2", service: "execute-api", region: "us-east-1" },
      credentials
    ),
  smithy: () =>
    smithy.sign({
      method: "GET",
      protocol: "https:",
      hostname: host,
      path: "/prod/items/42",
      query: { limit: "10", page: "2" },
      headers: { host }
    } as never)
}

// aws4's own request shape (its README's DynamoDB example): a POST with a JSON body and an X-Amz-Target
const dynamoHost = "dynamodb.ap-southeast-2.amazonaws.com"
const dynamoBody = "{}"
const dynamoHeaders = { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables" }
const dynamoPost = HttpClientRequest.post(`https://${dynamoHost}/`).pipe(
  HttpClientRequest.setHeaders(dynamoHeaders),
  HttpClientRequest.setBody(HttpBody.text(dynamoBody, "application/x-amz-json-1.0"))
)
const dynamoPeers = {
  aws4: () =>
    aws4.sign(
      {
        service: "dynamodb",
        region: "ap-southeast-2",
        method: "POST",
        path: "/",
        headers: { "Content-Type": dynamoHeaders["content-type"], "X-Amz-Target": dynamoHeaders["x-amz-target"] },
        body: dynamoBody
      },
      credentials
    ),
  smithy: () =>
    smithyDynamo.sign({
      method: "POST",
      protocol: "https:",
      hostname: dynamoHost,
      path: "/",
      query: {},
      headers: { host: dynamoHost, ...dynamoHeaders },
      body: dynamoBody
    } as never)
}

// aws4's README's small GETs: SQS ListQueues (a query) and an S3 object (the payload hash header)
const sqsHost = "sqs.us-east-1.amazonaws.com"
const s3Host = "my-bucket.s3.us-west-1.amazonaws.com"
const sqsGet = HttpClientRequest.get(`https://${sqsHost}/?Action=ListQueues`)
const s3Get = HttpClientRequest.get(`https://${s3Host}/my-object`)
const readmeGetPeers = {
  aws4Sqs: () => aws4.sign({ service: "sqs", region: "us-east-1", path: "/?Action=ListQueues" }, credentials),
  aws4S3: () => aws4.sign({ host: s3Host, path: "/my-object", service: "s3", region: "us-west-1" }, credentials)
}

const bigPutPeers = {
  aws4: () =>
    aws4.sign(
      {
        host: "bucket.s3.amazonaws.com",
        path: "/object.bin",
        method: "PUT",
        service: "s3",
        region: "us-east-1",
        body: Buffer.from(megabyte.buffer)
      },
      credentials
    ),
  smithy: () =>
    smithyS3.sign({
      method: "PUT",
      protocol: "https:",
      hostname: "bucket.s3.amazonaws.com",
      path: "/object.bin",
      query: {},
      headers: { host: "bucket.s3.amazonaws.com" },
      body: megabyte
    } as never)
}

/**
 * `count` calls in a row, each library in its own calling convention: ours
 * in one running fiber (as a program signs, the fiber already there), aws4
 * in a loop, @smithy awaited in an async function.
 */
const inARow = {
  ours: (count: number, sign: () => Effect.Effect<unknown, unknown>) =>
    Effect.runSync(
      Effect.gen(function* () {
        for (let i = 0; i < count; i++) yield* sign()
      })
    ),
  sync: (count: number, sign: () => unknown) => {
    for (let i = 0; i < count; i++) sign()
  },
  async: async (count: number, sign: () => Promise<unknown>) => {
    for (let i = 0; i < count; i++) await sign()
  }
}

export default async () => {
  const signGet = Effect.runSync(
    AwsSigV4.signer({ region: "us-east-1", service: "execute-api", credentials, contentSha256Header: false })
  )
  const signPut = Effect.runSync(AwsSigV4.signer({ region: "us-east-1", service: "s3", credentials }))

  // Signatures in a row: what a program pays for each, with no fiber to start per signature.
  const batch = 100
  const small = await medians([
    { name: "AwsSigV4.signer", batch, fn: () => inARow.ours(batch, () => signGet(smallGet)) },
    { name: "aws4", batch, fn: () => inARow.sync(batch, smallGetPeers.aws4) },
    { name: "@smithy/signature-v4", batch, fn: () => inARow.async(batch, smallGetPeers.smithy) },
    // Signatures from outside Effect: Effect.runSync starts a fiber for each.
    {
      name: "Effect.runSync(signer) each",
      batch,
      fn: () => inARow.sync(batch, () => Effect.runSync(signGet(smallGet)))
    }
  ])
  printRatios("small GET, signing only (bench/'s own request)", small, "AwsSigV4.signer")

  const signSqs = Effect.runSync(
    AwsSigV4.signer({ region: "us-east-1", service: "sqs", credentials, contentSha256Header: false })
  )
  const signS3 = Effect.runSync(AwsSigV4.signer({ region: "us-west-1", service: "s3", credentials }))
  const readme = await medians([
    { name: "AwsSigV4.signer, SQS", batch, fn: () => inARow.ours(batch, () => signSqs(sqsGet)) },
    { name: "aws4, SQS", batch, fn: () => inARow.sync(batch, readmeGetPeers.aws4Sqs) },
    { name: "AwsSigV4.signer, S3", batch, fn: () => inARow.ours(batch, () => signS3(s3Get)) },
    { name: "aws4, S3", batch, fn: () => inARow.sync(batch, readmeGetPeers.aws4S3) }
  ])
  printRatios(
    "small GETs, signing only (aws4's README requests: SQS ListQueues, an S3 object)",
    readme,
    "AwsSigV4.signer, SQS"
  )

  const signDynamo = Effect.runSync(
    AwsSigV4.signer({ region: "ap-southeast-2", service: "dynamodb", credentials, contentSha256Header: false })
  )
  const dynamo = await medians([
    { name: "AwsSigV4.signer", batch, fn: () => inARow.ours(batch, () => signDynamo(dynamoPost)) },
    { name: "aws4", batch, fn: () => inARow.sync(batch, dynamoPeers.aws4) },
    { name: "@smithy/signature-v4", batch, fn: () => inARow.async(batch, dynamoPeers.smithy) }
  ])
  printRatios("DynamoDB POST, signing only (aws4's README request)", dynamo, "AwsSigV4.signer")

  // 40 in a row (24 ms): with fewer, the first signature after another task, out of cache, weighs on every library.
  const puts = 40
  const big = await medians(
    [
      {
        name: "bare sha256 of 1 MiB",
        batch: puts,
        fn: () => inARow.sync(puts, () => createHash("sha256").update(megabyte).digest("hex"))
      },
      { name: "AwsSigV4.signer", batch: puts, fn: () => inARow.ours(puts, () => signPut(bigPut)) },
      { name: "aws4", batch: puts, fn: () => inARow.sync(puts, bigPutPeers.aws4) },
      { name: "@smithy/signature-v4", batch: puts, fn: () => inARow.async(puts, bigPutPeers.smithy) }
    ],
    { rounds: 5, time: 300, warmup: 5 }
  )
  printRatios("1 MiB PUT, hashing and signing", big, "bare sha256 of 1 MiB")

  const inMemory = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok"))))
  const signed = Effect.runSync(AwsSigV4.make({ region: "us-east-1", service: "execute-api", credentials })).wrap(
    inMemory
  )
  const perRequest = await medians([
    { name: "bare client", fn: () => Effect.runPromise(inMemory.get(`https://${host}/prod/items/42?limit=10`)) },
    { name: "AwsSigV4.make", fn: () => Effect.runPromise(signed.get(`https://${host}/prod/items/42?limit=10`)) }
  ])
  printRatios("per request on an in-memory client", perRequest, "bare client")

  // What a program pays: a real loopback server through undici.
  const server = createServer((_, response) => response.end("ok"))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
  const base = await runtime.runPromise(HttpClient.HttpClient)
  const authenticated = await runtime.runPromise(
    HttpAuth.client(AwsSigV4.make({ region: "us-east-1", service: "execute-api", credentials }))
  )
  const url = `http://127.0.0.1:${port}/prod/items/42?limit=10`
  const loopback = await medians([
    { name: "bare client", fn: () => runtime.runPromise(Effect.flatMap(base.get(url), (response) => response.text)) },
    {
      name: "AwsSigV4.make",
      fn: () => runtime.runPromise(Effect.flatMap(authenticated.get(url), (response) => response.text))
    }
  ])
  printRatios("per request on a loopback server (undici)", loopback, "bare client")
  await runtime.dispose()
  server.close()
}
