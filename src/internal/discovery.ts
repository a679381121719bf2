/**
 * The well-known documents of RFC 8414 and OpenID Connect Discovery 1.0,
 * and the per-issuer cache of the `Discovery` service.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import type * as Scope from "effect/Scope"
import type { JSONWebKeySet } from "jose"
import { DiscoveryError } from "../AuthError.js"
import type { ServerMetadata, Service } from "../Discovery.js"
import { send } from "./http.js"
import * as SingleFlight from "./singleFlight.js"

export const isHttpUrl = (value: string) => {
  try {
    const url = new URL(value)
    return url.protocol === "https:" || url.protocol === "http:"
  } catch {
    return false
  }
}

/** RFC 8414 section 2: the issuer is a URL without query or fragment. Why it is not, or `undefined`. */
export const checkIssuer = (issuer: string): string | undefined => {
  if (!isHttpUrl(issuer)) return "the issuer must be an absolute http or https URL"
  const url = new URL(issuer)
  if (url.search !== "" || url.hash !== "" || issuer.includes("?") || issuer.includes("#")) {
    return "the issuer must have no query or fragment (RFC 8414 section 2)"
  }
  if (url.username !== "" || url.password !== "") return "the issuer must carry no credentials"
  return undefined
}

/**
 * OpenID Connect Discovery section 4.1 appends to the issuer; RFC 8414
 * section 3.1 inserts between the host and the issuer's path.
 */
export const wellKnownUrls = (issuer: string): ReadonlyArray<string> => {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, "")
  return [
    `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`
  ]
}

export type Document =
  | { readonly _tag: "Found"; readonly json: unknown }
  | { readonly _tag: "Missing"; readonly reason: string }

/** One well-known URL: a JSON document, or why there is none there (to try the next URL). */
export const getDocument = (
  client: HttpClient.HttpClient,
  url: string,
  timeout: Duration.Duration,
  limit: number,
  issuer: string
): Effect.Effect<Document, DiscoveryError> =>
  send(client, HttpClientRequest.get(url, { acceptJson: true }), {
    timeout,
    maxBytes: limit,
    words: {
      timeout: `${url} gave no answer`,
      unreachable: `could not reach ${url}`,
      unreadable: `could not read ${url}`
    },
    error: (reason) => new DiscoveryError({ issuer, reason })
  }).pipe(
    Effect.flatMap(({ response, text }): Effect.Effect<Document, DiscoveryError> => {
      if (response.status !== 200) return Effect.succeed({ _tag: "Missing", reason: `HTTP ${response.status}` })
      if (text === undefined) {
        return Effect.fail(
          new DiscoveryError({ issuer, reason: `${url} is larger than ${limit} bytes (maxResponseBytes)` })
        )
      }
      try {
        return Effect.succeed({ _tag: "Found", json: JSON.parse(text) })
      } catch {
        return Effect.succeed({ _tag: "Missing", reason: "HTTP 200 with a body that is not JSON" })
      }
    })
  )

/** A schema failure in a line: where, and what (the document comes from the network: cut short). */
export const schemaReason = (error: ParseResult.ParseError) => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const text = issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? "the document" : JSON.stringify(issue.path)} ${issue.message}`)
    .join("; ")
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** The JWKS at `url`: a JSON object with a `keys` array. */
export const fetchJwks = (
  client: HttpClient.HttpClient,
  url: string,
  issuer: string,
  timeout: Duration.Duration = Duration.seconds(30),
  limit = 1024 * 1024
): Effect.Effect<JSONWebKeySet, DiscoveryError> =>
  Effect.flatMap(getDocument(client, url, timeout, limit, issuer), (document) => {
    const json = document._tag === "Found" ? (document.json as { keys?: unknown }) : undefined
    return json !== undefined && json !== null && Array.isArray(json.keys)
      ? Effect.succeed(json as JSONWebKeySet)
      : Effect.fail(
          new DiscoveryError({
            issuer,
            reason: `${url} is no JWKS${document._tag === "Missing" ? ` (${document.reason})` : ""}`
          })
        )
  })

/**
 * The least time between two JWKS fetches asked by an unknown `kid` (jose's
 * `cooldownDuration` for its remote JWKS): a rotated key is found on the next
 * token after it, a stream of tokens with made-up kids costs one request.
 */
export const jwksCooldown = Duration.seconds(30)

/** The per-issuer cache: fresh metadata (and JWKS) from memory, else one fetch for every caller. */
export const makeService = (
  fetch: (issuer: string) => Effect.Effect<ServerMetadata, DiscoveryError>,
  refreshAfter: Duration.Duration,
  fetchKeys: (url: string, issuer: string) => Effect.Effect<JSONWebKeySet, DiscoveryError>
): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const flight = yield* SingleFlight.make<string>()
    const kept = new Map<string, { readonly metadata: ServerMetadata; readonly at: number }>()
    const keys = new Map<string, { readonly jwks: JSONWebKeySet; readonly at: number }>()
    const ttl = Duration.toMillis(refreshAfter)
    const cooldown = Duration.toMillis(jwksCooldown)
    const get = (issuer: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const entry = kept.get(issuer)
        if (entry !== undefined && now - entry.at < ttl) return Effect.succeed(entry.metadata)
        return flight.run(
          issuer,
          Effect.tap(fetch(issuer), (metadata) =>
            Effect.map(Clock.currentTimeMillis, (at) => {
              kept.set(issuer, { metadata, at })
            })
          )
        )
      })
    const invalidate = (issuer: string) =>
      Effect.sync(() => {
        kept.delete(issuer)
      })
    const jwks = (url: string, issuer: string, stale?: JSONWebKeySet) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const entry = keys.get(url)
        if (entry !== undefined && now - entry.at < ttl) {
          // another caller re-fetched since this one read its set, or the last fetch is too recent to repeat
          if (stale === undefined || entry.jwks !== stale || now - entry.at < cooldown)
            return Effect.succeed(entry.jwks)
        }
        return flight.run(
          `jwks ${url}`,
          Effect.tap(fetchKeys(url, issuer), (fetched) =>
            Effect.map(Clock.currentTimeMillis, (at) => {
              keys.set(url, { jwks: fetched, at })
            })
          )
        )
      })
    return { get, invalidate, jwks }
  })
