/**
 * Package hygiene of every published package (packages/* without `private`), checked on the
 * tarball `pnpm pack` produces — the bytes npm users get, with `workspace:` ranges rewritten:
 * manifest fields, ESM + CJS + types for every entry, publint, Are the Types Wrong (node16 and
 * bundler resolution), and every import in dist/ declared as a dependency.
 *
 * Needs built packages (`pnpm build`). Run: `pnpm check:packages`.
 */
import { execFile } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BundlerProfile, resolveForBundler } from './support/bundler-resolution.js'
import { importSpecifiers, isBuiltin, isRelative, moduleReferences } from './support/imports.js'
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
 * How the runtime-neutral entries are followed: with the conditions of the bundlers that build
 * for those runtimes (esbuild/Vite for browsers, wrangler for Cloudflare Workers), each added to
 * `import` or `require` and `default`. A dependency that ships one file per runtime (the MCP
 * SDK's `@modelcontextprotocol/server/_shims`: `workerd`, `browser`, `node`, `default` → Node) is
 * followed into the file such a bundler picks, as it would be in a user's build; a dependency
 * without such a branch, and every file of ours, is followed as it is.
 */
const NEUTRAL_BUNDLERS: BundlerProfile[] = [
  { name: 'browser bundler', conditions: ['browser', 'module'] },
  { name: 'worker bundler', conditions: ['workerd', 'worker', 'browser', 'module'] },
]

/**
 * Imports allowed to resolve to ESM typings from a CommonJS declaration file, each with the
 * reason it cannot be otherwise. Keep this list short: every entry is a TS1479 for CommonJS
 * consumers on `module: node16` (TypeScript 5.8+ `nodenext` accepts it, as Node 20.19+ does).
 */
const ESM_ONLY_IMPORTS: { package: string; specifier: string; reason: string }[] = [
  {
    package: '@mcpkit/ai-sdk',
    specifier: 'ai',
    reason:
      'ai 7 ships ESM only (an import condition, no require): CommonJS apps reach it, and the adapter, through require(esm) on Node 20.19+',
  },
]

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
    // @mcpkit/oauth's CommonJS build requires the ESM-only jose, @mcpkit/ai-sdk's the ESM-only
    // ai 7: require(esm), Node 20.19+.
    const needsRequireEsm = ['@mcpkit/oauth', '@mcpkit/mcp', '@mcpkit/ai-sdk'].includes(name)
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
    for (const [dependency, range] of Object.entries({
      ...packed.dependencies,
      ...packed.peerDependencies,
    })) {
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

  const optionalPeers = Object.entries(manifest.peerDependenciesMeta ?? {})
    .filter(([, meta]) => meta.optional === true)
    .map(([peer]) => peer)
  if (optionalPeers.length > 0) {
    it(`loads its optional peers (${optionalPeers.join(', ')}) lazily, and only from its code`, async () => {
      // npm does not install an optional peer: a user without it must still be able to load
      // every entry and compile against the typings. So: declared as a peer with a real range,
      // never imported statically (ESM `from`/`import '…'`, tsup's top-level CJS `require`),
      // absent from the .d.ts/.d.cts, and named somewhere in the code (or it is not used).
      const packed = await packedManifest(tarballOf(name))
      const unpacked = await unpack(tarballOf(name), join(work.path, 'optional-peers', name))
      const files = await builtFiles(join(unpacked, 'dist'))
      const problems: string[] = []
      for (const peer of optionalPeers) {
        const range = packed.peerDependencies?.[peer]
        if (range === undefined) problems.push(`${peer} is optional but not a peer dependency`)
        else if (peer.startsWith('@mcpkit/') && range !== `^${versions.get(peer)}`) {
          problems.push(`${peer}: peer range ${range}`)
        }
        let named = false
        for (const file of files) {
          const source = await readFile(file, 'utf8')
          const label = relative(unpacked, file)
          const quoted = new RegExp(`(['"])${peer.replace(/[/.]/g, '\\$&')}(/[^'"]*)?\\1`)
          if (/\.d\.c?ts$/.test(file)) {
            if (quoted.test(source)) problems.push(`${label} names ${peer} (typings need it)`)
            continue
          }
          if (quoted.test(source)) named = true
          for (const line of source.split('\n')) {
            const statement = line.trim()
            const eager =
              /^(import|export)\b/.test(statement) ||
              /^var [\w$]+ = (__toESM\()?require\(/.test(statement)
            if (eager && quoted.test(statement) && !/\bimport\s*\(/.test(statement)) {
              problems.push(`${label} imports ${peer} eagerly: ${statement}`)
            }
          }
        }
        if (!named) problems.push(`no file of dist/ names ${peer}: drop the peer, or use it`)
      }
      expect(problems).toEqual([])
    })
  }

  const neutralEntries = RUNTIME_NEUTRAL_ENTRIES[name] ?? []
  if (neutralEntries.length > 0) {
    it(`keeps ${neutralEntries.join(', ')} free of node: imports`, async () => {
      const entries = entryPoints(manifest).filter((entry) =>
        neutralEntries.includes(entry.subpath),
      )
      expect(entries.map((entry) => entry.subpath)).toEqual(neutralEntries)
      const reached: string[] = []
      for (const entry of entries) {
        for (const bundler of NEUTRAL_BUNDLERS) {
          // The workspace copy: the same files, with the dependencies installed next to them.
          for (const [file, format] of [
            [entry.importDefault, 'ESM'],
            [entry.requireDefault, 'CJS'],
          ] as const) {
            const label = `${entry.subpath} (${format}, ${bundler.name})`
            const found = await nodeImportsReachable(join(workspacePackage.dir, file), bundler)
            reached.push(...found.map((problem) => `${label} reaches ${problem}`))
          }
        }
      }
      expect(reached).toEqual([])
    })
  }
})

describe('the runtime-neutral walk', () => {
  // The walk above passes only if it can tell a dependency's per-runtime file from a real
  // `node:` import; these fixtures prove it still sees the latter.
  let fixtures: string
  beforeAll(async () => {
    fixtures = join(work.path, 'walk-fixtures')
    const write = async (file: string, text: string) => {
      await mkdir(join(fixtures, file, '..'), { recursive: true })
      await writeFile(join(fixtures, file), text)
    }
    const shims = (name: string, withBrowser: boolean) => ({
      name,
      type: 'module',
      exports: {
        '.': { import: './index.js', require: './index.cjs' },
        './_shims': {
          ...(withBrowser ? { browser: { import: './web.js', require: './web.cjs' } } : {}),
          node: { import: './node.js', require: './node.cjs' },
          default: { import: './node.js', require: './node.cjs' },
        },
      },
    })
    for (const [dir, withBrowser] of [
      ['node_modules/sdk-like', true],
      ['node_modules/node-only', false],
    ] as const) {
      const packageName = dir.split('/')[1] ?? ''
      await write(`${dir}/package.json`, JSON.stringify(shims(packageName, withBrowser)))
      await write(`${dir}/index.js`, `export { process } from '${packageName}/_shims'\n`)
      await write(`${dir}/index.cjs`, `module.exports = require('${packageName}/_shims')\n`)
      await write(`${dir}/node.js`, "export { default as process } from 'node:process'\n")
      await write(`${dir}/node.cjs`, "exports.process = require('node:process')\n")
      await write(`${dir}/web.js`, 'export const process = {}\n')
      await write(`${dir}/web.cjs`, 'exports.process = {}\n')
    }
    await write('ours/package.json', JSON.stringify({ name: 'ours', type: 'module' }))
    await write('ours/clean.js', "export * from 'sdk-like'\nexport * from './helper.js'\n")
    await write('ours/helper.js', 'export const helper = 1\n')
    await write('ours/clean.cjs', "module.exports = require('sdk-like')\n")
    await write('ours/own-node.js', "export * from 'sdk-like'\nexport * from './fs-helper.js'\n")
    await write('ours/fs-helper.js', "export const load = () => import('node:fs')\n")
    await write('ours/dependency-node.js', "export * from 'node-only'\n")
    await write('ours/missing.js', "export * from 'not-installed'\n")
  })

  const [browser] = NEUTRAL_BUNDLERS
  if (!browser) throw new Error('NEUTRAL_BUNDLERS is empty')
  const walk = (file: string) => nodeImportsReachable(join(fixtures, 'ours', file), browser)

  it("follows a dependency's browser branch, not its Node.js file", async () => {
    expect(await walk('clean.js')).toEqual([])
    expect(await walk('clean.cjs')).toEqual([])
  })

  it('reports a node: import of ours, even a lazy one', async () => {
    expect(await walk('own-node.js')).toEqual([
      expect.stringMatching(/^node:fs \(in .*fs-helper\.js\)/),
    ])
  })

  it('reports a dependency that has no file for browsers', async () => {
    expect(await walk('dependency-node.js')).toEqual([
      expect.stringMatching(/^node:process \(in .*node-only\/node\.js\)/),
    ])
  })

  it('reports an import a bundler cannot resolve', async () => {
    expect(await walk('missing.js')).toEqual([
      expect.stringMatching(/not-installed.*not installed/),
    ])
  })
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
 * `node:`/built-in imports reachable from a built file, and what a bundler with `bundler`'s
 * conditions could not resolve on the way: its relative imports and its dependencies' files
 * (resolved from where the file is, so the workspace copy uses the dependencies installed next to
 * it), each reference with the condition of its kind (`import()`/`from` or `require()`).
 */
async function nodeImportsReachable(entryFile: string, bundler: BundlerProfile): Promise<string[]> {
  const seen = new Set<string>()
  const found: string[] = []
  const where = (file: string) => file.replace(/^.*node_modules\//, '').replace(REPO_ROOT, '')
  // Bounded: every file is read once, and there are finitely many files on disk.
  const pending = [realpathSync(entryFile)]
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    const source = await readFile(file, 'utf8')
    for (const { specifier, kind } of moduleReferences(source)) {
      if (isBuiltin(specifier)) {
        found.push(`${specifier} (in ${where(file)})`)
        continue
      }
      const resolved = resolveForBundler(file, specifier, kind, bundler)
      if (resolved.kind === 'file') pending.push(resolved.path)
      else if (resolved.kind === 'unresolved') found.push(`${resolved.reason} (in ${where(file)})`)
    }
  }
  return found
}
