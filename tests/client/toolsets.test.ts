// listTools()/listToolsets() as a per-request call: a broken server is reported without
// hiding the healthy ones, and a warm list costs no round trip until the server says the
// list changed.
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { LogMessage } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { expectMCPError, refusedPort } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'

describe('toolsets', () => {
  let fixture: FixtureServer

  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('reports a failing server in listToolsetsWithErrors() and still lists the healthy one', async () => {
    const port = await refusedPort()
    const logs: LogMessage[] = []
    const client = new MCPClient({
      id: 'one-failing',
      logger: (message) => logs.push(message),
      servers: {
        healthy: { url: fixture.url },
        broken: { url: `http://127.0.0.1:${port}/mcp`, timeout: 5000 },
        missing: { command: 'mcpkit-test-no-such-command-7a2e' },
      },
    })
    try {
      const { toolsets, errors } = await client.listToolsetsWithErrors()
      expect(Object.keys(toolsets.healthy ?? {})).toEqual(
        expect.arrayContaining(['echo', 'increment', 'block']),
      )
      expect(toolsets.broken).toBeUndefined()
      expect(errors.broken?.code).toBe('CONNECTION_FAILED')
      expect(errors.missing?.code).toBe('COMMAND_NOT_FOUND')
      expect(errors.healthy).toBeUndefined()

      const plain = await client.listToolsets()
      expect(Object.keys(plain)).toEqual(['healthy'])
      expect(Object.keys(plain.healthy ?? {})).toContain('echo')

      const flat = await client.listTools()
      expect(Object.keys(flat).sort()).toEqual([
        'healthy_block',
        'healthy_echo',
        'healthy_increment',
      ])

      const withErrors = await client.listToolsWithErrors()
      expect(Object.keys(withErrors.tools)).toContain('healthy_echo')
      expect(Object.keys(withErrors.errors).sort()).toEqual(['broken', 'missing'])

      // listTools()/listToolsets() leave them out, but log each failure for its server.
      const failures = logs.filter((line) => line.level === 'error')
      expect(failures.map((line) => line.serverName)).toEqual(
        expect.arrayContaining(['broken', 'missing']),
      )
      expect(failures.map((line) => line.serverName)).not.toContain('healthy')
    } finally {
      await client.disconnect()
    }
  })

  it('serves a warm listToolsets() without a network round trip', async () => {
    const client = new MCPClient({ id: 'warm-cache', servers: { fixture: { url: fixture.url } } })
    try {
      await client.listToolsets()
      const listsBefore = fixture.rpcCount('tools/list')
      const requestsBefore = fixture.requests.length
      for (let index = 0; index < 20; index++) {
        const toolsets = await client.listToolsets()
        expect(Object.keys(toolsets.fixture ?? {})).toContain('echo')
        await client.listTools()
      }
      expect(fixture.rpcCount('tools/list')).toBe(listsBefore)
      expect(fixture.requests.length).toBe(requestsBefore)
    } finally {
      await client.disconnect()
    }
  })

  it('shares one connect and one tools/list among concurrent first callers', async () => {
    const client = new MCPClient({
      id: 'concurrent-first',
      servers: { fixture: { url: fixture.url } },
    })
    try {
      const initializes = fixture.rpcCount('initialize')
      const lists = fixture.rpcCount('tools/list')
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => client.listToolsets()),
        ...Array.from({ length: 5 }, () => client.listTools()),
      ])
      expect(results).toHaveLength(10)
      expect(fixture.rpcCount('initialize')).toBe(initializes + 1)
      expect(fixture.rpcCount('tools/list')).toBe(lists + 1)
    } finally {
      await client.disconnect()
    }
  })

  it('connects nothing when handlers are registered, and connects servers in parallel', async () => {
    const hanging = await startFixture({ mode: 'hang' })
    const client = new MCPClient({
      id: 'lazy-parallel',
      servers: {
        fixture: { url: fixture.url, requireToolApproval: true },
        slowOne: { url: hanging.url, timeout: 1000 },
        slowTwo: { url: new URL('/mcp?second', hanging.url), timeout: 1000 },
      },
    })
    try {
      const requests = fixture.requests.length
      client.resources.onUpdated('fixture', () => {})
      client.resources.onListChanged('fixture', () => {})
      client.prompts.onListChanged('fixture', () => {})
      client.progress.onUpdate('fixture', () => {})
      client.elicitation.onRequest('fixture', () => ({ action: 'decline' }))
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(fixture.requests.length).toBe(requests)
      expect(hanging.requests).toEqual([])

      // Two servers that each time out after 1 s: together about 1 s, not 2 s.
      const started = Date.now()
      const { toolsets, errors } = await client.listToolsetsWithErrors()
      expect(Date.now() - started).toBeLessThan(1900)
      expect(errors.slowOne?.code).toBe('CONNECT_TIMEOUT')
      expect(errors.slowTwo?.code).toBe('CONNECT_TIMEOUT')
      expect(toolsets.fixture?.echo?.requireApproval).toBe(true)
    } finally {
      await client.disconnect()
      await hanging.stop()
    }
  })

  it('refreshes the list after notifications/tools/list_changed', async () => {
    const client = new MCPClient({ id: 'list-changed', servers: { fixture: { url: fixture.url } } })
    const tool = `added_${Date.now()}`
    try {
      const before = await client.listToolsets()
      expect(Object.keys(before.fixture ?? {})).not.toContain(tool)
      // The notification travels on the session's GET stream, which the client opens right
      // after the handshake; a server drops notifications sent before it exists.
      const sessionId = fixture.requests.findLast((request) =>
        request.rpcMethods.includes('tools/list'),
      )?.sessionId
      expect(
        await waitFor(() =>
          fixture.requests.some(
            (request) => request.method === 'GET' && request.sessionId === sessionId,
          ),
        ),
      ).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 50))
      fixture.addTool(tool)
      const appeared = await waitFor(
        async () => Object.keys((await client.listToolsets()).fixture ?? {}).includes(tool),
        { timeoutMs: 10_000, intervalMs: 50 },
      )
      expect(appeared).toBe(true)
      const tools = await client.listTools()
      const added = tools[`fixture_${tool}`]
      expect(added).toBeDefined()
      expect(await added?.execute({})).toMatchObject({ content: [{ type: 'text', text: tool }] })
    } finally {
      await client.disconnect()
    }
  })

  it('lists a server without tools.listChanged again only after toolListTtl', async () => {
    const plain = await startFixture({ toolsListChanged: false })
    const client = new MCPClient({
      id: 'ttl',
      servers: { plain: { url: plain.url, toolListTtl: 400 } },
    })
    try {
      await client.listToolsets()
      expect(plain.rpcCount('tools/list')).toBe(1)
      await client.listToolsets()
      await client.listTools()
      expect(plain.rpcCount('tools/list')).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 500))
      const toolsets = await client.listToolsets()
      expect(Object.keys(toolsets.plain ?? {})).toContain('echo')
      expect(plain.rpcCount('tools/list')).toBe(2)
    } finally {
      await client.disconnect()
      await plain.stop()
    }
  })

  it('gives tools with long or odd names a valid id of at most 64 characters that still calls them', async () => {
    const odd = await startFixture()
    const longName = `report_${'x'.repeat(70)}`
    odd.addTool(longName)
    odd.addTool('weird.name with spaces')
    const client = new MCPClient({ id: 'tool-ids', servers: { odd: { url: odd.url } } })
    try {
      const tools = await client.listTools()
      for (const id of Object.keys(tools)) {
        expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
        expect(tools[id]?.id).toBe(id)
      }
      const long = Object.values(tools).find((tool) => tool.name === longName)
      expect(long?.id.length).toBeLessThanOrEqual(64)
      expect(long?.id.startsWith('odd_report_')).toBe(true)
      expect(await long?.execute({})).toMatchObject({ content: [{ text: longName }] })
      const weird = Object.values(tools).find((tool) => tool.name === 'weird.name with spaces')
      expect(weird?.id).toMatch(/^odd_weird_name_with_spaces/)
      expect(await weird?.execute({})).toMatchObject({
        content: [{ text: 'weird.name with spaces' }],
      })
      // listToolsets() keys by the tool's own name
      const toolsets = await client.listToolsets()
      expect(toolsets.odd?.[longName]?.id).toBe(long?.id)
    } finally {
      await client.disconnect()
      await odd.stop()
    }
  })

  it('keeps two tools whose names sanitise alike apart in listTools()', async () => {
    const alike = await startFixture()
    alike.addTool('files.read')
    alike.addTool('files_read')
    const client = new MCPClient({ id: 'alike-ids', servers: { alike: { url: alike.url } } })
    try {
      const tools = await client.listTools()
      const names = Object.values(tools).map((tool) => tool.name)
      expect(names).toEqual(expect.arrayContaining(['files.read', 'files_read']))
      const ids = Object.keys(tools)
      expect(new Set(ids).size).toBe(ids.length)
      for (const tool of Object.values(tools)) {
        if (tool.name === 'files.read' || tool.name === 'files_read') {
          expect(await tool.execute({})).toMatchObject({ content: [{ text: tool.name }] })
        }
      }
    } finally {
      await client.disconnect()
      await alike.stop()
    }
  })

  it('sends a progressToken (the runId when given) while a progress handler listens, unless enableProgressTracking is false', async () => {
    const tracked = new MCPClient({ id: 'progress-on', servers: { fixture: { url: fixture.url } } })
    const untracked = new MCPClient({
      id: 'progress-off',
      servers: { fixture: { url: fixture.url, enableProgressTracking: false } },
    })
    const tokenOf = (text: string) => {
      const call = fixture.requests
        .flatMap((request) => request.messages)
        .find(
          (message) =>
            (message as { params?: { arguments?: { text?: string } } }).params?.arguments?.text ===
            text,
        ) as { params?: { _meta?: { progressToken?: unknown } } } | undefined
      expect(call, `no tools/call with ${text}`).toBeDefined()
      return call?.params?._meta?.progressToken
    }
    try {
      const on = await tracked.listTools()
      // Nobody listens yet: the server is not asked for progress, a runId or not.
      await on.fixture_echo?.execute({ text: 'unheard' })
      await on.fixture_echo?.execute({ text: 'unheard-run' }, { runId: 'run-6' })
      expect(tokenOf('unheard')).toBeUndefined()
      expect(tokenOf('unheard-run')).toBeUndefined()
      const stop = tracked.progress.onUpdate('fixture', () => {})
      await on.fixture_echo?.execute({ text: 'tracked-default' })
      await on.fixture_echo?.execute({ text: 'tracked-run' }, { runId: 'run-7' })
      expect(tokenOf('tracked-default')).toBeDefined()
      expect(tokenOf('tracked-run')).toBe('run-7')
      stop()
      await on.fixture_echo?.execute({ text: 'stopped' })
      expect(tokenOf('stopped')).toBeUndefined()
      untracked.progress.onUpdate('fixture', () => {})
      const off = await untracked.listTools()
      await off.fixture_echo?.execute({ text: 'untracked' })
      expect(tokenOf('untracked')).toBeUndefined()
    } finally {
      await Promise.all([tracked.disconnect(), untracked.disconnect()])
    }
  })

  it('rejects a call to a tool the server has since removed with TOOL_NOT_FOUND naming the tools that exist', async () => {
    const changing = await startFixture()
    changing.addTool('soon_gone')
    const client = new MCPClient({
      id: 'removed-tool',
      servers: { changing: { url: changing.url } },
    })
    try {
      const tools = await client.listTools()
      const stale = tools.changing_soon_gone
      expect(stale).toBeDefined()
      changing.removeTool('soon_gone')
      // The server says so (tools/list_changed); the list no longer has it.
      expect(
        await waitFor(async () => !('changing_soon_gone' in (await client.listTools())), {
          timeoutMs: 10_000,
        }),
      ).toBe(true)
      // An agent still holding the old tool object calls it.
      const error = await expectMCPError(() => stale?.execute({}), 'TOOL_NOT_FOUND')
      expect(error.message).toContain('soon_gone')
      expect(error.message).toContain('echo')
    } finally {
      await client.disconnect()
      await changing.stop()
    }
  })
})
