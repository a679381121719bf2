/**
 * One run of an effect for many callers: the first caller for a key starts
 * it, every caller that asks for the same key meanwhile waits for the same
 * result. The one "fetch once" of the token cache, Digest's first challenge
 * per origin and AWS credentials refresh.
 *
 * The run is forked into the scope given to `make` (the layer that built the
 * auth), not as a daemon: a caller that is interrupted does not cancel it for
 * the others, and closing the scope interrupts it (a pending browser wait, a
 * token retry), so that nothing reaches a server after the program ended.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"

export interface SingleFlight<K> {
  /**
   * `effect` once for all the callers with this key until it ends; a failure
   * is not kept. With `owned`, the run is the first caller's own work (its
   * request): interrupting that caller interrupts it, and the others see an
   * interruption.
   */
  readonly run: <A, E>(
    key: K,
    effect: Effect.Effect<A, E>,
    options?: { readonly owned?: boolean }
  ) => Effect.Effect<A, E>
}

export const make = <K>(): Effect.Effect<SingleFlight<K>, never, Scope.Scope> =>
  Effect.map(Effect.scope, (scope) => {
    // JS runs each synchronous step whole, so a plain Map is enough
    const inflight = new Map<K, Deferred.Deferred<unknown, unknown>>()
    const run = <A, E>(
      key: K,
      effect: Effect.Effect<A, E>,
      options?: { readonly owned?: boolean }
    ): Effect.Effect<A, E> =>
      Effect.suspend(() => {
        const running = inflight.get(key) as Deferred.Deferred<A, E> | undefined
        if (running !== undefined) return Deferred.await(running)
        const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
        inflight.set(key, deferred as Deferred.Deferred<unknown, unknown>)
        return Effect.flatMap(Effect.forkIn(Effect.interruptible(effect), scope), (fiber) => {
          // an observer, not a finalizer: it also runs for a fiber interrupted before it started
          fiber.addObserver((exit) => {
            if (inflight.get(key) === deferred) inflight.delete(key)
            Deferred.unsafeDone(deferred, exit)
          })
          const awaited = Deferred.await(deferred)
          return options?.owned ? Effect.onInterrupt(awaited, () => Fiber.interrupt(fiber)) : awaited
        })
      })
    return { run }
  })
