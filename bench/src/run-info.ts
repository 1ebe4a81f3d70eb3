import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bench package's folder, whichever script asks. */
export const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..')

/** `items` rotated left by `by`, so contenders take turns going first. */
export function rotate<Item>(items: readonly Item[], by: number): Item[] {
  const shift = by % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

/** When a file (a dist build) was last written, for the run header. */
export function isoMtime(path: string): string {
  try {
    return statSync(path).mtime.toISOString()
  } catch {
    return '(missing)'
  }
}

/** The commit measured, and whether packages/ had uncommitted changes. */
export function gitDescription(): string {
  const git = (args: string[]) =>
    spawnSync('git', args, { cwd: benchDirectory, encoding: 'utf8' }).stdout?.trim() ?? ''
  const head = git(['rev-parse', '--short', 'HEAD'])
  if (!head) return 'unknown'
  const dirty = git(['status', '--porcelain', '--', '../packages']).length > 0
  return `${head}${dirty ? ' + uncommitted changes in packages/' : ''}`
}
