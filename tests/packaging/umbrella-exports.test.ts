/**
 * `@mcpkit/mcp` re-exports the public API of every package it depends on. The exports of each
 * dependency (values and types, read from its built declarations) are compared with the
 * umbrella's, so an export a sibling adds later shows up here until the umbrella names it — or
 * is listed below with the reason it stays out. Also checks that the umbrella has no
 * `export *` (its surface is reviewed, name by name) and keeps the `@mastra/mcp` names.
 *
 * Needs built packages. Run: `pnpm check:packages`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { publishedPackages } from './support/workspace.js'

const umbrella = publishedPackages().find((entry) => entry.name === '@mcpkit/mcp')
if (!umbrella) throw new Error('packages/mcp is missing')

/** Exports of a dependency the umbrella leaves out on purpose, with the reason. */
const LEFT_OUT: Record<string, Record<string, string>> = {
  '@mcpkit/transports': {
    '*': 'building blocks under MCPClient and MCPServer; users of the raw handlers install @mcpkit/transports',
  },
  '@mcpkit/types': {
    Log: "mcpkit's internal log function type; apps give a LogHandler",
    logTo: 'a helper the mcpkit packages share to write LogMessages; apps give a LogHandler',
    safeLog: 'a helper the mcpkit packages share to call a log function safely',
    readCapped: 'a helper the mcpkit packages share to read request bodies with a size cap',
    canonicalJson: 'a helper the mcpkit packages share for argument digests and pool keys',
    jsonValueProblem: 'a helper the mcpkit packages share to find values JSON cannot carry',
    formatIssues: 'a helper the mcpkit packages share to word schema errors',
    SchemaIssue: 'the input of formatIssues',
    ServerAuthorizationRequest:
      'the contract between MCPClient.authenticate() and @mcpkit/oauth; apps call authenticate()',
    ScopeStepUpRequest:
      "the contract between MCPClient's scope step-up and @mcpkit/oauth; MCPClient runs it",
    ScopeChallenge: 'part of ScopeStepUpRequest',
    ServerAttachableAuthProvider:
      'the contract by which MCPClient gives an auth provider its server URL',
    attachAuthProvider: 'MCPClient calls it for each server definition; apps never need to',
  },
}

/** Names `@mastra/mcp` users import, which the umbrella must keep. */
const MASTRA_NAMES = [
  'MCPClient',
  'MCPServer',
  'createMCPTool',
  'MCPOAuthClientProvider',
  'createSimpleTokenProvider',
  'OAuthStorage',
  'InMemoryOAuthStorage',
  'MCPClientPool',
  'MastraMCPServerDefinition',
  'MastraFetchLike',
  'MCPClientOptions',
  'LogHandler',
  'LogMessage',
  'LoggingLevel',
  'ElicitationHandler',
  'ProgressHandler',
  'RequireToolApproval',
  'RequireToolApprovalFn',
  'RequireToolApprovalContext',
  'ToolAnnotations',
  'MCPServerResources',
  'MCPServerResourceContent',
  'MCPServerPrompts',
  'Resource',
  'ResourceTemplate',
  'Prompt',
  'PromptMessage',
  'ServerInfo',
  'ServerDetail',
  'ToolListInfo',
  'RequestContext',
]

/** Every name a built declaration file exports (values and types). */
function exportedNames(declarationFile: string): Set<string> {
  const program = ts.createProgram([declarationFile], {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    noEmit: true,
    skipLibCheck: true,
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(declarationFile)
  if (!source) throw new Error(`cannot read ${declarationFile}`)
  const symbol = checker.getSymbolAtLocation(source)
  if (!symbol) return new Set()
  return new Set(checker.getExportsOfModule(symbol).map((exported) => exported.getName()))
}

const umbrellaTypes = join(umbrella.dir, 'dist/index.d.ts')
const umbrellaExports = exportedNames(umbrellaTypes)
const dependencies = Object.keys(umbrella.manifest.dependencies ?? {}).filter((name) =>
  name.startsWith('@mcpkit/'),
)

it('has no export * (every re-export is named)', () => {
  const source = readFileSync(join(umbrella.dir, 'src/index.ts'), 'utf8')
  expect(source).not.toMatch(/export\s+\*/)
  expect(source).not.toMatch(/export\s+type\s+\*/)
})

it('keeps the @mastra/mcp names', () => {
  expect(MASTRA_NAMES.filter((name) => !umbrellaExports.has(name))).toEqual([])
})

describe.each(dependencies)('%s', (dependency) => {
  it('has every export re-exported by the umbrella, or left out with a reason', () => {
    const sibling = publishedPackages().find((entry) => entry.name === dependency)
    if (!sibling) throw new Error(`${dependency} is not a workspace package`)
    const leftOut = LEFT_OUT[dependency] ?? {}
    if (leftOut['*']) return
    const missing = [...exportedNames(join(sibling.dir, 'dist/index.d.ts'))].filter(
      (name) => !umbrellaExports.has(name) && !(name in leftOut),
    )
    expect(missing).toEqual([])
  })
})
