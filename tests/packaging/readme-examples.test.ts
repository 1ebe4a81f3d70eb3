/**
 * Every published package's README: an install line, an options table, and a runnable example
 * that type-checks. The example is the README's first ```ts block; further ```ts blocks are
 * checked when the line before their fence is `<!-- check -->`, and the first one is skipped
 * when that line is `<!-- no-check -->` (for a README whose first block is a fragment). Blocks
 * are compiled as ES modules (top-level await allowed) with `strict`, against the built packages,
 * the way a user's project resolves them.
 *
 * Needs built packages. Run: `pnpm check:packages`.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  publishedPackages,
  REPO_ROOT,
  run,
  temporaryDirectory,
  type WorkspacePackage,
} from './support/workspace.js'

const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
const packages = publishedPackages()

/** The @mcpkit packages a package names as optional peers (loaded lazily; npm skips them). */
function optionalPeers(entry: WorkspacePackage): string[] {
  return Object.entries(entry.manifest.peerDependenciesMeta ?? {})
    .filter(([name, meta]) => meta.optional === true && name.startsWith('@mcpkit/'))
    .map(([name]) => name)
}

/** What a package's users get installed with it: dependencies and the peers npm installs. */
function installedWith(entry: WorkspacePackage): string[] {
  const optional = new Set(
    Object.entries(entry.manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional === true)
      .map(([name]) => name),
  )
  return [
    ...Object.keys(entry.manifest.dependencies ?? {}),
    ...Object.keys(entry.manifest.peerDependencies ?? {}).filter((name) => !optional.has(name)),
  ]
}

/**
 * Public packages README examples may import besides @mcpkit/*: those the published packages
 * depend on or take as peers (zod, the SDK v2's `@modelcontextprotocol/client` and `/server`, …),
 * each linked from a package that declares it, as a user's install has them. The SDK v1
 * (`@modelcontextprotocol/sdk`) is none of them, so an example still written for it fails, as it
 * would for a user.
 */
const THIRD_PARTY = new Map<string, string>()
for (const entry of packages) {
  for (const name of [
    ...Object.keys(entry.manifest.dependencies ?? {}),
    ...Object.keys(entry.manifest.peerDependencies ?? {}),
  ]) {
    if (!name.startsWith('@mcpkit/') && !THIRD_PARTY.has(name)) THIRD_PARTY.set(name, entry.dir)
  }
}

interface ReadmeExample {
  readme: string
  /** 1-based line of the opening fence. */
  line: number
  code: string
}

/** The ```ts blocks of a README that the rules above select. */
function examplesOf(readmePath: string, label: string): ReadmeExample[] {
  const lines = readFileSync(readmePath, 'utf8').split('\n')
  const examples: ReadmeExample[] = []
  let first = true
  for (let index = 0; index < lines.length; index++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index] ?? '')) continue
    const marker = (lines[index - 1] ?? '').trim()
    const end = lines.indexOf('```', index + 1)
    const code = lines.slice(index + 1, end === -1 ? undefined : end).join('\n')
    const selected = first ? marker !== '<!-- no-check -->' : marker === '<!-- check -->'
    first = false
    if (selected) examples.push({ readme: label, line: index + 1, code })
    if (end !== -1) index = end
  }
  return examples
}

/** A dependency as the workspace package at `fromDir` has it installed (pnpm links it there). */
function packageRoot(name: string, fromDir: string): string {
  return realpathSync(join(fromDir, 'node_modules', name))
}

let work: { path: string; remove(): Promise<void> }
/** tsc's error lines by example file name. */
const errorsByFile = new Map<string, string[]>()
const fileOf = new Map<ReadmeExample, string>()
/** tsc errors that belong to no example (a broken setup must not pass silently). */
const unattributed: string[] = []

beforeAll(async () => {
  work = await temporaryDirectory('mcpkit-readmes')
  const modules = join(work.path, 'node_modules')
  await mkdir(join(modules, '@mcpkit'), { recursive: true })
  await mkdir(join(modules, '@types'), { recursive: true })
  for (const entry of packages) await symlink(entry.dir, join(modules, entry.name))
  for (const [name, declaredBy] of THIRD_PARTY) {
    await mkdir(join(modules, name, '..'), { recursive: true })
    await symlink(packageRoot(name, declaredBy), join(modules, name))
  }
  await symlink(join(REPO_ROOT, 'node_modules/@types/node'), join(modules, '@types/node'))
  const files: string[] = []
  for (const entry of packages) {
    const readme = join(entry.dir, 'README.md')
    let examples: ReadmeExample[] = []
    try {
      examples = examplesOf(readme, `${entry.relativeDir}/README.md`)
    } catch {
      continue // no README: reported by the test below
    }
    for (const example of examples) {
      const file = `${entry.relativeDir.replace('/', '-')}-line-${example.line}.mts`
      await writeFile(join(work.path, file), example.code)
      fileOf.set(example, file)
      files.push(file)
    }
  }
  await writeFile(
    join(work.path, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2023', 'dom', 'dom.iterable'],
        types: ['node'],
        skipLibCheck: true,
        noEmit: true,
      },
      files,
    }),
  )
  const output = await run(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: work.path,
    timeoutMs: 120_000,
  }).catch((error: Error) => ({ stdout: error.message, stderr: '' }))
  for (const line of output.stdout.split('\n')) {
    if (!/error TS\d+/.test(line)) continue
    const match = /^(.+?\.mts)\(\d+,\d+\): error /.exec(line)
    if (!match?.[1]) {
      unattributed.push(line)
      continue
    }
    errorsByFile.set(match[1], [...(errorsByFile.get(match[1]) ?? []), line])
  }
}, 150_000)

afterAll(async () => {
  await work?.remove()
})

it('compiles the examples without errors outside them', () => {
  expect(fileOf.size).toBeGreaterThan(0)
  expect(unattributed).toEqual([])
})

describe.each(packages)('$name README', (entry: WorkspacePackage) => {
  const readmePath = join(entry.dir, 'README.md')
  const text = () => readFileSync(readmePath, 'utf8')

  it('has an install line', () => {
    expect(text()).toMatch(new RegExp(`(npm install|npm i|pnpm add) [^\\n]*${entry.name}(\\s|$)`))
  })

  it('has an options table', () => {
    expect(text()).toMatch(/^\|.*\|\s*\n\|\s*-{3,}/m)
  })

  it('has a runnable example that type-checks', () => {
    const examples = examplesOf(readmePath, `${entry.relativeDir}/README.md`)
    expect(examples.length, 'a ```ts example').toBeGreaterThan(0)
    for (const example of examples) {
      const file = [...fileOf].find(
        ([candidate]) => candidate.line === example.line && candidate.readme === example.readme,
      )?.[1]
      expect(errorsByFile.get(file ?? '') ?? [], `${example.readme}:${example.line}`).toEqual([])
    }
  })
})

describe('root README', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')

  it('names every published package in "Which package do I need?"', () => {
    const section = readme.split('## Which package do I need?')[1]?.split(/^## /m)[0] ?? ''
    expect(packages.filter((entry) => !section.includes(`\`${entry.name}\``))).toEqual([])
  })

  it('lists each package with exactly its @mcpkit dependencies in the text diagram', () => {
    // Dependencies and the peers npm installs: what `npm i <package>` brings. Optional peers are
    // not installed by npm, so they are not listed; the graph above draws them dotted.
    const listed = new Map<string, string[]>()
    for (const [, name, arrow] of readme.matchAll(/^(@mcpkit\/[a-z-]+)\s*(?:─►\s*(.*))?$/gm)) {
      if (!name) continue
      listed.set(
        name,
        (arrow ?? '')
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
          .sort(),
      )
    }
    for (const entry of packages) {
      const dependencies = installedWith(entry)
        .filter((name) => name.startsWith('@mcpkit/'))
        .sort()
      expect(listed.get(entry.name), entry.name).toEqual(dependencies)
    }
  })

  it('draws only real edges in the mermaid graph, optional peers dotted', () => {
    const graph = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
    const nodes = new Map<string, string>()
    for (const [, id, name] of graph.matchAll(/\b(\w+)\["(@mcpkit\/[a-z-]+)[^"]*"\]/g)) {
      if (id && name) nodes.set(id, name)
    }
    expect(
      packages.filter((entry) => ![...nodes.values()].includes(entry.name)).map((e) => e.name),
      'packages without a node',
    ).toEqual([])
    const solid = new Set<string>()
    const dotted = new Set<string>()
    for (const line of graph.split('\n')) {
      // `a["label"] --> b`, `a --> b`, `a -.->|optional, lazy| b`
      const edge = /^\s*(\w+)(?:\["[^"]*"\])?\s*(-->|-\.->)\s*(?:\|[^|]*\|\s*)?(\w+)\s*$/.exec(line)
      if (!edge) continue
      const [, from, arrow, to] = edge
      const pair = `${nodes.get(from ?? '') ?? from} → ${nodes.get(to ?? '') ?? to}`
      ;(arrow === '-->' ? solid : dotted).add(pair)
    }
    expect(solid.size, 'solid edges').toBeGreaterThan(0)
    const real = new Set<string>()
    const optional = new Set<string>()
    for (const entry of packages) {
      for (const name of installedWith(entry)) real.add(`${entry.name} → ${name}`)
      for (const name of optionalPeers(entry)) optional.add(`${entry.name} → ${name}`)
    }
    expect(
      [...solid].filter((pair) => !real.has(pair)),
      'solid edges that are no dependency',
    ).toEqual([])
    expect([...dotted].sort(), 'dotted edges: exactly the optional peers').toEqual(
      [...optional].sort(),
    )
  })

  it('names only packages users can install in "Which package do I need?"', () => {
    // The install column: @mcpkit packages that exist, and public packages mcpkit works with
    // (a dependency or peer of one of them, e.g. zod or the SDK v2), not a package mcpkit left.
    const section = readme.split('## Which package do I need?')[1]?.split(/^## /m)[0] ?? ''
    const installable = new Set([...packages.map((entry) => entry.name), ...THIRD_PARTY.keys()])
    const named: string[] = []
    for (const line of section.split('\n')) {
      const install = /^\|.*\|\s*([^|]*?)\s*\|\s*$/.exec(line)?.[1] ?? ''
      for (const [, name] of install.matchAll(/`((?:@[a-z0-9-]+\/)?[a-z0-9.-]+)`/g)) {
        if (name && /^(@[a-z0-9-]+\/)?[a-z0-9-]+$/.test(name) && !/^[A-Z]/.test(name)) {
          named.push(name)
        }
      }
    }
    expect(named.length, 'install names found').toBeGreaterThan(0)
    expect(named.filter((name) => !installable.has(name))).toEqual([])
  })
})
