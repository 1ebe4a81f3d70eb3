import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, parse } from 'node:path'

/**
 * Module resolution the way a bundler that targets browsers or workers does it (esbuild with
 * `platform: 'browser'`, wrangler for Cloudflare Workers, Vite's client build): package
 * `exports`/`imports` with the bundler's conditions instead of Node's, `browser`/`module`/`main`
 * for packages without `exports`, and extension probing for relative paths. Used to follow what
 * a runtime-neutral entry really pulls in: a dependency that ships one file per runtime (the MCP
 * SDK's `@modelcontextprotocol/server/_shims`: `workerd`, `browser`, `node`) is followed into
 * the file those bundlers pick, not into its Node.js twin.
 */

/** Whether a reference is an `import`/`export … from`/`import()` or a `require()`. */
export type ReferenceKind = 'import' | 'require'

/** A bundler profile: a name for messages and the conditions it adds to `import`/`require`. */
export interface BundlerProfile {
  name: string
  /** In the bundler's order of preference; `default` and the reference kind are implied. */
  conditions: readonly string[]
}

/** The outcome of resolving one specifier. */
export type Resolution =
  | { kind: 'file'; path: string }
  /** Resolves, but to something that is not JavaScript (JSON, CSS, a `.node` addon …). */
  | { kind: 'other'; path: string }
  | { kind: 'unresolved'; reason: string }

const JS_FILE = /\.[cm]?js$/
const EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.json']
const INDEX_FILES = ['index.js', 'index.mjs', 'index.cjs', 'index.json']

interface PackageJson {
  name?: string
  main?: string
  module?: string
  browser?: unknown
  exports?: unknown
  imports?: unknown
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json')
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile()
}

/** The file a path names, probing extensions and index files as bundlers do. */
function probeFile(path: string): string | undefined {
  for (const extension of EXTENSIONS) {
    if (isFile(path + extension)) return path + extension
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    const manifest = readPackageJson(path)
    const main = manifest?.main ? probeFile(join(path, manifest.main)) : undefined
    if (main) return main
    for (const index of INDEX_FILES) {
      if (isFile(join(path, index))) return join(path, index)
    }
  }
  return undefined
}

function asResolution(path: string | undefined, what: string): Resolution {
  if (!path) return { kind: 'unresolved', reason: `${what} is not a file` }
  const real = realpathSync(path)
  return JS_FILE.test(real) ? { kind: 'file', path: real } : { kind: 'other', path: real }
}

/**
 * `target` of an `exports`/`imports` entry under `conditions`: a string (with `*` replaced by
 * `match`), `null` when the entry excludes the path, `undefined` when no condition matched (Node's
 * PACKAGE_TARGET_RESOLVE, without the legacy folder mappings).
 */
function resolveTarget(
  target: unknown,
  match: string,
  conditions: ReadonlySet<string>,
): string | null | undefined {
  if (typeof target === 'string') return target.replaceAll('*', match)
  if (Array.isArray(target)) {
    for (const candidate of target) {
      const resolved = resolveTarget(candidate, match, conditions)
      if (typeof resolved === 'string') return resolved
    }
    return null
  }
  if (target !== null && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target)) {
      if (condition !== 'default' && !conditions.has(condition)) continue
      const resolved = resolveTarget(value, match, conditions)
      if (resolved !== undefined) return resolved
    }
    return undefined
  }
  return null
}

/** `key` of an `exports`/`imports` map under `conditions` (exact keys, then `*` patterns). */
function resolveMap(
  map: Record<string, unknown>,
  key: string,
  conditions: ReadonlySet<string>,
): string | null | undefined {
  if (Object.hasOwn(map, key) && !key.includes('*')) {
    return resolveTarget(map[key], '', conditions)
  }
  let best: { pattern: string; match: string } | undefined
  for (const pattern of Object.keys(map)) {
    const star = pattern.indexOf('*')
    if (star === -1 || pattern.indexOf('*', star + 1) !== -1) continue
    const prefix = pattern.slice(0, star)
    const suffix = pattern.slice(star + 1)
    if (!key.startsWith(prefix) || key === prefix) continue
    if (suffix !== '' && (!key.endsWith(suffix) || key.length < pattern.length)) continue
    // Node's PATTERN_KEY_COMPARE: the longest prefix wins, then the longest key.
    if (
      !best ||
      prefix.length > best.pattern.indexOf('*') ||
      (prefix.length === best.pattern.indexOf('*') && pattern.length > best.pattern.length)
    ) {
      best = { pattern, match: key.slice(prefix.length, key.length - suffix.length) }
    }
  }
  return best ? resolveTarget(map[best.pattern], best.match, conditions) : undefined
}

/** An `exports` field as a map of subpaths (sugar: a string, array or conditions for `.`). */
function exportsMap(exportsField: unknown): Record<string, unknown> {
  if (
    exportsField !== null &&
    typeof exportsField === 'object' &&
    !Array.isArray(exportsField) &&
    Object.keys(exportsField).every((key) => key.startsWith('.'))
  ) {
    return exportsField as Record<string, unknown>
  }
  return { '.': exportsField }
}

/** The nearest directory at or above `dir` holding a package.json with a name. */
function enclosingPackage(dir: string): { dir: string; manifest: PackageJson } | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const manifest = readPackageJson(current)
    if (manifest?.name) return { dir: current, manifest }
    if (current === parse(current).root) return undefined
  }
}

function resolveInPackage(
  packageDir: string,
  manifest: PackageJson,
  subpath: string,
  conditions: ReadonlySet<string>,
  specifier: string,
): Resolution {
  if (manifest.exports !== undefined) {
    const target = resolveMap(exportsMap(manifest.exports), subpath, conditions)
    if (typeof target !== 'string') {
      return {
        kind: 'unresolved',
        reason: `${specifier}: "exports" has no ${subpath} for [${[...conditions].join(', ')}]`,
      }
    }
    const path = join(packageDir, target)
    return asResolution(isFile(path) ? path : undefined, `${specifier} → ${target}`)
  }
  if (subpath === '.') {
    // Bundlers' main fields for browser targets: browser (when a string), module, main.
    const fields = [
      conditions.has('browser') && typeof manifest.browser === 'string' ? manifest.browser : '',
      manifest.module ?? '',
      manifest.main ?? '',
    ].filter(Boolean)
    for (const field of fields) {
      const file = probeFile(join(packageDir, field))
      if (file) return asResolution(file, specifier)
    }
    return asResolution(probeFile(join(packageDir, 'index')), specifier)
  }
  return asResolution(probeFile(join(packageDir, subpath)), specifier)
}

/**
 * Resolves `specifier` as referenced from `fromFile` (a real path), the way a bundler with
 * `profile` does. Built-in modules are not handled here: callers report them before resolving.
 */
export function resolveForBundler(
  fromFile: string,
  specifier: string,
  kind: ReferenceKind,
  profile: BundlerProfile,
): Resolution {
  const conditions = new Set([...profile.conditions, kind, 'default'])
  const fromDir = dirname(fromFile)
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    return asResolution(
      probeFile(specifier.startsWith('/') ? specifier : join(fromDir, specifier)),
      specifier,
    )
  }
  if (specifier.startsWith('#')) {
    const owner = enclosingPackage(fromDir)
    const imports = owner?.manifest.imports
    const target =
      owner && imports && typeof imports === 'object'
        ? resolveMap(imports as Record<string, unknown>, specifier, conditions)
        : undefined
    if (!owner || typeof target !== 'string') {
      return { kind: 'unresolved', reason: `${specifier}: no "imports" entry` }
    }
    if (target.startsWith('./')) {
      return asResolution(probeFile(join(owner.dir, target)), specifier)
    }
    return resolveForBundler(join(owner.dir, 'package.json'), target, kind, profile)
  }
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '')
  const subpath = `.${specifier.slice(name.length)}`
  // A package importing itself by name (the SDK imports its own `/_shims` this way).
  const self = enclosingPackage(fromDir)
  if (self?.manifest.name === name && self.manifest.exports !== undefined) {
    return resolveInPackage(self.dir, self.manifest, subpath, conditions, specifier)
  }
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (!dir.endsWith('/node_modules')) {
      const candidate = join(dir, 'node_modules', name)
      const manifest = readPackageJson(candidate)
      if (manifest) {
        return resolveInPackage(realpathSync(candidate), manifest, subpath, conditions, specifier)
      }
    }
    if (dir === parse(dir).root) break
  }
  return { kind: 'unresolved', reason: `${specifier}: package ${name} is not installed` }
}
