/**
 * The README and the docs/ pages are the reference: every property of every exported `...Options`
 * interface in src/ must have a row in a table of a section (README or docs/) that
 * covers its module (a section covers module `M` when it names `` `M.`` or
 * `` `M(``, such as `` `Bearer.make(`` or `` `createToken(``).
 */
import { readdirSync, readFileSync } from "node:fs"
import { basename } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

/** `module -> interface -> property names`, from the type checker. */
const exportedOptions = () => {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${root}tsconfig.build.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined
    }
  )!
  const program = ts.createProgram(config.fileNames, config.options)
  const checker = program.getTypeChecker()
  const found: Array<{ module: string; name: string; properties: Array<string> }> = []
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(`${root}src/`) || file.fileName.includes("/internal/")) continue
    ts.forEachChild(file, (node) => {
      if (
        ts.isInterfaceDeclaration(node) &&
        /Options$/.test(node.name.text) &&
        node.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
      ) {
        const properties = checker.getPropertiesOfType(checker.getTypeAtLocation(node)).map((p) => p.name)
        found.push({ module: basename(file.fileName, ".ts"), name: node.name.text, properties })
      }
    })
  }
  return found
}

/** Sections (split at headings) of the README and the docs/ pages, with the table rows of each. */
const sections = () =>
  [
    "README.md",
    ...readdirSync(`${root}docs`)
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`)
  ]
    .flatMap((path) => readFileSync(`${root}${path}`, "utf8").split(/\n(?=#{2,4} )/))
    .map((text) => ({ text, rows: text.split("\n").filter((line) => line.startsWith("|")) }))

describe("README option tables", () => {
  const options = exportedOptions()

  it("finds the options interfaces to check", () => {
    expect(options.map((o) => `${o.module}.${o.name}`)).toEqual(
      expect.arrayContaining([
        "Bearer.Options",
        "ApiKey.HeaderOptions",
        "ApiKey.QueryOptions",
        "HttpAuth.RedirectOptions"
      ])
    )
  })

  for (const { module, name, properties } of options) {
    it(`documents every option of ${module}.${name}`, () => {
      const covering = sections().filter((s) => s.text.includes(`\`${module}.`) || s.text.includes(`\`${module}(`))
      expect(covering.length, `no README section names \`${module}.\``).toBeGreaterThan(0)
      const rows = covering.flatMap((s) => s.rows)
      const missing = properties.filter((property) => !rows.some((row) => row.includes(`\`${property}\``)))
      expect(missing, `${module}.${name}: options without a README table row`).toEqual([])
    })
  }
})
