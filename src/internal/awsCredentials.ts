/**
 * Fixed AWS credentials checked, for `AwsCredentials.make` and the
 * constructors that take them inline (`AwsSigV4.make`), each naming itself.
 */
import * as Effect from "effect/Effect"
import type { InvalidOptions } from "../AuthError.js"
import type { Credentials, Input } from "../AwsCredentials.js"
import { invalid, resolveSecret, resolveText } from "./options.js"

const ACCESS_KEY_ID = /^[\x21-\x7e]+$/

export const resolve = (input: Input, scheme: string): Effect.Effect<Credentials, InvalidOptions> =>
  Effect.gen(function* () {
    if (typeof input !== "object" || input === null) {
      return yield* Effect.fail(
        invalid(scheme, "credentials", "must be { accessKeyId, secretAccessKey, sessionToken? }")
      )
    }
    const accessKeyId = yield* resolveText(input.accessKeyId, scheme, "accessKeyId")
    if (typeof accessKeyId !== "string" || !ACCESS_KEY_ID.test(accessKeyId)) {
      return yield* Effect.fail(
        invalid(scheme, "accessKeyId", "must be a non-empty string of printable ASCII characters without spaces")
      )
    }
    const secretAccessKey = yield* resolveSecret(input.secretAccessKey, scheme, "secretAccessKey")
    const sessionToken =
      input.sessionToken === undefined ? undefined : yield* resolveSecret(input.sessionToken, scheme, "sessionToken")
    return { accessKeyId, secretAccessKey, sessionToken }
  })
