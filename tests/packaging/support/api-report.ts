/**
 * API reports: the public surface of each entry point of a published package, as API Extractor
 * writes it (`.api.md`: every export with its kind and full signature), read from the built ESM
 * declarations (`dist/*.d.ts`). Checked in at `packages/<folder>/api/<entry>.api.md` and compared
 * by `api-report.test.ts`.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
  type IConfigFile,
} from '@microsoft/api-extractor'
import type { WorkspacePackage } from './workspace.js'

/** One entry of a package's `exports` and where its report lives. */
export interface ApiEntry {
  /** The package the entry belongs to. */
  workspacePackage: WorkspacePackage
  /** The key in `exports`: `.` or `./client`. */
  subpath: string
  /** What users import: `@mcpkit/transports/client`. */
  specifier: string
  /** The entry's ESM declaration file (`exports[subpath].import.types`), absolute. */
  declarationFile: string
  /** Its CommonJS twin (`exports[subpath].require.types`), absolute, if the entry has one. */
  requireDeclarationFile: string | undefined
  /** The checked-in report: `packages/<folder>/api/<entry>.api.md`, absolute. */
  reportFile: string
}

/** The folder that holds a package's reports. */
export function reportFolder(workspacePackage: WorkspacePackage): string {
  return join(workspacePackage.dir, 'api')
}

/**
 * Every entry of `exports` but `./package.json`, in `exports` order. `.` is reported as
 * `index.api.md`, `./client` as `client.api.md`, `./a/b` as `a-b.api.md`.
 */
export function apiEntries(workspacePackage: WorkspacePackage): ApiEntry[] {
  const { name, dir, manifest } = workspacePackage
  const entries: ApiEntry[] = []
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue
    const conditions = target as { import?: { types?: string }; require?: { types?: string } }
    const types = conditions.import?.types
    if (!types) throw new Error(`${name}: exports["${subpath}"] has no import.types`)
    const requireTypes = conditions.require?.types
    const entryName = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-')
    entries.push({
      workspacePackage,
      subpath,
      specifier: subpath === '.' ? name : `${name}/${subpath.slice(2)}`,
      declarationFile: join(dir, types),
      requireDeclarationFile: requireTypes && join(dir, requireTypes),
      reportFile: join(reportFolder(workspacePackage), `${entryName}.api.md`),
    })
  }
  return entries
}

/**
 * Packages that exist to re-export their siblings: the siblings' declarations are reported in
 * full there (API Extractor's `bundledPackages`), each name with its kind and signature, instead
 * of a bare `export { Name }`. Elsewhere a sibling's type appears as an import from it, and the
 * sibling's own report pins its shape.
 */
const INLINES_SIBLINGS = new Set(['@mcpkit/mcp'])

/** The repository's TypeScript, so that reports do not change with API Extractor's own copy. */
const TYPESCRIPT_FOLDER = dirname(createRequire(import.meta.url).resolve('typescript/package.json'))

/**
 * The report of every declaration file of the given entries, ESM and CommonJS (declaration file →
 * report text, or the error API Extractor failed with on that file), from one TypeScript program
 * for all of them. Throws when a declaration file is missing (not built).
 */
export async function generateApiReports(
  entries: readonly ApiEntry[],
): Promise<Map<string, string | Error>> {
  const targets = entries.flatMap((entry) =>
    [entry.declarationFile, entry.requireDeclarationFile]
      .filter((file) => file !== undefined)
      .map((declarationFile) => ({ workspacePackage: entry.workspacePackage, declarationFile })),
  )
  for (const { declarationFile } of targets) {
    if (!existsSync(declarationFile)) {
      throw new Error(`${declarationFile} is missing: build the packages first (pnpm build)`)
    }
  }
  const temporary = await mkdtemp(join(tmpdir(), 'mcpkit-api-report-'))
  try {
    const reports = new Map<string, string | Error>()
    let compilerState: CompilerState | undefined
    for (const [index, { workspacePackage, declarationFile }] of targets.entries()) {
      const reportName = `report-${index}`
      const config = extractorConfig(workspacePackage, declarationFile, temporary, reportName)
      // One program for all: parsing lib.dom and @types/node once is most of the time.
      compilerState ??= CompilerState.create(config, {
        typescriptCompilerFolder: TYPESCRIPT_FOLDER,
        additionalEntryPoints: targets.map((target) => target.declarationFile),
      })
      const errors: string[] = []
      try {
        const result = Extractor.invoke(config, {
          compilerState,
          // Write the report without comparing it to a previous one: the test compares.
          localBuild: true,
          messageCallback: (message: ExtractorMessage) => {
            if (message.logLevel === ExtractorLogLevel.Error) {
              errors.push(message.formatMessageWithLocation(workspacePackage.dir))
            }
            message.handled = true
          },
        })
        if (!result.succeeded) errors.push('API Extractor did not succeed')
      } catch (error) {
        // E.g. "Unable to analyze the export": a re-export of something the sibling dropped.
        errors.push(error instanceof Error ? error.message : String(error))
      }
      reports.set(
        declarationFile,
        errors.length > 0
          ? new Error(`API Extractor failed on ${declarationFile}:\n${errors.join('\n')}`)
          : await readFile(join(temporary, `${reportName}.api.md`), 'utf8'),
      )
    }
    return reports
  } finally {
    await rm(temporary, { recursive: true, force: true })
  }
}

function extractorConfig(
  workspacePackage: WorkspacePackage,
  declarationFile: string,
  temporary: string,
  reportName: string,
): ExtractorConfig {
  const configObject: IConfigFile = {
    projectFolder: workspacePackage.dir,
    mainEntryPointFilePath: declarationFile,
    bundledPackages: INLINES_SIBLINGS.has(workspacePackage.name) ? ['@mcpkit/*'] : [],
    compiler: {
      // The declarations as a consumer compiles them; not the package's tsconfig.json (src/).
      overrideTsconfig: {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          types: ['node'],
          strict: true,
          skipLibCheck: true,
        },
        files: [declarationFile],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: reportName,
      // Throwaway: the caller reads the report and compares it with the checked-in one.
      reportFolder: temporary,
      reportTempFolder: temporary,
      // A type that a signature uses but the entry does not export is shown in full too, so a
      // change to it is a change of the report.
      includeForgottenExports: true,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    newlineKind: 'lf',
    messages: {
      // Nothing but the API goes into the report: API Extractor's findings (undocumented members,
      // missing release tags, non-exported types in signatures) carry line numbers of dist/ that
      // move with any edit. Non-exported types still appear in full (includeForgottenExports),
      // and members without a doc comment are marked "(undocumented)".
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
      },
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  }
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: undefined,
    packageJsonFullPath: join(workspacePackage.dir, 'package.json'),
  })
}
