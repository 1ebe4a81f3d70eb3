import { MCPClient } from '@mcpkit/mcp-client-core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import {
  isProcessGroupAlive,
  processGroupMembers,
  runningChildren,
  waitFor,
} from '../support/processes.js'
import { heapAfterGc, hostileStdio } from './client-helpers.js'

const MB = 1024 * 1024
const clients: MCPClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
})
afterAll(async () => {
  // No process left: every server this file started, and what they started, is gone.
  expect(await waitFor(() => runningChildren().length === 0, { timeoutMs: 10_000 })).toBe(true)
})

function client(servers: ConstructorParameters<typeof MCPClient>[0]['servers'], timeout = 20_000) {
  const created = new MCPClient({ servers, timeout })
  clients.push(created)
  return created
}

describe('a hostile stdio server', () => {
  it('sends a line over the limit: that server fails with RESPONSE_TOO_LARGE, the process and the other servers live on', async () => {
    const mcp = client({
      flood: hostileStdio('none', { maxResponseBytes: 10 * MB }),
      good: hostileStdio('none'),
    })
    const tools = await mcp.listTools()
    const error = await expectMCPError(
      tools.flood_big!.execute({ bytes: 11 * MB }),
      'RESPONSE_TOO_LARGE',
    )
    expect(error.message).toMatch(/maxResponseBytes/)
    // Only that server's connection went; the other one answers, and so does the next call.
    expect(await tools.good_echo!.execute({ text: 'still here' })).toMatchObject({
      content: [{ text: 'still here' }],
    })
    expect(await tools.flood_echo!.execute({ text: 'reconnected' })).toMatchObject({
      content: [{ text: 'reconnected' }],
    })
  })

  it('answers 11 MB legitimately: read within the default limit (16 MiB)', async () => {
    const mcp = client({ large: hostileStdio('none') })
    const tools = await mcp.listTools()
    const result = (await tools.large_big!.execute({ bytes: 11 * MB })) as {
      content: [{ text: string }]
    }
    expect(result.content[0].text).toHaveLength(11 * MB)
  })

  it('sends a 50 MB tool list on one line: RESPONSE_TOO_LARGE, the heap back near its baseline', async () => {
    const baseline = heapAfterGc()
    const mcp = client({ huge: hostileStdio('hugeline') })
    await expectMCPError(mcp.listTools(), 'RESPONSE_TOO_LARGE')
    await mcp.disconnect()
    const after = heapAfterGc()
    expect(after).toBeLessThan(baseline * 1.1)
  })

  it('crashes, leaving a helper in its process group: the whole group goes at once, no disconnect needed', async () => {
    const mcp = client({ crashy: hostileStdio('helper') })
    const tools = await mcp.listTools()
    // The server (its pid is the group id) and its helper.
    const groups = new Set<number>()
    const ours = await waitFor(
      () => {
        for (const pgid of candidateGroups())
          if (processGroupMembers(pgid).length >= 2) groups.add(pgid)
        return groups.size > 0
      },
      { timeoutMs: 5000 },
    )
    expect(ours).toBe(true)
    const [pgid] = [...groups]
    await expectMCPError(tools.crashy_crash!.execute({}), 'CONNECTION_CLOSED')
    // Bounded wait for the group to go (SIGTERM at once; SIGKILL after the 2 s grace at most).
    expect(await waitFor(() => !isProcessGroupAlive(pgid!), { timeoutMs: 5000 })).toBe(true)
  })

  it('is disconnected: nothing of its group is left', async () => {
    const mcp = client({ helper: hostileStdio('helper') })
    await mcp.listTools()
    const pgids = candidateGroups()
    expect(pgids.length).toBeGreaterThan(0)
    await mcp.disconnect()
    // SIGKILL was sent before disconnect() resolved; the kernel ends the processes right after.
    expect(
      await waitFor(() => pgids.every((pgid) => !isProcessGroupAlive(pgid)), { timeoutMs: 10_000 }),
    ).toBe(true)
  })
})

/**
 * Process groups led by children of this test process (`ProcessStdioTransport` makes each
 * stdio server lead its own group: its pid is the group id).
 */
function candidateGroups(): number[] {
  return runningChildren().filter((pid) => processGroupMembers(pid).includes(pid))
}
