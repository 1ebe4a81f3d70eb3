// @modelcontextprotocol/server-filesystem over stdio on a temporary directory: the tools a
// user reaches for first (list a directory, read a file), and a tool error surfaced as such.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { ToolExecutionError } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import { makeTempDir } from '../support/processes.js'
import { FILESYSTEM_BIN } from '../support/servers.js'

describe('server-filesystem over stdio', () => {
  let dir: { path: string; remove(): Promise<void> }
  let client: MCPClient

  beforeAll(async () => {
    dir = await makeTempDir('filesystem')
    await writeFile(join(dir.path, 'notes.txt'), 'first line\nsecond line\n')
    await writeFile(join(dir.path, 'other.md'), '# other\n')
    client = new MCPClient({
      id: 'filesystem',
      servers: {
        files: { command: process.execPath, args: [FILESYSTEM_BIN, dir.path], stderr: 'ignore' },
      },
      timeout: 20_000,
    })
  })

  afterAll(async () => {
    await client?.disconnect()
    await dir?.remove()
  })

  it('lists the directory and reads a file through its tools', async () => {
    const { files } = await client.listToolsets()
    expect(Object.keys(files ?? {})).toEqual(
      expect.arrayContaining(['list_directory', 'read_text_file']),
    )

    const listing = (await files?.list_directory?.execute({ path: dir.path })) as {
      content: string
    }
    expect(listing.content.split('\n').sort()).toEqual(['[FILE] notes.txt', '[FILE] other.md'])

    const read = (await files?.read_text_file?.execute({
      path: join(dir.path, 'notes.txt'),
    })) as { content: string }
    expect(read.content).toBe('first line\nsecond line\n')

    const head = (await files?.read_text_file?.execute({
      path: join(dir.path, 'notes.txt'),
      head: 1,
    })) as { content: string }
    expect(head.content).toBe('first line')
    // `protocolVersion` is `auto` by default: the probe found a legacy stdio server.
    expect(client.getServerProtocolEras()).toEqual({ files: 'legacy' })
  })

  it('answers resource and prompt calls on a server without them with CAPABILITY_NOT_SUPPORTED', async () => {
    await expectMCPError(
      () => client.resources.read('files', `file://${dir.path}/notes.txt`),
      'CAPABILITY_NOT_SUPPORTED',
    )
    await expectMCPError(
      () => client.prompts.get({ serverName: 'files', name: 'anything' }),
      'CAPABILITY_NOT_SUPPORTED',
    )
    // Lists leave the server out instead of failing.
    expect(await client.resources.list()).toEqual({})
    expect(await client.prompts.list()).toEqual({})
  })

  it('turns a tool error (a path outside the allowed directory) into ToolExecutionError', async () => {
    const tools = await client.listTools()
    const error = await tools.files_read_text_file?.execute({ path: '/etc/hostname' }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(ToolExecutionError)
    expect((error as ToolExecutionError).code).toBe('TOOL_EXECUTION_ERROR')
    expect((error as ToolExecutionError).toolName).toMatch(/read_text_file/)
    expect((error as ToolExecutionError).message).toMatch(/denied|outside|allowed/i)
  })

  it("returns the error result as is with toolErrors: 'return'", async () => {
    const returning = new MCPClient({
      id: 'filesystem-return-errors',
      servers: {
        files: {
          command: process.execPath,
          args: [FILESYSTEM_BIN, dir.path],
          stderr: 'ignore',
          toolErrors: 'return',
        },
      },
    })
    try {
      const tools = await returning.listTools()
      const result = (await tools.files_read_text_file?.execute({ path: '/etc/hostname' })) as {
        isError?: boolean
        content: Array<{ type: string; text?: string }>
      }
      expect(result.isError).toBe(true)
      expect(result.content[0]?.text).toMatch(/denied|outside|allowed/i)
    } finally {
      await returning.disconnect()
    }
  })
})
