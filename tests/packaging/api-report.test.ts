/**
 * The public API of every entry point of every published package, pinned by a checked-in API
 * Extractor report (`packages/<folder>/api/<entry>.api.md`): an export added, removed or changed
 * by accident fails the test named for the package and entry, with the diff. The CommonJS
 * declarations (`.d.cts`) must report the same API as the ESM ones.
 *
 * After an intended API change: `pnpm api:update` (this file with MCPKIT_API_UPDATE=1 writes the
 * reports and deletes those of removed entries), review the diff, commit it with a changeset.
 * Needs built packages (`pnpm build`). Run: `pnpm api:check`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type ApiEntry,
  apiEntries,
  generateApiReports,
  reportFolder,
} from './support/api-report.js'
import { publishedPackages, REPO_ROOT, type WorkspacePackage } from './support/workspace.js'

const UPDATE = process.env.MCPKIT_API_UPDATE === '1'
const packages = publishedPackages()
let reports: Map<string, string | Error>

beforeAll(async () => {
  // All at once (one TypeScript program); an entry that is not built fails its own tests below.
  const built = packages
    .flatMap(apiEntries)
    .filter((entry) => [entry.declarationFile, entry.requireDeclarationFile].every(isBuilt))
  reports = await generateApiReports(built)
}, 120_000)

function isBuilt(declarationFile: string | undefined): boolean {
  return declarationFile === undefined || existsSync(declarationFile)
}

/** The report of a declaration file; throws why there is none (not built, API Extractor failed). */
function reportOf(declarationFile: string): string {
  const report = reports.get(declarationFile)
  if (report === undefined) {
    throw new Error(`no report of ${relative(REPO_ROOT, declarationFile)}: pnpm build`)
  }
  if (report instanceof Error) throw report
  return report
}

describe.each(packages.map((each): [string, WorkspacePackage] => [each.name, each]))(
  '%s',
  (name, workspacePackage) => {
    const entries = apiEntries(workspacePackage).map((entry): [string, ApiEntry] => [
      entry.specifier,
      entry,
    ])

    it.each(entries)('%s matches its API report', (specifier, entry) => {
      const reportPath = relative(REPO_ROOT, entry.reportFile)
      const report = reportOf(entry.declarationFile)
      if (UPDATE) {
        mkdirSync(reportFolder(workspacePackage), { recursive: true })
        writeFileSync(entry.reportFile, report)
        return
      }
      if (!existsSync(entry.reportFile)) {
        throw new Error(`${specifier} has no API report (${reportPath}): pnpm api:update`)
      }
      expect(
        report,
        `${specifier}: the public API differs from ${reportPath} ` +
          '(if that is intended: pnpm api:update, and a changeset)',
      ).toBe(readFileSync(entry.reportFile, 'utf8'))
    })

    it.each(entries)('%s has the same API for CommonJS', (specifier, entry) => {
      if (entry.requireDeclarationFile === undefined) return
      expect(
        reportOf(entry.requireDeclarationFile),
        `${specifier}: ${relative(REPO_ROOT, entry.requireDeclarationFile)} differs from the ESM declarations`,
      ).toBe(reportOf(entry.declarationFile))
    })

    it(`${name} has no report of an entry that is gone`, () => {
      const folder = reportFolder(workspacePackage)
      const expected = new Set(apiEntries(workspacePackage).map((entry) => entry.reportFile))
      const stale = existsSync(folder)
        ? readdirSync(folder)
            .map((file) => join(folder, file))
            .filter((file) => file.endsWith('.api.md') && !expected.has(file))
        : []
      if (UPDATE) {
        for (const file of stale) rmSync(file)
        return
      }
      expect(
        stale.map((file) => relative(REPO_ROOT, file)),
        'reports of entries no longer in exports (pnpm api:update deletes them)',
      ).toEqual([])
    })
  },
)
