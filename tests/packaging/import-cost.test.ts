/**
 * What `import { MCPClient } from '@mcpkit/mcp-client-core'` loads, in a fresh Node process:
 * no server, OAuth, stdio, Redis or framework code, no `node:child_process` and no
 * `node:crypto` (each is loaded when first used: stdio on the first stdio connect, Ajv on the
 * first connect, `@mcpkit/oauth` on `authenticate()`). Not timed: the modules are the cause,
 * the milliseconds (`pnpm --filter @mcpkit/bench bench:import`) the effect.
 *
 * Needs built packages (`pnpm build`). ESM through a synchronous `module.registerHooks`
 * resolve hook that records every URL; CJS through `require.cache`; both also through
 * `process.moduleLoadList` (Node's own builtins, which hooks do not see when reached through
 * `process.getBuiltinModule`).
 */
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const execFileAsync = promisify(execFile)
const TESTS_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..')

interface Loaded {
  /** Resolved URLs (ESM) or file paths (CJS) of every module loaded. */
  modules: string[]
  /** Node's builtins loaded, as `process.moduleLoadList` names them. */
  builtins: string[]
}

const ESM_PROBE = `
import { registerHooks } from 'node:module'
const modules = new Set()
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); modules.add(r.url); return r } })
const before = new Set(process.moduleLoadList)
const { MCPClient } = await import('@mcpkit/mcp-client-core')
if (typeof MCPClient !== 'function') throw new Error('no MCPClient')
process.stdout.write(JSON.stringify({ modules: [...modules], builtins: process.moduleLoadList.filter((name) => !before.has(name)) }))
`

const CJS_PROBE = `
const before = new Set(process.moduleLoadList)
const { MCPClient } = require('@mcpkit/mcp-client-core')
if (typeof MCPClient !== 'function') throw new Error('no MCPClient')
process.stdout.write(JSON.stringify({ modules: Object.keys(require.cache), builtins: process.moduleLoadList.filter((name) => !before.has(name)) }))
`

async function probe(type: 'module' | 'commonjs'): Promise<Loaded> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--input-type', type, '-e', type === 'module' ? ESM_PROBE : CJS_PROBE],
    { cwd: TESTS_DIRECTORY, timeout: 30_000 },
  )
  return JSON.parse(stdout) as Loaded
}

/** Paths a client user must not load until they use what they belong to. */
const FORBIDDEN_MODULES = [
  /@modelcontextprotocol[/+]server/,
  /@modelcontextprotocol[/+]node/,
  /@modelcontextprotocol[/+]sdk/,
  /packages\/oauth\//,
  /@mcpkit[/+]oauth/,
  /packages\/mcp-server-core\//,
  /packages\/redis\//,
  /packages\/ai-sdk\//,
  /packages\/transports\/dist\/(server|node|stdio)\./,
  /stdio-transport/,
  /@modelcontextprotocol\/client\/dist\/stdio/,
  /cross-spawn/,
  /\/ajv\//,
  /ajv-formats/,
  /jose/,
  /ioredis|\/redis\//,
  /^node:child_process$/,
  /^node:crypto$/,
  /^node:http$/,
]

/** Builtins (as `process.moduleLoadList` names them) that must stay unloaded. */
const FORBIDDEN_BUILTINS = [
  'NativeModule child_process',
  'NativeModule crypto',
  'NativeModule http',
]

function offenders(loaded: Loaded): string[] {
  return [
    ...loaded.modules.filter((module) => FORBIDDEN_MODULES.some((pattern) => pattern.test(module))),
    ...loaded.builtins.filter((name) => FORBIDDEN_BUILTINS.includes(name)),
  ]
}

describe('import { MCPClient } from @mcpkit/mcp-client-core', () => {
  it('loads no server, OAuth, stdio, Ajv or crypto code (ESM)', async () => {
    const loaded = await probe('module')
    expect(loaded.modules.some((module) => module.includes('mcp-client-core'))).toBe(true)
    expect(offenders(loaded)).toEqual([])
  })

  it('loads no server, OAuth, stdio, Ajv or crypto code (CJS)', async () => {
    const loaded = await probe('commonjs')
    expect(loaded.modules.some((module) => module.includes('mcp-client-core'))).toBe(true)
    expect(offenders(loaded)).toEqual([])
  })
})
