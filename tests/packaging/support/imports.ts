import { builtinModules } from 'node:module'

const BUILTINS = new Set(builtinModules)

/** A module a built file refers to, and whether by `import`/`export … from`/`import()` or `require()`. */
export interface ModuleReference {
  specifier: string
  kind: 'import' | 'require'
}

/**
 * Modules a built file refers to: ESM `import`/`export … from`, dynamic `import()`, CJS
 * `require()`, and `/// <reference types>` in declaration files. tsup's output is regular enough
 * for patterns; a false positive shows up as a test failure naming the file, not as a silent pass.
 * A specifier met both ways is listed once per kind.
 */
export function moduleReferences(source: string): ModuleReference[] {
  const references = new Map<string, ModuleReference>()
  const patterns: [RegExp, ModuleReference['kind']][] = [
    [/\bfrom\s*(['"])([^'"\n]+)\1/g, 'import'],
    [/\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, 'import'],
    [/\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, 'require'],
    [/^\s*import\s*(['"])([^'"\n]+)\1/gm, 'import'],
    [/\/\/\/\s*<reference\s+types\s*=\s*(['"])([^'"\n]+)\1/g, 'import'],
  ]
  for (const [pattern, kind] of patterns) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[2]
      if (specifier) references.set(`${kind} ${specifier}`, { specifier, kind })
    }
  }
  return [...references.values()]
}

/** The module specifiers a built file refers to (see `moduleReferences`), each once. */
export function importSpecifiers(source: string): string[] {
  return [...new Set(moduleReferences(source).map((reference) => reference.specifier))]
}

/** A specifier that names a Node.js built-in module (`node:fs`, `fs`, `fs/promises`). */
export function isBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0] ?? specifier)
}

/** A relative or absolute path specifier (a file of the same package). */
export function isRelative(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/')
}
