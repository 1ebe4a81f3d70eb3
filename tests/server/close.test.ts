// `close()` ends every session on every transport and leaves nothing behind: no timer, no
// socket, no stream, so a process that calls it can exit by itself.
import { type ChildProcess, spawn } from 'node:child_process'
import http from 'node:http'
import { createMCPTool } from '@mcpkit/mcp-server-core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEverythingServer } from '../fixtures/everything-server.js'
import { activeResources, outcomeWithin, resourceSurplus } from '../support/helpers.js'
import { isProcessAlive, killPids, sleep, waitFor } from '../support/processes.js'
import {
  connectSdkClient,
  everythingScript,
  hostServer,
  initializeBody,
  mcpPostHeaders,
  openRawSession,
  startEverythingProcess,
} from '../support/server-host.js'

/** Opens a streaming request and resolves `ended` when the server ends or drops it. */
function openStream(
  url: URL,
  headers: Record<string, string>,
  { method = 'GET', body }: { method?: string; body?: string } = {},
) {
  let status = 0
  let received = ''
  const request = http.request(url, { method, headers, agent: false })
  request.end(body)
  const ended = new Promise<'ended'>((resolve) => {
    request.on('response', (response) => {
      status = response.statusCode ?? 0
      response.setEncoding('utf8')
      response.on('data', (text: string) => {
        received += text
      })
      response.on('end', () => resolve('ended'))
      response.on('close', () => resolve('ended'))
    })
    request.on('error', () => resolve('ended'))
  })
  return {
    ended,
    status: () => status,
    received: () => received,
    destroy: () => request.destroy(),
  }
}

/** `'ended'`, or `'still open'` if `ended` has not settled by now. */
async function settled(ended: Promise<'ended'>): Promise<string> {
  const outcome = await outcomeWithin(ended, 0)
  return outcome.status === 'pending' ? 'still open' : 'ended'
}

/** Exit code and signal of `child`, or `undefined` if it is still running after `ms`. */
async function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return { code: child.exitCode, signal: child.signalCode }
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const outcome = await outcomeWithin(exited, ms)
  return outcome.status === 'fulfilled' ? outcome.value : undefined
}

describe('close()', () => {
  it('ends open streams and in-flight calls of every session, and leaves no timers or sockets', async () => {
    const before = activeResources()
    const server = createEverythingServer({
      extraTools: {
        wait_for_user: createMCPTool({
          id: 'wait_for_user',
          description: 'Elicits and waits for the answer',
          inputSchema: z.object({}),
          execute: async (_input, { elicitation }) => {
            await elicitation.sendRequest({
              message: 'never answered',
              requestedSchema: { type: 'object', properties: {} },
            })
            return 'answered'
          },
        }),
      },
    })
    const host = await hostServer(server, { options: { sessionIdleTimeoutMs: 60_000 } })

    // A Streamable HTTP session with its standalone GET stream open…
    const sessionId = await openRawSession(host.mcpUrl)
    const httpStream = openStream(host.mcpUrl, {
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    })
    // …a legacy SSE session…
    const sseStream = openStream(host.sseUrl, { accept: 'text/event-stream' })
    // …and a tool call whose response stream waits on an elicitation nobody answers.
    const caller = await openRawSession(host.mcpUrl, {}, { elicitation: {} })
    const callStream = openStream(host.mcpUrl, mcpPostHeaders(caller), {
      method: 'POST',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'wait_for_user', arguments: {} },
      }),
    })
    await waitFor(
      () =>
        httpStream.status() === 200 &&
        sseStream.received().includes('endpoint') &&
        callStream.received().includes('elicitation/create'),
      { timeoutMs: 5000 },
    )
    expect(httpStream.status()).toBe(200)
    expect(sseStream.received()).toContain('event: endpoint')
    expect(callStream.received()).toContain('elicitation/create')

    await server.close()
    const streams = await outcomeWithin(
      Promise.all([httpStream.ended, sseStream.ended, callStream.ended]),
      3000,
    )
    const states = `GET /mcp ${await settled(httpStream.ended)}, GET /sse ${await settled(sseStream.ended)}, POST tools/call ${await settled(callStream.ended)}`
    expect(streams.status, `close() left a stream open: ${states}`).toBe('fulfilled')
    for (const stream of [httpStream, sseStream, callStream]) stream.destroy()
    await host.close()

    // Sockets close and timers fire asynchronously: poll briefly before judging.
    await waitFor(() => Object.keys(resourceSurplus(before, activeResources())).length === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
    })
    expect(resourceSurplus(before, activeResources())).toEqual({})
  })

  it('is idempotent, and a closed server opens no new session (whether or not it served before)', async () => {
    const initialize = async (url: URL) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: mcpPostHeaders(),
        body: initializeBody(),
      })
      await response.body?.cancel()
      return { status: response.status, sessionId: response.headers.get('mcp-session-id') }
    }
    // One that served a session before close()…
    const used = createEverythingServer()
    const usedHost = await hostServer(used)
    await openRawSession(usedHost.mcpUrl)
    await used.close()
    await used.close()
    const afterUse = await initialize(usedHost.mcpUrl)
    // …and one closed before its first request.
    const unused = createEverythingServer()
    const unusedHost = await hostServer(unused)
    await unused.close()
    const afterNoUse = await initialize(unusedHost.mcpUrl)
    await usedHost.close()
    await unusedHost.close()
    expect(afterUse.sessionId, 'served before close()').toBeNull()
    expect(afterUse.status, 'served before close()').toBeGreaterThanOrEqual(400)
    expect(afterNoUse.sessionId, 'closed before its first request').toBeNull()
    expect(afterNoUse.status, 'closed before its first request').toBeGreaterThanOrEqual(400)
  })
})

describe('a server process exits by itself after close(), with a client still connected', () => {
  it.each(['http', 'sse'] as const)('over %s', async (mode) => {
    const server = await startEverythingProcess(mode)
    const client = await connectSdkClient(mode, server.url)
    try {
      await client.listTools()
      await sleep(100)
      server.child.kill('SIGTERM')
      const exit = await exitWithin(server.child, 7000)
      expect(exit, `still running 7 s after SIGTERM:\n${server.output()}`).toBeDefined()
      expect(exit, server.output()).toEqual({ code: 0, signal: null })
    } finally {
      await client.close().catch(() => {})
      await server.stop()
    }
  })

  it('over stdio', async () => {
    const child = spawn(process.execPath, [everythingScript(), 'stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    try {
      child.stdin.write(`${initializeBody(1, 'stdio-close-test')}\n`)
      const answered = await waitFor(() => stdout.includes('"id":1'), { timeoutMs: 10_000 })
      expect(answered, stderr).toBe(true)
      child.stdin.write(
        `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`,
      )
      await sleep(100)
      // The client keeps stdin open: close() alone must let the process go.
      child.kill('SIGTERM')
      const exit = await exitWithin(child, 7000)
      expect(exit, `still running 7 s after SIGTERM:\n${stderr}`).toBeDefined()
      expect(exit, stderr).toEqual({ code: 0, signal: null })
    } finally {
      if (child.pid !== undefined && isProcessAlive(child.pid)) await killPids([child.pid])
      child.stdin.destroy()
    }
  })
})
