/**
 * The one "fetch once for many callers" of TokenCache, Digest and
 * AwsCredentials: its runs live in the scope it was made in.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Ref, Scope } from "effect"
import * as SingleFlight from "../src/internal/singleFlight.js"

describe("SingleFlight", () => {
  it.scoped("one run for all the callers of a key meanwhile; a failure is not kept", () =>
    Effect.gen(function* () {
      const flights = yield* SingleFlight.make<string>()
      const runs = yield* Ref.make(0)
      const gate = yield* Deferred.make<void>()
      const work = Effect.zipRight(
        Ref.updateAndGet(runs, (n) => n + 1),
        Deferred.await(gate)
      )
      const callers = yield* Effect.fork(
        Effect.all(
          Array.from({ length: 100 }, () => flights.run("k", Effect.zipRight(work, Ref.get(runs)))),
          { concurrency: "unbounded" }
        )
      )
      const other = yield* Effect.fork(flights.run("other", Effect.zipRight(work, Ref.get(runs))))
      yield* Deferred.succeed(gate, undefined)
      expect(new Set(yield* Fiber.join(callers)).size).toBe(1)
      yield* Fiber.join(other)
      expect(yield* Ref.get(runs)).toBe(2)
      expect(yield* Effect.exit(flights.run("k", Effect.fail("down")))).toEqual(Exit.fail("down"))
      expect(yield* flights.run("k", Effect.succeed("again"))).toBe("again")
    })
  )

  it.scoped("an interrupted caller does not cancel the run for the others; with owned, the first caller's does", () =>
    Effect.gen(function* () {
      const flights = yield* SingleFlight.make<string>()
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.fork(flights.run("k", Effect.as(Deferred.await(gate), "done")))
      yield* Effect.yieldNow()
      const second = yield* Effect.fork(flights.run("k", Effect.succeed("not run")))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(second)).toBe("done")

      const never = yield* Deferred.make<void>()
      const owner = yield* Effect.fork(flights.run("o", Effect.as(Deferred.await(never), "x"), { owned: true }))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(flights.run("o", Effect.succeed("not run")))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(owner)
      expect(Exit.isInterrupted(yield* Fiber.await(waiter))).toBe(true)
    })
  )

  it.effect("closing its scope interrupts a pending run; its callers see an interruption", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const flights = yield* Scope.extend(SingleFlight.make<string>(), scope)
      const started = yield* Deferred.make<void>()
      const finished = yield* Ref.make(false)
      const caller = yield* Effect.fork(
        flights.run(
          "k",
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
            Effect.ensuring(Ref.set(finished, true))
          )
        )
      )
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      expect(Exit.isInterrupted(yield* Fiber.await(caller))).toBe(true)
      expect(yield* Ref.get(finished)).toBe(true)
    })
  )
})
