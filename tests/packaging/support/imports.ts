import { builtinModules } from 'node:module'

const BUILTINS = new Set(builtinModules)

/**
 * Module specifiers a built file refers to: ESM `import`/`export … from`, dynamic `import()`,
 * CJS `require()`, and `/// <reference types>` in declaration files. tsup's output is regular
 * enough for patterns; a false positive shows up as a test failure naming the file, not as a
 * silent pass.
 */
export function importSpecifiers(source: string): string[] {
  const specifiers = new Set<string>()
  const patterns = [
    /\bfrom\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
    /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
    /^\s*import\s*(['"])([^'"\n]+)\1/gm,
    /\/\/\/\s*<reference\s+types\s*=\s*(['"])([^'"\n]+)\1/g,
  ]
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[2]
      if (specifier) specifiers.add(specifier)
    }
  }
  return [...specifiers]
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
