/**
 * Every ```ts block of the README and the guides in docs/ typechecks against
 * the library as users import it (`effect-http-auth`, `effect-http-auth/testing`,
 * `effect-http-auth/node`).
 */
import ts from "typescript"
import { describe, expect, it } from "vitest"
import { codeBlocks, guides, root } from "./fixtures/docs.js"

describe("the code in the README and docs/", () => {
  it("typechecks", () => {
    const blocks = guides().flatMap((page) =>
      codeBlocks(page).map((code, i) => ({ name: `${page.path.replace(/[/.]/g, "-")}-block-${i + 1}.ts`, code }))
    )
    expect(blocks.length).toBeGreaterThan(10)
    const config = ts.getParsedCommandLineOfConfigFile(
      `${root}tsconfig.json`,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => undefined
      }
    )!
    // Each block is a module of its own, as if it were a file at the repository's root.
    const files = new Map(blocks.map(({ name, code }) => [`${root}${name}`, `${code}\nexport {}\n`]))
    const host = ts.createCompilerHost(config.options)
    const readFile = host.readFile
    host.readFile = (name) => files.get(name) ?? readFile(name)
    const fileExists = host.fileExists
    host.fileExists = (name) => files.has(name) || fileExists(name)
    const program = ts.createProgram([...files.keys()], { ...config.options, noUnusedLocals: false }, host)
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.has(d.file.fileName))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
        return `${d.file!.fileName.slice(root.length)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
      })
    expect(problems).toEqual([])
  }, 120_000)
})
