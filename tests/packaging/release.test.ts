/**
 * Release dry run: `changeset version` on a throwaway copy of the workspace manifests and
 * changesets (plus one changeset of its own, so the flow runs even when none is pending), then
 * `pnpm -r publish --dry-run` on the real workspace. Proves that versions bump as the
 * changesets say, that dependents of a bumped package are bumped too, that every bumped package
 * gets a CHANGELOG.md, that private packages are never versioned or published, and that pnpm
 * would publish exactly the public packages.
 *
 * Needs built packages (publish packs dist/). Run: `pnpm release:dry-run`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type PackageManifest,
  publishedPackages,
  REPO_ROOT,
  run,
  temporaryDirectory,
} from './support/workspace.js'

type Bump = 'major' | 'minor' | 'patch'
const BUMP_ORDER: Bump[] = ['patch', 'minor', 'major']
const CHANGESET = join(REPO_ROOT, 'node_modules/.bin/changeset')
const DRY_RUN_CHANGESET = 'release-dry-run-check'

/** Workspace package folders, from pnpm-workspace.yaml's globs (`dir/*` or `dir`). */
function workspaceFolders(): string[] {
  const yaml = readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8')
  const block = yaml.split(/^packages:\s*$/m)[1]?.split(/^\S/m)[0] ?? ''
  const folders: string[] = []
  for (const [, glob] of block.matchAll(/^\s*-\s*['"]?([^'"\n]+?)['"]?\s*$/gm)) {
    if (!glob) continue
    if (glob.endsWith('/*')) {
      const parent = glob.slice(0, -2)
      for (const child of readdirSync(join(REPO_ROOT, parent))) {
        if (existsSync(join(REPO_ROOT, parent, child, 'package.json'))) {
          folders.push(`${parent}/${child}`)
        }
      }
    } else if (existsSync(join(REPO_ROOT, glob, 'package.json'))) {
      folders.push(glob)
    }
  }
  return folders
}

/** The bumps a changeset file asks for: `"@mcpkit/x": minor` lines in its front matter. */
function bumpsOf(text: string): Map<string, Bump> {
  const front = text.split(/^---\s*$/m)[1] ?? ''
  const bumps = new Map<string, Bump>()
  for (const [, name, bump] of front.matchAll(
    /^\s*["']?([^"':\s]+)["']?\s*:\s*(major|minor|patch)/gm,
  )) {
    if (name && bump) bumps.set(name, bump as Bump)
  }
  return bumps
}

function increment(version: string, bump: Bump): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number)
  if (bump === 'major') return `${major + 1}.0.0`
  if (bump === 'minor') return `${major}.${minor + 1}.0`
  return `${major}.${minor}.${patch + 1}`
}

function internalDependencies(manifest: PackageManifest): string[] {
  return Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((name) =>
    name.startsWith('@mcpkit/'),
  )
}

let work: { path: string; remove(): Promise<void> }
const before = new Map<string, { folder: string; manifest: PackageManifest }>()
const after = new Map<string, PackageManifest>()
const asked = new Map<string, Bump>()
let changesetFiles: string[] = []

beforeAll(async () => {
  work = await temporaryDirectory('mcpkit-release')
  for (const file of ['package.json', 'pnpm-workspace.yaml']) {
    await cp(join(REPO_ROOT, file), join(work.path, file))
  }
  await cp(join(REPO_ROOT, '.changeset'), join(work.path, '.changeset'), { recursive: true })
  for (const folder of workspaceFolders()) {
    await mkdir(join(work.path, folder), { recursive: true })
    await cp(join(REPO_ROOT, folder, 'package.json'), join(work.path, folder, 'package.json'))
    const changelog = join(REPO_ROOT, folder, 'CHANGELOG.md')
    if (existsSync(changelog)) await cp(changelog, join(work.path, folder, 'CHANGELOG.md'))
    const manifest = JSON.parse(
      readFileSync(join(REPO_ROOT, folder, 'package.json'), 'utf8'),
    ) as PackageManifest
    before.set(manifest.name, { folder, manifest })
  }
  await writeFile(
    join(work.path, '.changeset', `${DRY_RUN_CHANGESET}.md`),
    '---\n"@mcpkit/types": patch\n---\n\nRelease dry run: a patch of the package every other depends on.\n',
  )
  changesetFiles = readdirSync(join(work.path, '.changeset')).filter(
    (file) => file.endsWith('.md') && file !== 'README.md',
  )
  for (const file of changesetFiles) {
    for (const [name, bump] of bumpsOf(readFileSync(join(work.path, '.changeset', file), 'utf8'))) {
      const previous = asked.get(name)
      if (!previous || BUMP_ORDER.indexOf(bump) > BUMP_ORDER.indexOf(previous))
        asked.set(name, bump)
    }
  }
  await run(CHANGESET, ['version'], { cwd: work.path, timeoutMs: 60_000 })
  for (const [name, { folder }] of before) {
    after.set(
      name,
      JSON.parse(readFileSync(join(work.path, folder, 'package.json'), 'utf8')) as PackageManifest,
    )
  }
}, 90_000)

afterAll(async () => {
  await work?.remove()
})

it('consumes every changeset', () => {
  expect(changesetFiles.length).toBeGreaterThan(0)
  const left = readdirSync(join(work.path, '.changeset')).filter(
    (file) => file.endsWith('.md') && file !== 'README.md',
  )
  expect(left).toEqual([])
})

it('bumps each package as its changesets ask', () => {
  for (const [name, bump] of asked) {
    const previous = before.get(name)
    expect(previous, `changeset names unknown package ${name}`).toBeDefined()
    expect(previous?.manifest.private, `changeset names private package ${name}`).not.toBe(true)
    expect(after.get(name)?.version, name).toBe(increment(previous?.manifest.version ?? '', bump))
  }
})

it('bumps the dependents of a bumped package, keeping workspace:^ for pnpm to rewrite', () => {
  for (const [name, { manifest }] of before) {
    if (manifest.private) continue
    const bumpedDependencies = internalDependencies(manifest).filter(
      (dependency) => after.get(dependency)?.version !== before.get(dependency)?.manifest.version,
    )
    if (bumpedDependencies.length === 0) continue
    expect(
      after.get(name)?.version,
      `${name} depends on ${bumpedDependencies.join(', ')}`,
    ).not.toBe(manifest.version)
    for (const dependency of internalDependencies(manifest)) {
      const range = after.get(name)?.dependencies?.[dependency]
      if (range !== undefined) expect(range, `${name} → ${dependency}`).toBe('workspace:^')
    }
  }
})

it('writes a CHANGELOG.md for every bumped package, with the changeset text', () => {
  const ourText = 'Release dry run: a patch of the package every other depends on.'
  for (const [name, { folder, manifest }] of before) {
    if (after.get(name)?.version === manifest.version) continue
    const changelog = readFileSync(join(work.path, folder, 'CHANGELOG.md'), 'utf8')
    expect(changelog, name).toContain(`## ${after.get(name)?.version}`)
    if (name === '@mcpkit/types') expect(changelog).toContain(ourText)
  }
})

it('never versions a private package', () => {
  for (const [name, { folder, manifest }] of before) {
    if (!manifest.private) continue
    expect(after.get(name)?.version, name).toBe(manifest.version)
    expect(existsSync(join(work.path, folder, 'CHANGELOG.md')), `${name} CHANGELOG.md`).toBe(
      existsSync(join(REPO_ROOT, folder, 'CHANGELOG.md')),
    )
  }
})

it('pnpm -r publish --dry-run publishes exactly the public packages', async () => {
  const { stdout, stderr } = await run(
    'pnpm',
    ['-r', 'publish', '--dry-run', '--no-git-checks', '--access', 'public'],
    { cwd: REPO_ROOT, timeoutMs: 120_000 },
  )
  const published = [...`${stdout}\n${stderr}`.matchAll(/^\+ (@mcpkit\/[^@\s]+)@/gm)]
    .map((match) => match[1])
    .sort()
  expect(published).toEqual(publishedPackages().map((entry) => entry.name))
}, 150_000)
