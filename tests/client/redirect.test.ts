// A moved MCP endpoint (`307` to where it now lives, same origin, which the SDK follows) keeps
// working on both eras, the standing stream included: mcpkit sends that stream with
// `redirect: 'error'` (so Node's fetch keeps no clone of the request while it streams) and,
// when the server redirects it, sends it again as the SDK made it. Change notifications still
// arrive on it.
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { LogMessage } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { startFixture } from '../support/fixture-server.js'
import { cleanupsAfterEach, startMovedEndpoint } from '../support/helpers.js'
import { startModernHost } from '../support/modern-host.js'
import { waitFor } from '../support/processes.js'

const cleanups = cleanupsAfterEach()

/** A client of `url` whose log lines are kept. */
function clientOf(url: URL, id: string) {
  const lines: LogMessage[] = []
  const client = new MCPClient({
    id,
    servers: { moved: { url } },
    logger: (line) => lines.push(line),
  })
  cleanups.push(() => client.disconnect())
  const logged = (text: string) => lines.some((line) => line.message.includes(text))
  return { client, logged }
}

describe('a moved endpoint (307 to its new path)', () => {
  it('2025 era: lists, calls, and hears of a changed tool list on the redirected GET stream', async () => {
    const fixture = await startFixture()
    cleanups.push(() => fixture.stop())
    const front = await startMovedEndpoint(fixture.url)
    cleanups.push(() => front.close())
    const { client, logged } = clientOf(front.url, 'redirect-legacy')

    const tools = await client.listToolsets()
    expect(Object.keys(tools.moved ?? {})).toContain('echo')
    expect(
      await waitFor(() => fixture.requests.some((request) => request.method === 'GET'), {
        timeoutMs: 10_000,
      }),
    ).toBe(true)
    expect(front.redirected.GET).toBeGreaterThanOrEqual(1)

    fixture.addTool('late')
    expect(await waitFor(() => logged('tool list changed'), { timeoutMs: 10_000 })).toBe(true)
    expect((await client.listToolsets()).moved?.late).toBeDefined()
  })

  it('2026-07-28: hears of an added tool on the redirected subscriptions/listen stream', async () => {
    const host = await startModernHost()
    cleanups.push(() => host.stop())
    const front = await startMovedEndpoint(host.url)
    cleanups.push(() => front.close())
    const { client, logged } = clientOf(front.url, 'redirect-modern')

    const tools = await client.listToolsets()
    expect(await waitFor(() => logged('listen stream open'), { timeoutMs: 10_000 })).toBe(true)
    expect(host.requests.some((request) => request.rpcMethod === 'subscriptions/listen')).toBe(true)

    await tools.moved!.add_tool!.execute({ name: 'late' })
    expect(await waitFor(() => logged('tool list changed'), { timeoutMs: 10_000 })).toBe(true)
    expect((await client.listToolsets()).moved?.late).toBeDefined()
  })
})
