/**
 * The option tables of the README and the guides in docs/ match the code, both
 * ways: every property of every exported `...Options` interface in src/ has a
 * row in a table of a section that covers its module, and every row of an
 * option table names an option or parameter that exists. A section covers
 * module `M` when it names `` `M.`` or `` `M(``, such as `` `Bearer.make(`` or
 * `` `createToken(``.
 */
import { existsSync, readFileSync } from "node:fs"
import { basename } from "node:path"
import ts from "typescript"
import { describe, expect, it } from "vitest"
import { guides, root } from "./fixtures/docs.js"

interface ModuleApi {
  /** Exported `...Options` interfaces with their property names. */
  readonly options: Array<{ readonly name: string; readonly properties: ReadonlyArray<string> }>
  /** Every name a table row may document: the fields of its interfaces, its parameters and theirs. */
  readonly known: Set<string>
}

/** `module -> its options and documentable names`, from the type checker. */
const modules = (): Map<string, ModuleApi> => {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${root}tsconfig.build.json`,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined }
  )!
  const program = ts.createProgram(config.fileNames, config.options)
  const checker = program.getTypeChecker()
  const found = new Map<string, ModuleApi>()
  const propertiesOf = (type: ts.Type): Array<string> =>
    type.isUnion() ? type.types.flatMap(propertiesOf) : checker.getPropertiesOfType(type).map((p) => p.name)
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(`${root}src/`) || file.fileName.includes("/internal/")) continue
    const api: ModuleApi = { options: [], known: new Set() }
    found.set(basename(file.fileName, ".ts"), api)
    const symbol = checker.getSymbolAtLocation(file)
    for (const exported of symbol ? checker.getExportsOfModule(symbol) : []) {
      const declaration = exported.declarations?.[0]
      if (declaration === undefined) continue
      if (ts.isInterfaceDeclaration(declaration)) {
        // every interface's fields may have rows (a `ClientAuth` value's `method`); options interfaces must
        const properties = checker.getPropertiesOfType(checker.getTypeAtLocation(declaration)).map((p) => p.name)
        if (/Options$/.test(declaration.name.text)) api.options.push({ name: declaration.name.text, properties })
        for (const property of properties) api.known.add(property)
      }
      const type = checker.getTypeOfSymbolAtLocation(exported, declaration)
      for (const signature of type.getCallSignatures()) {
        for (const parameter of signature.getParameters()) {
          api.known.add(parameter.name)
          const parameterType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(parameter, declaration))
          for (const property of propertiesOf(parameterType)) api.known.add(property)
        }
      }
    }
  }
  return found
}

/** Sections of every page (split at headings), with the rows of their option tables. */
const sections = () =>
  guides().flatMap((page) =>
    page.text.split(/\n(?=#{1,4} )/).map((text) => {
      const heading = text.split("\n", 1)[0]!
      const rows: Array<string> = []
      let inOptionTable = false
      for (const line of text.split("\n")) {
        if (!line.startsWith("|")) inOptionTable = false
        else if (/^\|\s*option\b/i.test(line)) inOptionTable = true
        else if (inOptionTable && !/^\|\s*-/.test(line)) rows.push(line)
      }
      return { where: `${page.path} "${heading}"`, text, rows }
    })
  )

const covers = (text: string, module: string) => text.includes(`\`${module}.`) || text.includes(`\`${module}(`)

describe("the option tables of the README and docs/", () => {
  const api = modules()
  const all = sections()

  it("finds the options interfaces to check", () => {
    const names = [...api].flatMap(([module, { options }]) => options.map((o) => `${module}.${o.name}`))
    expect(names).toEqual(
      expect.arrayContaining(["Bearer.Options", "ApiKey.HeaderOptions", "HttpAuth.RedirectOptions"])
    )
  })

  for (const [module, { options }] of api) {
    for (const { name, properties } of options) {
      it(`documents every option of ${module}.${name}`, () => {
        const covering = all.filter((s) => covers(s.text, module))
        expect(covering.length, `no section of the README or docs/ names \`${module}.\``).toBeGreaterThan(0)
        const rows = covering.flatMap((s) => s.rows)
        const missing = properties.filter((property) => !rows.some((row) => row.includes(`\`${property}\``)))
        expect(missing, `${module}.${name}: options without a table row`).toEqual([])
      })
    }
  }

  it("documents no option that does not exist", () => {
    const unknown = all.flatMap((section) => {
      const covered = [...api].filter(([module]) => covers(section.text, module)).map(([, m]) => m.known)
      // the first cell names one option or several (`tokenField`, `retry`); `display.successHtml` is `display`
      return section.rows
        .flatMap((row) =>
          // what stands in parentheses says where the option belongs: `path` (`layerFile`)
          [...(row.split("|")[1] ?? "").replace(/\(.*?\)/g, "").matchAll(/`([^`]+)`/g)].map(
            (m) => m[1]!.split(/[.[ (]/)[0]!
          )
        )
        .filter((option) => !covered.some((known) => known.has(option)))
        .map((option) => `${section.where}: \`${option}\``)
    })
    expect(unknown).toEqual([])
  })
})

describe("the API reference (docs/modules)", () => {
  /**
   * Helpers marked `@internal` are left out of the reference and the types,
   * but an export of a public module is still on its namespace at run time:
   * they live in src/internal/ instead. The one left is a whole
   * implementation the grants call with one more argument.
   */
  const known: Record<string, ReadonlyArray<string>> = {
    TokenEndpoint: ["requestExpecting"]
  }

  it("documents every run-time export of each entry's namespaces: none is an @internal helper", async () => {
    const entries = [
      ["../src/index.js", ""],
      ["../src/testing/index.js", "testing/"],
      ["../src/node/index.js", "node/"],
      ["../src/redis/index.js", "redis/"]
    ] as const
    const undocumented: Array<string> = []
    for (const [entry, folder] of entries) {
      const namespaces = (await import(entry)) as Record<string, unknown>
      for (const [name, namespace] of Object.entries(namespaces)) {
        if (typeof namespace !== "object" || namespace === null) continue
        const file = [`${folder}${name}.ts.md`, `providers/${name}.ts.md`]
          .map((path) => new URL(`../docs/modules/${path}`, import.meta.url))
          .find((url) => existsSync(url))
        expect(file, `docs/modules page of ${name}`).toBeDefined()
        const page = readFileSync(file!, "utf8")
        for (const key of Object.keys(namespace)) {
          const documented = new RegExp(`^#+ ${key}\\b`, "m").test(page)
          if (!documented && !(known[name] ?? []).includes(key)) undocumented.push(`${name}.${key}`)
        }
      }
    }
    expect(undocumented).toEqual([])
  })
})
