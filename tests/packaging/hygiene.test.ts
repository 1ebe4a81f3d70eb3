/**
 * Package hygiene of every published package (packages/* without `private`), checked on the
 * tarball `pnpm pack` produces — the bytes npm users get, with `workspace:` ranges rewritten:
 * manifest fields, ESM + CJS + types for every entry, publint, Are the Types Wrong (node16 and
 * bundler resolution), and every import in dist/ declared as a dependency.
 *
 * Needs built packages (`pnpm build`). Run: `pnpm check:packages`.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importSpecifiers, isBuiltin, isRelative } from './support/imports.js'
import {
  type PackageManifest,
  packageOfSpecifier,
  packedFiles,
  packedManifest,
  packPackages,
  publishedPackages,
  REPO_ROOT,
  readTarball,
  temporaryDirectory,
  unpack,
} from './support/workspace.js'

const execFileAsync = promisify(execFile)
const packages = publishedPackages()
const versions = new Map(packages.map((entry) => [entry.name, entry.version]))

/**
 * Entries that must run outside Node.js too (browsers, workers, Deno, Bun): nothing reachable
 * from them may import a `node:` module. Node-only code lives behind `/node` (transports) or in
 * packages that are Node-only by nature (stdio clients, `node:http` servers).
 */
const RUNTIME_NEUTRAL_ENTRIES: Record<string, string[]> = {
  // Types and error classes: imported by everything, including browser UIs showing errors.
  '@mcpkit/types': ['.'],
  // The web-standard server handlers (Hono, Next.js, workers) — their reason to exist.
  '@mcpkit/transports': ['./server'],
  // Approval gates run wherever tools run; the README promises web-standard APIs only.
  '@mcpkit/tool-approval': ['.'],
}

/**
 * Imports allowed to resolve to ESM typings from a CommonJS declaration file, each with the
 * reason it cannot be otherwise. Keep this list short: every entry is a TS1479 for CommonJS
 * consumers on `module: node16` (TypeScript 5.8+ `nodenext` accepts it, as Node 20.19+ does).
 */
const ESM_ONLY_IMPORTS: { package: string; specifier: string; reason: string }[] = []

/** Are the Types Wrong resolution modes users meet: Node 16+ (CJS and ESM) and bundlers. */
const ATTW_RESOLUTIONS = new Set(['node16-cjs', 'node16-esm', 'bundler'])

let work: { path: string; remove(): Promise<void> }
let tarballs: Map<string, string>

beforeAll(async () => {
  work = await temporaryDirectory('mcpkit-hygiene')
  tarballs = await packPackages(packages, join(work.path, 'tarballs'))
}, 120_000)

afterAll(async () => {
  await work?.remove()
})

function tarballOf(name: string): string {
  const tarball = tarballs.get(name)
  if (!tarball) throw new Error(`${name} was not packed`)
  return tarball
}

interface EntryPoint {
  subpath: string
  importTypes: string
  importDefault: string
  requireTypes: string
  requireDefault: string
}

/** The entries of `exports` (all but `./package.json`), in the shape every package must use. */
function entryPoints(manifest: PackageManifest): EntryPoint[] {
  const entries: EntryPoint[] = []
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue
    const conditions = target as Record<string, Record<string, string>>
    entries.push({
      subpath,
      importTypes: conditions.import?.types ?? '',
      importDefault: conditions.import?.default ?? '',
      requireTypes: conditions.require?.types ?? '',
      requireDefault: conditions.require?.default ?? '',
    })
  }
  return entries
}

it('finds the published packages in packages/*', () => {
  expect(packages.map((entry) => entry.name)).toEqual(
    expect.arrayContaining([
      '@mcpkit/mcp',
      '@mcpkit/mcp-client-core',
      '@mcpkit/mcp-server-core',
      '@mcpkit/transports',
      '@mcpkit/types',
    ]),
  )
})

describe.each(packages)('$name', (workspacePackage) => {
  const { manifest, name } = workspacePackage

  it('declares the publishing fields', () => {
    expect(manifest.files, 'files').toEqual(['dist'])
    expect(manifest.sideEffects, 'sideEffects').toBe(false)
    // @mcpkit/oauth's CommonJS build requires the ESM-only jose: require(esm), Node 20.19+.
    const needsRequireEsm = ['@mcpkit/oauth', '@mcpkit/mcp'].includes(name)
    expect(manifest.engines?.node, 'engines.node').toBe(needsRequireEsm ? '>=20.19' : '>=20')
    expect(manifest.type, 'type').toBe('module')
    expect(manifest.license, 'license').toBe('MIT')
    expect(manifest.description, 'description').toMatch(/\S/)
    expect(manifest.publishConfig?.access, 'publishConfig.access').toBe('public')
    expect(manifest.keywords, 'keywords').toEqual(expect.arrayContaining(['mcp']))
    if (manifest.repository !== undefined) {
      expect(manifest.repository, 'repository').toMatchObject({
        type: 'git',
        directory: workspacePackage.relativeDir,
      })
    }
  })

  it('uses workspace:^ for siblings and no open ranges', () => {
    const ranges = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    }
    for (const [dependency, range] of Object.entries(ranges)) {
      if (dependency.startsWith('@mcpkit/')) {
        expect(range, `${dependency} (becomes ^x.y.z on publish)`).toBe('workspace:^')
      } else {
        expect(range, dependency).not.toMatch(/^(\*|latest|file:|link:|workspace:)|^$/)
      }
    }
  })

  it('exports ESM and CJS with their own types for every entry, types first', () => {
    const entries = entryPoints(manifest)
    expect(entries.map((entry) => entry.subpath)).toContain('.')
    expect(manifest.exports?.['./package.json']).toBe('./package.json')
    for (const entry of entries) {
      const conditions = (manifest.exports?.[entry.subpath] ?? {}) as Record<string, object>
      expect(Object.keys(conditions), entry.subpath).toEqual(['import', 'require'])
      expect(Object.keys(conditions.import ?? {}), `${entry.subpath} import`).toEqual([
        'types',
        'default',
      ])
      expect(Object.keys(conditions.require ?? {}), `${entry.subpath} require`).toEqual([
        'types',
        'default',
      ])
      expect(entry.importTypes, entry.subpath).toMatch(/^\.\/dist\/.+\.d\.ts$/)
      expect(entry.importDefault, entry.subpath).toMatch(/^\.\/dist\/.+\.js$/)
      expect(entry.requireTypes, entry.subpath).toMatch(/^\.\/dist\/.+\.d\.cts$/)
      expect(entry.requireDefault, entry.subpath).toMatch(/^\.\/dist\/.+\.cjs$/)
    }
    const root = entries.find((entry) => entry.subpath === '.')
    // For tools that predate `exports` (TypeScript's node10 resolution, old bundlers).
    expect(manifest.main, 'main').toBe(root?.requireDefault)
    expect(manifest.module, 'module').toBe(root?.importDefault)
    expect(manifest.types, 'types').toBe(root?.importTypes)
  })

  it('packs only dist/, README.md, LICENSE and package.json, with every entry file', async () => {
    const files = await packedFiles(tarballOf(name))
    const unexpected = files.filter(
      (file) => !/^(dist\/.+|package\.json|README\.md|LICENSE)$/.test(file),
    )
    expect(unexpected, 'files outside dist/').toEqual([])
    expect(files, 'README.md').toContain('README.md')
    expect(files, 'LICENSE').toContain('LICENSE')
    for (const entry of entryPoints(manifest)) {
      for (const file of [
        entry.importTypes,
        entry.importDefault,
        entry.requireTypes,
        entry.requireDefault,
      ]) {
        expect(files, `${entry.subpath} → ${file}`).toContain(file.replace(/^\.\//, ''))
      }
    }
  })

  it('publishes real ranges: workspace:^ becomes ^<version>, no workspace: or catalog: left', async () => {
    const packed = await packedManifest(tarballOf(name))
    const text = JSON.stringify({
      dependencies: packed.dependencies,
      peerDependencies: packed.peerDependencies,
      optionalDependencies: packed.optionalDependencies,
    })
    expect(text).not.toMatch(/workspace:|catalog:/)
    for (const [dependency, range] of Object.entries(packed.dependencies ?? {})) {
      if (!dependency.startsWith('@mcpkit/')) continue
      expect(range, dependency).toBe(`^${versions.get(dependency)}`)
    }
  })

  it('passes publint with no message', async () => {
    const result = await publint({
      pack: { tarball: await readTarball(tarballOf(name)) },
      level: 'suggestion',
      strict: true,
    })
    const messages = result.messages.map(
      (message) => `${message.type}: ${formatMessage(message, result.pkg, { color: false })}`,
    )
    expect(messages).toEqual([])
  })

  it('passes Are the Types Wrong for node16 (CJS and ESM) and bundler resolution', async () => {
    const attw = join(REPO_ROOT, 'node_modules/.bin/attw')
    // attw exits 1 when it finds problems; the JSON on stdout says which.
    const output = await execFileAsync(
      attw,
      [tarballOf(name), '--profile', 'node16', '--format', 'json'],
      { maxBuffer: 50 * 1024 * 1024, timeout: 60_000 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }))
    const report = JSON.parse(output.stdout) as {
      analysis: {
        problems?: { kind: string; entrypoint?: string; resolutionKind?: string }[]
      }
    }
    const problems = (report.analysis.problems ?? []).filter(
      (problem) =>
        problem.resolutionKind === undefined || ATTW_RESOLUTIONS.has(problem.resolutionKind),
    )
    expect(problems).toEqual([])
  })

  it('imports nothing in dist/ that it does not declare (siblings included)', async () => {
    const unpacked = await unpack(tarballOf(name), join(work.path, 'unpacked', name))
    const declared = new Set([
      name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ])
    const undeclared: string[] = []
    for (const file of await builtFiles(join(unpacked, 'dist'))) {
      const source = await readFile(file, 'utf8')
      for (const specifier of importSpecifiers(source)) {
        if (isRelative(specifier) || isBuiltin(specifier)) continue
        if (!declared.has(packageOfSpecifier(specifier))) {
          undeclared.push(`${relative(unpacked, file)} imports ${specifier}`)
        }
      }
    }
    expect(undeclared).toEqual([])
  })

  it('has imports that resolve in the format of the file importing them', async () => {
    // From the workspace copy of dist/, whose node_modules hold the declared dependencies. A
    // CommonJS declaration file whose import resolves to ESM typings breaks every CommonJS
    // TypeScript consumer (TS1479): e.g. an extension-less SDK subpath that only the SDK's
    // `types` wildcard matches. attw checks a package's own entries, not its imports.
    const problems: string[] = []
    const options = {
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
    }
    for (const file of await builtFiles(join(workspacePackage.dir, 'dist'))) {
      const source = await readFile(file, 'utf8')
      const label = relative(workspacePackage.dir, file)
      for (const specifier of importSpecifiers(source)) {
        if (isRelative(specifier) || isBuiltin(specifier)) continue
        if (file.endsWith('.cjs')) {
          try {
            createRequire(file).resolve(specifier)
          } catch {
            problems.push(`${label}: require('${specifier}') does not resolve`)
          }
          continue
        }
        if (!/\.d\.c?ts$/.test(file)) continue
        const commonJs = file.endsWith('.d.cts')
        const resolved = ts.resolveModuleName(
          specifier,
          file,
          options,
          ts.sys,
          undefined,
          undefined,
          commonJs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
        ).resolvedModule?.resolvedFileName
        if (!resolved) {
          problems.push(`${label}: types of '${specifier}' do not resolve`)
        } else if (
          commonJs &&
          !ESM_ONLY_IMPORTS.some(
            (allowed) => allowed.package === name && allowed.specifier === specifier,
          ) &&
          ts.getImpliedNodeFormatForFile(resolved, undefined, ts.sys, options) ===
            ts.ModuleKind.ESNext
        ) {
          problems.push(`${label}: '${specifier}' resolves to ESM typings (${resolved})`)
        }
      }
    }
    expect(problems).toEqual([])
  })

  const neutralEntries = RUNTIME_NEUTRAL_ENTRIES[name] ?? []
  if (neutralEntries.length > 0) {
    it(`keeps ${neutralEntries.join(', ')} free of node: imports`, async () => {
      const entries = entryPoints(manifest).filter((entry) =>
        neutralEntries.includes(entry.subpath),
      )
      expect(entries.map((entry) => entry.subpath)).toEqual(neutralEntries)
      for (const entry of entries) {
        // The workspace copy: the same files, with the dependencies installed next to them.
        const reached = await nodeImportsReachable(join(workspacePackage.dir, entry.importDefault))
        expect(reached, `${entry.subpath} reaches`).toEqual([])
      }
    })
  }
})

/** Every .js/.cjs/.d.ts/.d.cts file under `dir`. */
async function builtFiles(dir: string): Promise<string[]> {
  const files: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(c?js|d\.c?ts)$/.test(entry.name)) continue
    files.push(join(entry.parentPath, entry.name))
  }
  return files
}

/**
 * `node:`/built-in imports reachable from a built file, following its relative imports and its
 * dependencies' files (resolved from the workspace copy, whose node_modules hold them).
 */
async function nodeImportsReachable(entryFile: string): Promise<string[]> {
  const seen = new Set<string>()
  const found: string[] = []
  const pending = [entryFile]
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    const source = await readFile(file, 'utf8')
    for (const specifier of importSpecifiers(source)) {
      if (isBuiltin(specifier)) {
        found.push(
          `${specifier} (in ${file.replace(/^.*node_modules\//, '').replace(REPO_ROOT, '')})`,
        )
      } else {
        const target = resolveFrom(file, specifier)
        if (target) pending.push(target)
      }
    }
  }
  return found
}

/**
 * The JavaScript file `specifier` names from `file`: Node's CommonJS resolution (extension-less
 * relative requires, `exports` with the `require` condition), else the path as written (ESM
 * relative imports). `undefined` for what is not a JavaScript file on disk; unresolvable bare
 * imports are reported by the import checks above.
 */
function resolveFrom(file: string, specifier: string): string | undefined {
  let target: string | undefined
  try {
    target = createRequire(file).resolve(specifier)
  } catch {
    target = isRelative(specifier) ? join(file, '..', specifier) : undefined
  }
  if (!target || !/\.[cm]?js$/.test(target) || !existsSync(target)) return undefined
  return target
}
