// Mistakes a user makes, each answered by an error that says what is wrong, with nothing sent
// to a server that should not get it.

import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { isMCPKitError, type MCPKitError, ToolInputValidationError } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { expectMCPError, thrownBy } from '../support/helpers.js'
import { isProcessAlive, makeTempDir, waitFor, waitForPids } from '../support/processes.js'
import { RECORD_PID } from '../support/servers.js'

let unique = 0

/**
 * The error a client reports for server `name` of `servers`: thrown by the constructor (the
 * best place for a bad definition), or else reported for that server by the first tool list.
 */
async function definitionError(
  servers: Record<string, unknown>,
  name: string,
): Promise<MCPKitError | undefined> {
  let client: MCPClient
  try {
    client = new MCPClient({ id: `bad-input-${++unique}`, servers } as never)
  } catch (error) {
    if (isMCPKitError(error)) return error
    throw error
  }
  try {
    const { errors } = await client.listToolsWithErrors()
    return errors[name]
  } catch (error) {
    if (isMCPKitError(error)) return error
    throw error
  } finally {
    await client.disconnect()
  }
}

describe('bad input', () => {
  let fixture: FixtureServer

  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('rejects a definition with both command and url as INVALID_DEFINITION', async () => {
    const error = await definitionError(
      { both: { command: process.execPath, args: ['-e', ''], url: fixture.url } },
      'both',
    )
    expect(error?.code).toBe('INVALID_DEFINITION')
    expect(error?.message).toContain('"both"')
    expect(error?.message).toMatch(/command/)
    expect(error?.message).toMatch(/url/)
  })

  it('rejects a definition with neither command nor url as INVALID_DEFINITION', async () => {
    const error = await definitionError({ neither: { timeout: 1000 } }, 'neither')
    expect(error?.code).toBe('INVALID_DEFINITION')
    expect(error?.message).toContain('"neither"')
  })

  it('rejects a url that is not a URL as INVALID_DEFINITION', async () => {
    const error = await definitionError({ broken: { url: 'not a url' } }, 'broken')
    expect(error?.code).toBe('INVALID_DEFINITION')
    expect(error?.message).toContain('not a url')
  })

  it('answers an unknown server name with SERVER_NOT_FOUND listing the configured names', async () => {
    const client = new MCPClient({
      id: 'unknown-server',
      servers: { alpha: { url: fixture.url }, beta: { url: fixture.url } },
    })
    try {
      const requestsBefore = fixture.requests.length
      const error = await expectMCPError(
        () => client.resources.read('gamma', 'fixture://status'),
        'SERVER_NOT_FOUND',
      )
      expect(error.message).toContain('gamma')
      expect(error.message).toContain('alpha')
      expect(error.message).toContain('beta')
      await expectMCPError(
        () => client.prompts.get({ serverName: 'gamma', name: 'greet', args: { name: 'x' } }),
        'SERVER_NOT_FOUND',
      )
      // Promise-returning methods reject (so `.catch()` sees it) rather than throw.
      for (const call of [
        () => client.resources.read('gamma', 'fixture://status'),
        () => client.resources.subscribe('gamma', 'fixture://status'),
        () => client.resources.unsubscribe('gamma', 'fixture://status'),
      ]) {
        const outcome = call()
        expect(outcome).toBeInstanceOf(Promise)
        await expect(outcome).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' })
      }
      // Asking for a server that does not exist connects nowhere.
      expect(fixture.requests.length).toBe(requestsBefore)
    } finally {
      await client.disconnect()
    }
  })

  it('rejects invalid tool arguments with ToolInputValidationError naming the field, sending no call', async () => {
    const client = new MCPClient({
      id: 'invalid-args',
      servers: { fixture: { url: fixture.url } },
    })
    try {
      const tools = await client.listTools()
      const callsBefore = fixture.rpcCount('tools/call')

      const wrongType = await thrownBy(() => tools.fixture_increment?.execute({ by: 'three' }))
      expect(wrongType).toBeInstanceOf(ToolInputValidationError)
      const wrong = wrongType as ToolInputValidationError
      expect(wrong.code).toBe('INVALID_TOOL_INPUT')
      expect(wrong.issues.map((issue) => issue.path)).toContain('/by')
      expect(wrong.message).toContain('by')

      const missing = await thrownBy(() => tools.fixture_echo?.execute({}))
      expect(missing).toBeInstanceOf(ToolInputValidationError)
      expect((missing as ToolInputValidationError).message).toContain('text')

      expect(fixture.rpcCount('tools/call')).toBe(callsBefore)
      expect(fixture.callsTo('increment')).toBe(0)

      // The tool still works with good arguments.
      expect(await tools.fixture_increment?.execute({ by: 3 })).toEqual({ count: 3 })
    } finally {
      await client.disconnect()
    }
  })

  it('reports a command that does not exist as COMMAND_NOT_FOUND', async () => {
    const error = await definitionError(
      { ghost: { command: 'mcpkit-test-no-such-command-5d1c', args: ['--stdio'] } },
      'ghost',
    )
    expect(error?.code).toBe('COMMAND_NOT_FOUND')
    expect(error?.message).toContain('"ghost"')
    expect(error?.message).toContain('mcpkit-test-no-such-command-5d1c')
  })

  it('fails fast with CONNECTION_FAILED and the stderr tail when a stdio server exits at startup', async () => {
    const client = new MCPClient({
      id: 'exits-at-startup',
      servers: {
        crashing: {
          command: process.execPath,
          args: ['-e', "console.error('boom: missing API key'); process.exit(3)"],
          stderr: 'logger',
          logger: () => {},
          timeout: 20_000,
        },
      },
    })
    try {
      const started = Date.now()
      const { errors } = await client.listToolsWithErrors()
      expect(Date.now() - started).toBeLessThan(5000)
      expect(errors.crashing?.code).toBe('CONNECTION_FAILED')
      expect(errors.crashing?.message).toContain('"crashing"')
      expect(errors.crashing?.message).toContain('boom: missing API key')
      expect(errors.crashing?.message).toMatch(/exit code 3/)
    } finally {
      await client.disconnect()
    }
  })

  it('times out a stdio server that never answers the handshake, and ends its process', async () => {
    const dir = await makeTempDir('silent')
    const pidFile = join(dir.path, 'silent.pids')
    const client = new MCPClient({
      id: 'silent-stdio',
      servers: {
        silent: {
          command: process.execPath,
          args: ['--require', RECORD_PID, '-e', 'setInterval(() => {}, 1000)'],
          env: { MCPKIT_TEST_PID_FILE: pidFile },
          timeout: 1000,
        },
      },
    })
    try {
      const started = Date.now()
      const { errors } = await client.listToolsWithErrors()
      expect(Date.now() - started).toBeLessThan(4000)
      expect(errors.silent?.code).toBe('CONNECT_TIMEOUT')
      const [pid] = await waitForPids(pidFile)
      // Gone after the failed connect, without waiting for disconnect().
      expect(await waitFor(() => !isProcessAlive(pid ?? 0), { timeoutMs: 5000 })).toBe(true)
    } finally {
      await client.disconnect()
      await dir.remove()
    }
  })
})
