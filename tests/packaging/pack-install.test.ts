/**
 * Pack-and-install smoke test: every published package is packed with `pnpm pack`, then fresh
 * projects outside the workspace install the tarballs with `npm install` — the way a user
 * installs from the registry — and run real programs: ESM (.mjs), CommonJS (.cjs), and
 * TypeScript (.mts and .cts, compiled with `skipLibCheck: false` and node16 resolution against
 * the published .d.ts / .d.cts, then run).
 *
 * Each project depends only on the packages its user would name; the other @mcpkit packages
 * reach it through npm `overrides` (standing in for the registry), so a package that forgot to
 * declare a sibling fails here. Public dependencies (the MCP SDK, zod, …) come from the npm
 * registry through a shared npm cache ($MCPKIT_NPM_CACHE, default <tmp>/mcpkit-npm-cache).
 * Two projects pin what users pin: `app-with-sdk` has the SDK v2 packages as its own
 * dependencies (npm must share one copy with mcpkit), `zod-floor` has exactly the lowest zod the
 * `^4.2.0` peer range allows.
 *
 * Every program runs on Node 20, the floor `engines: >=20` promises, and on Node 22, the LTS the
 * suite itself runs on (`scripts/vitest-node22.mjs` records the machine's node, usually 20, in
 * $MCPKIT_SYSTEM_NODE). A missing one fails the test in CI and skips it elsewhere.
 *
 * Needs built packages (`pnpm build`) and the npm registry. Run: `pnpm test:packaging`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { cp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  packPackages,
  publishedPackages,
  REPO_ROOT,
  run,
  temporaryDirectory,
} from './support/workspace.js'

interface ConsumerProject {
  /** Folder under tests/packaging/consumers/ holding the programs. */
  name: string
  /** The @mcpkit packages this user installs by name. */
  packages: string[]
  /**
   * Public packages this user has in its own `dependencies`, as `name@range`, written to its
   * package.json as they are (an exact version stays exact).
   */
  registry: string[]
  /** Versions the install must end up with (e.g. the zod floor), by package name. */
  versions?: Record<string, string>
}

const TYPES_NODE = '@types/node@^20.19.0'
/** The zod range mcpkit's packages take as a peer, and its floor. */
const ZOD_RANGE = '^4.2.0'
const ZOD_FLOOR = '4.2.0'
const PROJECTS: ConsumerProject[] = [
  {
    name: 'server-alone',
    packages: ['@mcpkit/mcp-server-core'],
    registry: [`zod@${ZOD_RANGE}`, TYPES_NODE],
  },
  { name: 'client-alone', packages: ['@mcpkit/mcp-client-core'], registry: [TYPES_NODE] },
  {
    name: 'client-approval',
    packages: ['@mcpkit/mcp-client-core', '@mcpkit/tool-approval'],
    registry: [TYPES_NODE],
  },
  { name: 'umbrella', packages: ['@mcpkit/mcp'], registry: [`zod@${ZOD_RANGE}`, TYPES_NODE] },
  {
    // An app with the SDK v2 of its own (caret ranges, as `npm i` writes them) and mcpkit's
    // server core, OAuth and client core: one SDK copy for all, so the app's OAuthError is
    // mcpkit's (LESSONS: an exact SDK pin gave apps two copies, and a 500 for a bad token).
    name: 'app-with-sdk',
    packages: ['@mcpkit/mcp-server-core', '@mcpkit/oauth', '@mcpkit/mcp-client-core'],
    registry: [
      '@modelcontextprotocol/server@^2.4.0',
      '@modelcontextprotocol/client@^2.4.0',
      `zod@${ZOD_RANGE}`,
      TYPES_NODE,
    ],
  },
  {
    // The lowest zod the peer range allows: z.fromJSONSchema must work on it (LESSONS: on 4.1 a
    // swallowed TypeError made every converted schema a z.record).
    name: 'zod-floor',
    packages: ['@mcpkit/mcp-client-core', '@mcpkit/mcp-server-core'],
    registry: [`zod@${ZOD_FLOOR}`, TYPES_NODE],
    versions: { zod: ZOD_FLOOR },
  },
]
/** Packages every project must have exactly one copy of: the SDK v2 (its three packages) and zod. */
const SINGLE_COPY = [
  '@modelcontextprotocol/client',
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/core',
  'zod',
]
/** Compiled with the workspace's TypeScript (the version the packages were built with). */
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
const NPM_CACHE = process.env.MCPKIT_NPM_CACHE ?? join(tmpdir(), 'mcpkit-npm-cache')
const CONSUMERS = join(REPO_ROOT, 'tests/packaging/consumers')

/** The Node.js majors every consumer program runs on: the `engines` floor and the LTS. */
const CONSUMER_NODE_MAJORS = [20, 22]

/**
 * The first node binary of each wanted major among the one that launched `pnpm test`, this one,
 * the repository's Node 22 and every `node` on PATH.
 */
function findNodes(majors: number[]): Map<number, string> {
  const candidates = [
    process.env.MCPKIT_SYSTEM_NODE,
    process.execPath,
    join(REPO_ROOT, '.tmp/node22/node_modules/.bin/node'),
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node')),
  ]
  const found = new Map<number, string>()
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' })
    const major = Number(version.trim().slice(1).split('.')[0])
    if (majors.includes(major) && !found.has(major)) found.set(major, realpathSync(candidate))
  }
  return found
}
const CONSUMER_NODES = findNodes(CONSUMER_NODE_MAJORS)

/**
 * Type errors in third-party declarations that no mcpkit change can fix, each allowed in the one
 * project that meets it. Anything else — in the programs, in @mcpkit declarations, or a new error
 * in a dependency — fails the test, and so does an entry that no longer occurs (remove it).
 */
const KNOWN_THIRD_PARTY_ERRORS: {
  project: string
  file: RegExp
  code: string
  /** Text the error message must contain, when the file and code are not specific enough. */
  mentions?: string
  reason: string
}[] = [
  {
    project: 'zod-floor',
    file: /node_modules\/zod\/v4\/core\/json-schema-generator\.d\.cts$/,
    code: 'TS1542',
    mentions: 'resolution-mode',
    reason:
      'zod 4.2.0 (the floor of the peer range, installed by zod-floor): its CommonJS declarations ' +
      'type-import ESM declarations (`import("./registries.js")`) without a resolution-mode ' +
      'attribute; every CommonJS consumer of zod 4.2.0 sees it with skipLibCheck: false. The zod ' +
      'the other projects install (the latest 4.x) compiles clean',
  },
]

/** The @mcpkit packages installing `names` brings: their dependencies and non-optional peers. */
function mcpkitClosure(names: readonly string[]): string[] {
  const manifests = new Map(publishedPackages().map((entry) => [entry.name, entry.manifest]))
  const closure = new Set<string>()
  const pending = [...names]
  for (let name = pending.pop(); name; name = pending.pop()) {
    if (closure.has(name)) continue
    closure.add(name)
    const manifest = manifests.get(name)
    if (!manifest) throw new Error(`${name} is not a published package`)
    const optional = manifest.peerDependenciesMeta ?? {}
    for (const dependency of [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((peer) => !optional[peer]?.optional),
    ]) {
      if (dependency.startsWith('@mcpkit/')) pending.push(dependency)
    }
  }
  return [...closure].sort()
}

/** `name@range` → [name, range] (the name may be scoped). */
function splitSpec(spec: string): [string, string] {
  const at = spec.lastIndexOf('@')
  if (at <= 0) throw new Error(`${spec}: expected name@range`)
  return [spec.slice(0, at), spec.slice(at + 1)]
}

/**
 * Every installed copy of `name` in a project, nested ones included, as `path@version`. npm
 * nests a second copy under the package that needs it when one copy cannot satisfy everyone.
 */
async function installedCopies(projectDir: string, name: string): Promise<string[]> {
  const copies: string[] = []
  const pending = [join(projectDir, 'node_modules')]
  let visited = 0
  for (let dir = pending.pop(); dir; dir = pending.pop()) {
    if (++visited > 5000) throw new Error(`more than 5000 node_modules folders in ${projectDir}`)
    const manifest = join(dir, name, 'package.json')
    if (existsSync(manifest)) {
      const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string }
      copies.push(`${relative(projectDir, join(dir, name))}@${version}`)
    }
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue
      const packageDirs = entry.name.startsWith('@')
        ? (await readdir(join(dir, entry.name), { withFileTypes: true }))
            .filter((scoped) => scoped.isDirectory())
            .map((scoped) => join(dir, entry.name, scoped.name))
        : [join(dir, entry.name)]
      for (const packageDir of packageDirs) {
        if (existsSync(join(packageDir, 'node_modules'))) {
          pending.push(join(packageDir, 'node_modules'))
        }
      }
    }
  }
  return copies.sort()
}

let work: { path: string; remove(): Promise<void> }
const projectDirs = new Map<string, string>()

function projectDir(name: string): string {
  const dir = projectDirs.get(name)
  if (!dir) throw new Error(`project ${name} was not installed`)
  return dir
}

beforeAll(async () => {
  work = await temporaryDirectory('mcpkit-pack-install')
  const tarballs = await packPackages(publishedPackages(), join(work.path, 'tarballs'))
  const overrides = Object.fromEntries(
    [...tarballs].map(([name, tarball]) => [name, `file:${tarball}`]),
  )
  await Promise.all(
    PROJECTS.map(async (project) => {
      const dir = join(work.path, project.name)
      await cp(join(CONSUMERS, project.name), dir, { recursive: true })
      const dependencies = Object.fromEntries(
        project.packages.map((name) => {
          const tarball = tarballs.get(name)
          if (!tarball) throw new Error(`${name} is not a published package`)
          return [name, `file:${tarball}`]
        }),
      )
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({
          name: `smoke-${project.name}`,
          private: true,
          dependencies: { ...dependencies, ...Object.fromEntries(project.registry.map(splitSpec)) },
          overrides,
        }),
      )
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            module: 'node16',
            moduleResolution: 'node16',
            target: 'es2022',
            // No lib.dom: fetch, Request and Headers come from @types/node, as in a Node.js app.
            lib: ['es2023'],
            types: ['node'],
            outDir: 'out',
            rootDir: '.',
            // Emit despite the known third-party errors below; ours are checked from the output.
            noEmitOnError: false,
          },
          files: ['main.mts', 'main.cts'],
        }),
      )
      await run(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          '--loglevel=error',
          '--cache',
          NPM_CACHE,
        ],
        { cwd: dir, timeoutMs: 150_000 },
      )
      projectDirs.set(project.name, dir)
    }),
  )
}, 200_000)

afterAll(async () => {
  await work?.remove()
})

/** Runs one program on `node` and expects it to finish by itself and say so. */
async function runProgram(
  node: string,
  project: string,
  file: string,
  marker: string,
): Promise<void> {
  const { stdout } = await run(node, [file], {
    cwd: projectDir(project),
    env: {
      ...process.env,
      MCPKIT_SMOKE_STDIO_SERVER: join(projectDir('server-alone'), 'stdio-server.mjs'),
    },
    timeoutMs: 45_000,
  })
  expect(stdout).toContain(`SMOKE OK ${project}/${marker}`)
}

describe.each(PROJECTS.map((project) => project.name))('%s', (project) => {
  const spec = PROJECTS.find((entry) => entry.name === project)
  if (!spec) throw new Error(`no project ${project}`)

  it('installs only the @mcpkit packages it depends on', async () => {
    // Exactly the named packages and what they depend on: an optional peer (the client core's
    // @mcpkit/oauth) is not installed unless the user names it.
    const { stdout } = await run('npm', ['ls', '--all', '--parseable', '--long'], {
      cwd: projectDir(project),
    })
    const installed = [...stdout.matchAll(/node_modules\/(@mcpkit\/[^/:\s]+):/g)].map(
      (match) => match[1],
    )
    expect([...new Set(installed)].sort()).toEqual(mcpkitClosure(spec.packages))
  })

  it('installs one copy of each SDK v2 package and of zod', async () => {
    const found: Record<string, string[]> = {}
    for (const name of SINGLE_COPY) found[name] = await installedCopies(projectDir(project), name)
    for (const name of SINGLE_COPY) {
      expect(found[name], `${name}: ${JSON.stringify(found)}`).toHaveLength(1)
    }
    for (const [name, version] of Object.entries(spec.versions ?? {})) {
      expect(found[name] ?? (await installedCopies(projectDir(project), name))).toEqual([
        `node_modules/${name}@${version}`,
      ])
    }
  })

  it('type-checks the TypeScript programs with skipLibCheck: false', async () => {
    expect(await compile(project)).toEqual([])
  }, 120_000)

  describe.each(CONSUMER_NODE_MAJORS)('on Node %i', (major) => {
    const node = CONSUMER_NODES.get(major)
    if (!node) {
      // A green run would hide that nothing ran on this node: fail in CI, skip elsewhere (a
      // developer machine may have only one of the two).
      const missing = process.env.CI === 'true' ? it : it.skip
      missing('finds a Node to run on', () => {
        expect.fail(`no Node ${major} found (MCPKIT_SYSTEM_NODE, this node, .tmp/node22, PATH)`)
      })
      return
    }

    it('runs the ESM program', async () => {
      await runProgram(node, project, 'main.mjs', 'main.mjs')
    })

    it('runs the CommonJS program', async () => {
      await runProgram(node, project, 'main.cjs', 'main.cjs')
    })

    it('runs the compiled TypeScript programs', async () => {
      await compile(project) // type errors are the test above's to report; out/ is emitted anyway
      await runProgram(node, project, 'out/main.mjs', 'main.mts')
      await runProgram(node, project, 'out/main.cjs', 'main.cts')
    }, 120_000)
  })
})

const compilations = new Map<string, Promise<string[]>>()

/**
 * Compiles a project's TypeScript programs into out/ (once, however many tests ask) with the
 * workspace's tsc; resolves to the type errors left after the project's known third-party ones,
 * plus one line per known error that no longer occurs (remove it).
 */
function compile(project: string): Promise<string[]> {
  let compilation = compilations.get(project)
  if (!compilation) {
    compilation = (async () => {
      const output = await run(
        process.execPath,
        [TSC, '-p', 'tsconfig.json', '--pretty', 'false'],
        {
          cwd: projectDir(project),
          timeoutMs: 90_000,
        },
      ).catch((error: Error) => ({ stdout: error.message, stderr: '' }))
      const known = KNOWN_THIRD_PARTY_ERRORS.filter((entry) => entry.project === project)
      const met = new Set<number>()
      const errors = output.stdout
        .split('\n')
        .filter((line) => /\berror TS\d+:/.test(line))
        .filter((line) => {
          const index = known.findIndex(
            (entry) =>
              entry.file.test(line.split('(')[0] ?? '') &&
              line.includes(`error ${entry.code}:`) &&
              (entry.mentions === undefined || line.includes(entry.mentions)),
          )
          if (index === -1) return true
          met.add(index)
          return false
        })
      const stale = known
        .filter((_, index) => !met.has(index))
        .map((entry) => `known third-party error no longer occurs (remove it): ${entry.reason}`)
      return [...errors, ...stale]
    })()
    compilations.set(project, compilation)
  }
  return compilation
}
