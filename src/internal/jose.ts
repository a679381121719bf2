/**
 * jose, loaded when first needed: a program that never signs or verifies a
 * JWT does not pay its import (about a third of the core entry's load time,
 * bench/import.bench.ts) at start.
 */
import * as Effect from "effect/Effect"

export const jose = Effect.promise(() => import("jose"))
