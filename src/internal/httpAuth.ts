/**
 * The core of an `HttpAuth` value, for the public module (../HttpAuth.ts,
 * which re-exports it) and for the internal builders of the schemes
 * (tokenScheme.ts), so that neither imports the other's runtime.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Effect from "effect/Effect"
import { pipeArguments } from "effect/Pipeable"
import type { AuthError } from "../AuthError.js"
import type * as Public from "../HttpAuth.js"
import type { Credentials, HttpAuth } from "../HttpAuth.js"

export const TypeId: Public.TypeId = Symbol.for("effect-http-auth/HttpAuth") as Public.TypeId

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    return pipeArguments(this, arguments)
  }
}

const noCredentials: Credentials = { headers: [], params: [] }

export const make = (wrap: HttpAuth["wrap"], credentials: Credentials = noCredentials): HttpAuth => {
  const self = Object.create(Proto)
  self.wrap = wrap
  self.credentials = {
    headers: credentials.headers.map((name) => name.toLowerCase()),
    params: credentials.params
  }
  self.parts = [self]
  return self
}

export const fromRequest = (
  f: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientRequest.HttpClientRequest, AuthError>,
  credentials: Credentials = noCredentials
): HttpAuth => make((client) => HttpClient.mapRequestEffect(client, f), credentials)
