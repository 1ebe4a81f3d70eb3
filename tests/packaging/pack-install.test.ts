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
 *
 * Every program runs on Node 20, the floor `engines: >=20` promises, and on Node 22, the LTS the
 * suite itself runs on (`scripts/vitest-node22.mjs` records the machine's node, usually 20, in
 * $MCPKIT_SYSTEM_NODE). A missing one fails the test in CI and skips it elsewhere.
 *
 * Needs built packages (`pnpm build`) and the npm registry. Run: `pnpm test:packaging`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { cp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
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
  /** Public packages this user installs next to them. */
  registry: string[]
}

const TYPES_NODE = '@types/node@^20.19.0'
const PROJECTS: ConsumerProject[] = [
  {
    name: 'server-alone',
    packages: ['@mcpkit/mcp-server-core'],
    registry: ['zod@^4.1.0', TYPES_NODE],
  },
  { name: 'client-alone', packages: ['@mcpkit/mcp-client-core'], registry: [TYPES_NODE] },
  {
    name: 'client-approval',
    packages: ['@mcpkit/mcp-client-core', '@mcpkit/tool-approval'],
    registry: [TYPES_NODE],
  },
  { name: 'umbrella', packages: ['@mcpkit/mcp'], registry: ['zod@^4.1.0', TYPES_NODE] },
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
 * Type errors in third-party declarations that no mcpkit change can fix. Anything else — in the
 * programs, in @mcpkit declarations, or a new error in a dependency — fails the test.
 */
const KNOWN_THIRD_PARTY_ERRORS: {
  file: RegExp
  code: string
  /** Text the error message must contain, when the file and code are not specific enough. */
  mentions?: string
  reason: string
}[] = [
  {
    file: /node_modules\/@modelcontextprotocol\/sdk\/dist\/cjs\/validation\/types\.d\.ts$/,
    code: 'TS1541',
    reason:
      'SDK 1.32.2: its CommonJS declarations type-import an ESM-only module without a ' +
      'resolution-mode attribute; every CommonJS consumer of the SDK sees it with skipLibCheck: false',
  },
]

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
        JSON.stringify({ name: `smoke-${project.name}`, private: true, dependencies, overrides }),
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
            // The MCP SDK's declarations use fetch types only lib.dom declares (HeadersInit).
            lib: ['es2023', 'dom'],
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
          ...project.registry,
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

const compilations = new Map<string, Promise<string[]>>()

/**
 * Compiles a project's TypeScript programs into out/ (once, however many tests ask) with the
 * workspace's tsc; resolves to the type errors left after the known third-party ones.
 */
function compile(project: string): Promise<string[]> {
  let compilation = compilations.get(project)
  if (!compilation) {
    compilation = run(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false'], {
      cwd: projectDir(project),
      timeoutMs: 90_000,
    })
      .catch((error: Error) => ({ stdout: error.message, stderr: '' }))
      .then((output) =>
        output.stdout
          .split('\n')
          .filter((line) => /\berror TS\d+:/.test(line))
          .filter(
            (line) =>
              !KNOWN_THIRD_PARTY_ERRORS.some(
                (known) =>
                  known.file.test(line.split('(')[0] ?? '') &&
                  line.includes(`error ${known.code}:`) &&
                  (known.mentions === undefined || line.includes(known.mentions)),
              ),
          ),
      )
    compilations.set(project, compilation)
  }
  return compilation
}

describe.each(PROJECTS.map((project) => project.name))('%s', (project) => {
  it('installs only the @mcpkit packages it depends on', async () => {
    const { stdout } = await run('npm', ['ls', '--all', '--parseable', '--long'], {
      cwd: projectDir(project),
    })
    const installed = [...stdout.matchAll(/node_modules\/(@mcpkit\/[^/:\s]+):/g)].map(
      (match) => match[1],
    )
    const expected = PROJECTS.find((entry) => entry.name === project)?.packages ?? []
    expect(installed).toEqual(expect.arrayContaining(expected))
    expect(installed).toEqual(expect.arrayContaining(['@mcpkit/types']))
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
