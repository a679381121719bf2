/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) as the person of the examples
 * that log in on oidc-provider's dev pages; the tests' person signs in with the same steps.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { type BrowserContext, chromium, type Page } from "playwright-core"

/** A browser with a fresh profile, closed (and the profile removed) with the scope. */
export const headlessChromium = (name: string): Effect.Effect<BrowserContext, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => {
      const profile = mkdtempSync(join(tmpdir(), `${name}-chromium-`))
      return chromium
        .launchPersistentContext(profile, {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          headless: true,
          // no sandbox (CI runs as root); no background networking, which floods a closed network with refusals
          args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
        })
        .then((context) => ({ context, profile }))
    }),
    ({ context, profile }) =>
      Effect.promise(() => context.close().then(() => rmSync(profile, { recursive: true, force: true })))
  ).pipe(Effect.map(({ context }) => context))

/** The person on oidc-provider's dev pages: signs in as `login` (any password), then consents. */
export const signInAndConsent = async (page: Page, login: string) => {
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', "any password")
  await page.click('button[type="submit"]')
  await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" })
  await page.click('button[type="submit"]')
}
