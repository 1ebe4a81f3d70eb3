/**
 * A strict TypeScript consumer (`strict`, `skipLibCheck: false`) passes mcpkit's tools to each
 * framework with no cast: the AI SDK (`generateText` through `toAISDKTools`), LangChain.js
 * (`bindTools` through `toLangChainTools`) and Mastra (`new Agent({ tools })`, `generate(…, {
 * toolsets })`), with `moduleResolution` `bundler` and `nodenext`. Against the built packages
 * and the framework versions the integration tests run. (Errors inside Mastra's own
 * declarations are left out: they fail with skipLibCheck: false whatever imports them.)
 *
 * Needs built packages.
 */

import { realpathSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishedPackages, REPO_ROOT, run, temporaryDirectory } from './support/workspace.js'

const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
const TESTS = join(REPO_ROOT, 'tests')
const FRAMEWORKS = ['ai', '@langchain/core', '@mastra/core', 'zod']

const CONSUMER = `import { Agent } from '@mastra/core/agent'
import type { StructuredToolInterface } from '@langchain/core/tools'
import { FakeStreamingChatModel } from '@langchain/core/utils/testing'
import { toAISDKTools } from '@mcpkit/ai-sdk'
import { toLangChainTools } from '@mcpkit/langchain'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { generateText, streamText, type ToolSet } from 'ai'

const mcp = new MCPClient({ servers: { notes: { url: 'http://127.0.0.1:3001/mcp' } } })
const tools = await mcp.listTools()
const toolsets = await mcp.listToolsets()

// AI SDK
const aiTools: ToolSet = toAISDKTools(tools)
export const generated = () => generateText({ model: 'openai/gpt-5', tools: aiTools, prompt: 'hi' })
export const streamed = () =>
  streamText({ model: 'openai/gpt-5', tools: toAISDKTools(toolsets.notes ?? {}), prompt: 'hi' })

// LangChain.js
const lcTools: StructuredToolInterface[] = toLangChainTools(tools)
export const bound = new FakeStreamingChatModel({}).bindTools(lcTools)

// Mastra: the raw tools, no adapter
export const agent = new Agent({ id: 'a', name: 'a', instructions: 'be brief', model: 'openai/gpt-5', tools })
export const withToolsets = () => agent.generate('hi', { toolsets })
`

let work: { path: string; remove(): Promise<void> }

beforeAll(async () => {
  work = await temporaryDirectory('mcpkit-framework-types')
  const modules = join(work.path, 'node_modules')
  await mkdir(join(modules, '@mcpkit'), { recursive: true })
  await mkdir(join(modules, '@types'), { recursive: true })
  await mkdir(join(modules, '@langchain'), { recursive: true })
  await mkdir(join(modules, '@mastra'), { recursive: true })
  for (const entry of publishedPackages()) await symlink(entry.dir, join(modules, entry.name))
  for (const name of FRAMEWORKS) {
    await symlink(realpathSync(join(TESTS, 'node_modules', name)), join(modules, name))
  }
  await symlink(join(REPO_ROOT, 'node_modules/@types/node'), join(modules, '@types/node'))
  await writeFile(join(work.path, 'package.json'), JSON.stringify({ type: 'module' }))
  await writeFile(join(work.path, 'consumer.ts'), CONSUMER)
}, 60_000)

afterAll(async () => {
  await work?.remove()
})

describe.each([
  { module: 'esnext', moduleResolution: 'bundler' },
  { module: 'nodenext', moduleResolution: 'nodenext' },
])('moduleResolution $moduleResolution', (resolution) => {
  it('compiles with strict and skipLibCheck: false, no cast', async () => {
    const config = `tsconfig.${resolution.moduleResolution}.json`
    await writeFile(
      join(work.path, config),
      JSON.stringify({
        compilerOptions: {
          ...resolution,
          strict: true,
          skipLibCheck: false,
          target: 'es2022',
          lib: ['es2023', 'dom', 'dom.iterable'],
          types: ['node'],
          noEmit: true,
        },
        files: ['consumer.ts'],
      }),
    )
    const output = await run(process.execPath, [TSC, '-p', config, '--pretty', 'false'], {
      cwd: work.path,
      timeoutMs: 240_000,
    }).catch((error: Error) => ({ stdout: error.message, stderr: '' }))
    const errors = output.stdout.split('\n').filter((line) => /error TS\d+/.test(line))
    // Mastra's own declarations (@mastra/core, @mastra/schema-compat: their bundled copies of
    // older AI SDK and zod 3 types) do not compile with skipLibCheck: false, whoever imports
    // them; every other error counts: in the consumer, in mcpkit's declarations, in ai's and
    // @langchain/core's.
    const ours = errors.filter((line) => !/\/node_modules\/@mastra\//.test(line))
    expect(ours).toEqual([])
  }, 300_000)
})
