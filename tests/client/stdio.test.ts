// The stdio definition's options as a user relies on them: `cwd` is the child's working
// directory, `env` is added to a minimal environment (the parent's secrets stay out), and
// `stderr: 'logger'` turns the child's stderr into log lines.
import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { LogMessage } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../support/helpers.js'
import {
  isProcessAlive,
  makeTempDir,
  readPids,
  waitFor,
  waitForPids,
} from '../support/processes.js'
import { EVERYTHING_BIN, FORCE_LOOPBACK, STDOUT_BANNER } from '../support/servers.js'

describe('stdio definition options', () => {
  let dir: { path: string; remove(): Promise<void> }
  const secret = 'MCPKIT_TEST_PARENT_SECRET'

  beforeAll(async () => {
    dir = await makeTempDir('stdio')
    process.env[secret] = 'must-not-leak'
  })
  afterAll(async () => {
    delete process.env[secret]
    await dir?.remove()
  })

  it('honours cwd, adds env to a minimal environment, and sends stderr lines to the logger', async () => {
    const pidFile = join(dir.path, 'stdio.pids')
    const logs: LogMessage[] = []
    const client = new MCPClient({
      id: 'stdio-options',
      servers: {
        everything: {
          command: process.execPath,
          // A relative preload: it only resolves if the child really runs in `cwd`.
          args: ['--require', './record-pid.cjs', EVERYTHING_BIN, 'stdio'],
          cwd: join(FORCE_LOOPBACK, '..'),
          env: { MCPKIT_TEST_PID_FILE: pidFile, MCPKIT_TEST_DEFINED: 'from-definition' },
          stderr: 'logger',
          logger: (message) => logs.push(message),
          timeout: 20_000,
        },
      },
    })
    try {
      const tools = await client.listTools()
      const [pid] = await waitForPids(pidFile)
      expect(isProcessAlive(pid ?? 0)).toBe(true)

      const env = JSON.parse(textOf(await tools['everything_get-env']?.execute({}))) as Record<
        string,
        string
      >
      expect(env.MCPKIT_TEST_DEFINED).toBe('from-definition')
      expect(env.PATH).toBeTruthy()
      expect(env[secret]).toBeUndefined()

      // server-everything writes "Starting default (STDIO) server..." to stderr.
      const fromStderr = (message: LogMessage) => message.message.includes('Starting default')
      expect(await waitFor(() => logs.some(fromStderr), { timeoutMs: 10_000 })).toBe(true)
      expect(logs.find(fromStderr)?.serverName).toBe('everything')
    } finally {
      await client.disconnect()
    }
    for (const pid of readPids(pidFile)) expect(isProcessAlive(pid)).toBe(false)
  })

  it('ignores lines on stdout that are not JSON-RPC (a banner) and works normally', async () => {
    const client = new MCPClient({
      id: 'stdout-banner',
      servers: {
        noisy: {
          command: process.execPath,
          args: ['--require', STDOUT_BANNER, EVERYTHING_BIN, 'stdio'],
          stderr: 'ignore',
          timeout: 20_000,
        },
      },
    })
    try {
      const tools = await client.listTools()
      expect(textOf(await tools.noisy_echo?.execute({ message: 'clean' }))).toBe('Echo: clean')
    } finally {
      await client.disconnect()
    }
  })
})
