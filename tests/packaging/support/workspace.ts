import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** The repository root (two levels above tests/packaging/support). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** The fields of a package.json the packaging checks read. */
export interface PackageManifest {
  name: string
  version: string
  private?: boolean
  description?: string
  license?: string
  type?: string
  main?: string
  module?: string
  types?: string
  files?: string[]
  sideEffects?: boolean | string[]
  engines?: Record<string, string>
  exports?: Record<string, unknown>
  publishConfig?: Record<string, unknown>
  repository?: string | { type?: string; url?: string; directory?: string }
  homepage?: string
  keywords?: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  optionalDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  [field: string]: unknown
}

/** A package of the workspace that gets published (`packages/*` without `private: true`). */
export interface WorkspacePackage {
  name: string
  version: string
  /** Absolute path of the package directory. */
  dir: string
  /** `packages/<folder>`, as `repository.directory` names it. */
  relativeDir: string
  manifest: PackageManifest
}

/**
 * Every published package, read from packages/* at call time, so a package added by anyone is
 * checked without touching the tests. Sorted by name for stable test titles.
 */
export function publishedPackages(): WorkspacePackage[] {
  const packagesDir = join(REPO_ROOT, 'packages')
  const found: WorkspacePackage[] = []
  for (const folder of readdirSync(packagesDir)) {
    const manifestPath = join(packagesDir, folder, 'package.json')
    if (!existsSync(manifestPath)) continue
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest
    if (manifest.private === true) continue
    found.push({
      name: manifest.name,
      version: manifest.version,
      dir: join(packagesDir, folder),
      relativeDir: `packages/${folder}`,
      manifest,
    })
  }
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

/** The file name `pnpm pack` gives a package's tarball. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}

/**
 * Packs each package with `pnpm pack` (which rewrites `workspace:` and `catalog:` ranges the way
 * `pnpm publish` does) into `destination`; returns the tarball path by package name.
 */
export async function packPackages(
  packages: readonly WorkspacePackage[],
  destination: string,
): Promise<Map<string, string>> {
  await mkdir(destination, { recursive: true })
  const tarballs = new Map<string, string>()
  // Two at a time: pnpm pack is mostly process start-up, and CI machines have few cores.
  const queue = [...packages]
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const distDir = join(next.dir, 'dist')
      if (!existsSync(distDir)) {
        throw new Error(`${next.name} has no dist/: build it first (pnpm build)`)
      }
      await execFileAsync('pnpm', ['pack', '--pack-destination', destination], {
        cwd: next.dir,
        maxBuffer: 10 * 1024 * 1024,
      })
      const tarball = join(destination, tarballName(next.name, next.version))
      if (!existsSync(tarball)) throw new Error(`pnpm pack did not write ${tarball}`)
      tarballs.set(next.name, tarball)
    }
  }
  await Promise.all([worker(), worker()])
  return tarballs
}

/** Unpacks a tarball into `destination` (its files land under `destination/package/`). */
export async function unpack(tarball: string, destination: string): Promise<string> {
  await mkdir(destination, { recursive: true })
  await execFileAsync('tar', ['-xzf', tarball, '-C', destination])
  return join(destination, 'package')
}

/** The package.json inside a tarball: what npm users get. */
export async function packedManifest(tarball: string): Promise<PackageManifest> {
  const { stdout } = await execFileAsync('tar', ['-xOzf', tarball, 'package/package.json'], {
    maxBuffer: 10 * 1024 * 1024,
  })
  return JSON.parse(stdout) as PackageManifest
}

/** The file names inside a tarball, without the leading `package/`. */
export async function packedFiles(tarball: string): Promise<string[]> {
  const { stdout } = await execFileAsync('tar', ['-tzf', tarball], { maxBuffer: 10 * 1024 * 1024 })
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''))
    .sort()
}

/** A fresh temporary directory and its removal. */
export async function temporaryDirectory(
  prefix: string,
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** Reads a tarball into memory (publint's `pack: { tarball }`). */
export async function readTarball(tarball: string): Promise<ArrayBuffer> {
  const bytes = await readFile(tarball)
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/** Runs a command and returns its output; rejects with both streams in the message. */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 50 * 1024 * 1024,
    })
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string; code?: unknown }
    throw new Error(
      `${command} ${args.join(' ')} failed in ${options.cwd} (exit ${String(failure.code)}):\n` +
        `${failure.stdout ?? ''}\n${failure.stderr ?? ''}`.trim(),
    )
  }
}

/** The package a bare import specifier names: `@scope/name/sub` → `@scope/name`. */
export function packageOfSpecifier(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
}
