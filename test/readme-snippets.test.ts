/**
 * Every ```ts block of the README typechecks against the library as users
 * import it (`effect-http-auth`, `effect-http-auth/testing`).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

describe("README code", () => {
  it("typechecks", () => {
    const readme = readFileSync(`${root}README.md`, "utf8")
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
    expect(blocks.length).toBeGreaterThan(1)
    const config = ts.getParsedCommandLineOfConfigFile(
      `${root}tsconfig.json`,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => undefined
      }
    )!
    // Each block is a module of its own, as if it were a file next to the README.
    const files = new Map(blocks.map((code, i) => [`${root}readme-block-${i + 1}.ts`, `${code}\nexport {}\n`]))
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
