// MCPClient against a server that speaks only the 2026-07-28 revision: the SDK v2's
// `createMcpHandler` (HTTP) and `serveStdio` (stdio), both with `legacy: 'reject'`. The seed's
// API works unchanged on it: tools, resources with subscriptions, prompts, elicitation (several
// rounds through `input_required`), sampling, roots, progress, logs; change notifications ride
// one `subscriptions/listen` stream, reopened after a drop.
import { MCPClient, type ServerDefinition } from '@mcpkit/mcp-client-core'
import type { LogMessage } from '@mcpkit/types'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import {
  activeResources,
  cleanupsAfterEach,
  collectGarbage,
  outcomeWithin,
  resourceSurplus,
  textOf,
} from '../support/helpers.js'
import { type ModernHost, startModernHost } from '../support/modern-host.js'
import { waitFor } from '../support/processes.js'

const cleanups = cleanupsAfterEach()

let modernStdio: { command: string; args: string[] }
beforeAll(() => {
  const { dir } = buildFixtures()
  modernStdio = { command: process.execPath, args: [`${dir}/serve-modern.js`] }
})

/** Waits for the first log line `match` accepts (an event, not a poll), at most `ms`. */
function logWaiter() {
  const lines: LogMessage[] = []
  const waiters: { match: (line: LogMessage) => boolean; resolve: () => void }[] = []
  const logger = (line: LogMessage) => {
    lines.push(line)
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }
  const waitFor = (match: (line: LogMessage) => boolean, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (lines.some(match)) return resolve()
      const timer = setTimeout(() => reject(new Error('no such log line came')), ms)
      waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  return { lines, logger, waitFor }
}

type Peer = 'http' | 'stdio'

async function modernClient(
  peer: Peer,
  extra: Partial<ServerDefinition> = {},
  id = `modern-${peer}`,
) {
  let host: ModernHost | undefined
  let definition: ServerDefinition
  if (peer === 'http') {
    host = await startModernHost()
    cleanups.push(() => host!.stop())
    definition = { url: host.url, ...extra } as ServerDefinition
  } else {
    definition = { ...modernStdio, stderr: 'ignore', ...extra } as ServerDefinition
  }
  const log = logWaiter()
  const client = new MCPClient({ id, servers: { modern: definition }, logger: log.logger })
  cleanups.push(() => client.disconnect())
  return { client, host, log }
}

describe.each(['http', 'stdio'] as const)('MCPClient on the 2026-07-28 era (%s)', (peer) => {
  it('negotiates the modern era, says so, and lists and calls tools in every form', async () => {
    const { client, host } = await modernClient(peer)
    expect(client.getServerProtocolVersions()).toEqual({ modern: undefined })
    const tools = await client.listTools()
    expect(Object.keys(tools)).toEqual(expect.arrayContaining(['modern_echo', 'modern_interview']))
    expect(client.getServerProtocolVersions()).toEqual({ modern: '2026-07-28' })
    expect(client.getServerProtocolEras()).toEqual({ modern: 'modern' })
    expect(textOf(await tools.modern_echo!.execute({ text: 'hi' }))).toBe('hi')
    const { toolsets, errors } = await client.listToolsetsWithErrors()
    expect(errors).toEqual({})
    expect(textOf(await toolsets.modern!.echo!.execute({ text: 'again' }))).toBe('again')
    const flat = await client.listToolsWithErrors()
    expect(flat.errors).toEqual({})
    expect(flat.tools.modern_count).toBeDefined()
    if (host) {
      // Never the 2025 handshake: the probe, then modern requests only.
      expect(host.rpcMethods[0]).toBe('server/discover')
      expect(host.rpcMethods).not.toContain('initialize')
    }
  })

  it('answers an elicitation asked in several rounds through input_required, filling defaults', async () => {
    const { client, host } = await modernClient(peer)
    const questions: string[] = []
    client.elicitation.onRequest('modern', async (request) => {
      questions.push(request.message)
      // The user types a name; in the second round they leave the color alone (default blue).
      return request.message.includes('name')
        ? { action: 'accept', content: { name: 'Ada' } }
        : { action: 'accept', content: {} }
    })
    const tools = await client.listTools()
    expect(textOf(await tools.modern_interview!.execute({}))).toBe('Ada likes blue')
    expect(questions).toEqual(['What is your name?', 'Hello Ada, your favourite color?'])
    if (host) {
      // Three rounds of the same call; the last carried the state the second minted.
      const rounds = host.state.interviewRounds
      expect(rounds.map((round) => round.responseKeys)).toEqual([[], ['name'], ['color']])
      expect(rounds[2]?.requestState).toEqual({ step: 'color', name: 'Ada' })
      const calls = host.requests.filter((request) => request.rpcMethod === 'tools/call')
      expect(calls.map((call) => typeof call.params?.requestState)).toEqual([
        'undefined',
        'undefined',
        'string',
      ])
    }
  })

  it('answers sampling and roots requests with sampling.onRequest and roots', async () => {
    const { client } = await modernClient(peer, {
      roots: [{ uri: 'file:///work/a', name: 'a' }],
    })
    client.sampling.onRequest('modern', async (request) => {
      const content = request.messages[0]?.content
      const asked =
        content && !Array.isArray(content) && content.type === 'text' ? content.text : ''
      return {
        model: 'test-model',
        role: 'assistant',
        content: { type: 'text', text: `summary of ${asked}` },
      }
    })
    const tools = await client.listTools()
    expect(textOf(await tools.modern_summarize!.execute({ text: 'a long text' }))).toBe(
      'summary of Summarize: a long text',
    )
    expect(textOf(await tools.modern_list_roots!.execute({}))).toBe('file:///work/a')
    client.roots.set('modern', [{ uri: 'file:///work/b' }, { uri: 'file:///work/c' }])
    expect(client.roots.get('modern')).toEqual([
      { uri: 'file:///work/b' },
      { uri: 'file:///work/c' },
    ])
    expect(textOf(await tools.modern_list_roots!.execute({}))).toBe('file:///work/b,file:///work/c')
  })

  it('delivers progress, and server logs at the level asked for', async () => {
    const { client, log } = await modernClient(peer, { serverLogLevel: 'debug' })
    const updates: unknown[] = []
    client.progress.onUpdate('modern', (update) => updates.push(update))
    const tools = await client.listTools()
    expect(textOf(await tools.modern_slow!.execute({ steps: 3 }, { runId: 'run-1' }))).toBe('done')
    expect(updates).toEqual([
      { progressToken: 'run-1', progress: 1, total: 3, message: 'step 1' },
      { progressToken: 'run-1', progress: 2, total: 3, message: 'step 2' },
      { progressToken: 'run-1', progress: 3, total: 3, message: 'step 3' },
    ])
    await tools.modern_log!.execute({ message: 'hello logs' })
    await log.waitFor((line) => line.message === 'debug: hello logs')
    const server = log.lines.filter((line) => line.details?.source === 'server')
    expect(server.map((line) => [line.level, line.message])).toEqual(
      expect.arrayContaining([
        ['info', 'hello logs'],
        ['debug', 'debug: hello logs'],
      ]),
    )
  })

  it.runIf(peer === 'http')(
    'asks for server logs only when a logger hears them (no logLevel without one)',
    async () => {
      const host = await startModernHost()
      cleanups.push(() => host.stop())
      const logLevels: unknown[] = []
      const recording: typeof fetch = (input, init) => {
        const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
        if (body?.method === 'tools/call') {
          logLevels.push(body.params._meta?.['io.modelcontextprotocol/logLevel'] ?? 'none')
        }
        return fetch(input, init)
      }
      const definition = { url: host.url, fetch: recording } as ServerDefinition
      const quiet = new MCPClient({ id: 'modern-quiet', servers: { modern: definition } })
      cleanups.push(() => quiet.disconnect())
      await (await quiet.listTools()).modern_echo!.execute({ text: 'a' })
      const log = logWaiter()
      const heard = new MCPClient({
        id: 'modern-heard',
        servers: { modern: { ...definition, serverLogLevel: 'notice' } },
        logger: log.logger,
      })
      cleanups.push(() => heard.disconnect())
      await (await heard.listTools()).modern_echo!.execute({ text: 'b' })
      expect(logLevels).toEqual(['none', 'notice'])
    },
  )

  it('lists and reads resources and prompts', async () => {
    const { client } = await modernClient(peer)
    const resources = await client.resources.list()
    expect(resources.modern?.map((resource) => resource.uri)).toEqual(
      expect.arrayContaining(['modern://status', 'modern://whoami']),
    )
    expect(await client.resources.templates()).toEqual({ modern: [] })
    const read = await client.resources.read('modern', 'modern://status')
    expect(read.contents[0]).toMatchObject({ uri: 'modern://status', text: 'ok' })
    const prompts = await client.prompts.list()
    expect(prompts.modern?.map((prompt) => prompt.name)).toEqual(['greet'])
    const { messages } = await client.prompts.get({
      serverName: 'modern',
      name: 'greet',
      args: { name: 'Ada' },
    })
    expect(messages[0]?.content).toEqual({ type: 'text', text: 'Hello, Ada!' })
  })

  it('sees a tool added on the server through subscriptions/listen, without polling', async () => {
    const { client, host, log } = await modernClient(peer)
    const first = await client.listToolsets()
    expect(first.modern?.late).toBeUndefined()
    // Wait for the listen stream, then warm the list: warm calls send nothing.
    await log.waitFor((line) => line.message.includes('listen stream open'))
    await client.listToolsets()
    const listed = host?.count('tools/list')
    for (let index = 0; index < 20; index++) await client.listToolsets()
    if (host) expect(host.count('tools/list')).toBe(listed)

    await first.modern!.add_tool!.execute({ name: 'late' })
    await log.waitFor((line) => line.message.includes('tool list changed'))
    const after = await client.listToolsets()
    expect(after.modern?.late).toBeDefined()
    expect(textOf(await after.modern!.late!.execute({}))).toBe('late')
    if (host) expect(host.count('tools/list')).toBe((listed ?? 0) + 1)
  })

  it('delivers resources/updated for a subscribed URI on the listen stream, and stops after unsubscribe', async () => {
    const { client, log } = await modernClient(peer)
    const updates: string[] = []
    let notify: () => void = () => {}
    client.resources.onUpdated('modern', ({ uri }) => {
      updates.push(uri)
      notify()
    })
    await client.resources.subscribe('modern', 'modern://status')
    const updated = new Promise<void>((resolve) => {
      notify = resolve
    })
    const tools = await client.listTools()
    await tools.modern_set_status!.execute({ status: 'busy' })
    await updated
    expect(updates).toEqual(['modern://status'])
    expect((await client.resources.read('modern', 'modern://status')).contents[0]).toMatchObject({
      text: 'busy',
    })
    await client.resources.unsubscribe('modern', 'modern://status')
    await log.waitFor((line) => line.message.includes('listen stream open'))
  })

  it('leaves no process, timer or socket behind after disconnect()', async () => {
    const { client, host } = await modernClient(peer, {}, `modern-clean-${peer}`)
    // Let the host's idle sockets of earlier tests close, then measure.
    if (host) await waitFor(() => host.openConnections === 0, { timeoutMs: 5000 })
    const before = activeResources()
    await client.resources.subscribe('modern', 'modern://status')
    await client.listTools()
    if (host) expect(host.openConnections).toBeGreaterThan(0)
    await client.disconnect()
    // The listen stream is closed, not left open: the host sees every connection go.
    if (host) await waitFor(() => host.openConnections === 0, { timeoutMs: 5000 })
    await waitFor(() => Object.keys(resourceSurplus(before, activeResources())).length === 0, {
      timeoutMs: 10_000,
    })
    expect(resourceSurplus(before, activeResources())).toEqual({})
  })
})

describe('MCPClient on the 2026-07-28 era over HTTP', () => {
  it('mirrors arguments into Mcp-Param headers, and re-lists and retries once on a header mismatch', async () => {
    const { client, host } = await modernClient('http')
    const tools = await client.listTools()
    expect(textOf(await tools.modern_region_echo!.execute({ region: 'eu-west', text: 'hi' }))).toBe(
      'eu-west:hi',
    )
    // The server starts mirroring a parameter the listed schema did not: the header is missing.
    host!.state.regionHeader = false
    const relisted = await client.listToolsets()
    host!.state.regionHeader = true
    const lists = host!.count('tools/list')
    const calls = host!.count('tools/call')
    expect(textOf(await relisted.modern!.region_echo!.execute({ region: 'us', text: 'ok' }))).toBe(
      'us:ok',
    )
    // Refused (-32020, the header was missing), listed again, sent once more with the header.
    expect(host!.count('tools/list')).toBe(lists + 1)
    const sent = host!.requests.filter((request) => request.rpcMethod === 'tools/call').slice(calls)
    expect(sent.map((request) => [request.status, request.headers['mcp-param-region']])).toEqual([
      [400, undefined],
      [200, 'us'],
    ])
  })

  it("sends a call with the server's current definition of the tool, not the one its caller holds", async () => {
    const { client, log } = await modernClient('http')
    const tools = await client.listToolsets()
    const measure = tools.modern!.measure!
    expect(await measure.execute({})).toEqual({ cm: 1 })
    await log.waitFor((line) => line.message.includes('listen stream open'))
    // The tool's output schema changes, and the server says so.
    await tools.modern!.set_unit!.execute({ unit: 'inches' })
    await log.waitFor((line) => line.message.includes('tool list changed'))
    // An agent still holding the tool from before calls it: the answer is checked against the
    // schema the server now lists, which it matches, not the one listed before.
    expect(await measure.execute({})).toEqual({ inches: 1 })
  })

  // Handed a request's own signal, the SDK's transport joins it to its long-lived one with
  // AbortSignal.any(), and Node keeps what each join registers on the long-lived signal for as
  // long as that lives (nodejs/node#55351, #64476): ~190 B per request, for the connection's life.
  it("joins no request's signal to the connection's, so a long-lived client does not grow per call", async () => {
    const { client, host } = await modernClient('http')
    const echo = (await client.listToolsets()).modern!.echo!
    const joins = vi.spyOn(AbortSignal, 'any')
    cleanups.push(async () => joins.mockRestore())
    const calls = host!.count('tools/call')
    for (let index = 0; index < 20; index++) await echo.execute({ text: `${index}` })
    expect(host!.count('tools/call')).toBe(calls + 20)
    expect(joins).not.toHaveBeenCalled()
  })

  it('opens the listen stream once the cold call answered its caller, and before the next request', async () => {
    // What the client's fetch was asked for, in order: the JSON-RPC method of each POST.
    const sent: string[] = []
    const { client } = await modernClient(
      'http',
      {
        fetch: (url: string | URL, init?: RequestInit) => {
          if (typeof init?.body === 'string') sent.push(JSON.parse(init.body).method)
          return fetch(url, init)
        },
      },
      'modern-listen-order',
    )
    const tools = await client.listToolsets()
    // The caller has the list and runs first: the stream's request is not made yet.
    expect(sent).toEqual(['server/discover', 'tools/list'])
    await tools.modern!.echo!.execute({ text: 'next' })
    // Its request still precedes the caller's next one, as if it had opened with the list.
    expect(sent).toEqual(['server/discover', 'tools/list', 'subscriptions/listen', 'tools/call'])
  })

  it('closes the listen stream on disconnect(), also after a garbage collection', async () => {
    // Node's fetch can lose the link from a request's signal to the request in a GC
    // (nodejs/undici#3644): aborting the signal alone then left the stream open on both sides.
    const { client, host, log } = await modernClient('http', {}, 'modern-gc')
    await client.listTools()
    await log.waitFor((line) => line.message.includes('listen stream open'))
    const listen = host!.requests.find((request) => request.rpcMethod === 'subscriptions/listen')
    collectGarbage()
    collectGarbage()
    await client.disconnect()
    expect(await outcomeWithin(listen!.closed, 5000)).toEqual({
      status: 'fulfilled',
      value: undefined,
    })
  })

  it('reopens the listen stream after the network drops it, and still hears of changes', async () => {
    const { client, host, log } = await modernClient('http')
    const tools = await client.listToolsets()
    await log.waitFor((line) => line.message.includes('listen stream open'))
    const opened = log.lines.filter((line) => line.message.includes('listen stream open')).length
    host!.dropConnections()
    await log.waitFor(
      (line) =>
        line.message.includes('listen stream open') &&
        log.lines.filter((each) => each.message.includes('listen stream open')).length > opened,
    )
    await tools.modern!.add_tool!.execute({ name: 'after_drop' })
    await log.waitFor((line) => line.message.includes('tool list changed'))
    expect((await client.listToolsets()).modern?.after_drop).toBeDefined()
  })
})

describe('the same handlers on the legacy era (serveStdio serving both eras, pinned legacy)', () => {
  async function legacyClient() {
    const log = logWaiter()
    const client = new MCPClient({
      id: 'dual-legacy',
      logger: log.logger,
      servers: {
        dual: {
          ...modernStdio,
          args: [...modernStdio.args, 'dual'],
          stderr: 'ignore' as const,
          protocolVersion: 'legacy' as const,
          roots: [{ uri: 'file:///legacy/a' }],
        },
      },
    })
    cleanups.push(() => client.disconnect())
    return { client, log }
  }

  it('answers elicitation (defaults filled), sampling and roots requests the server sends', async () => {
    const { client } = await legacyClient()
    client.elicitation.onRequest('dual', async (request) =>
      request.message.includes('name')
        ? { action: 'accept', content: { name: 'Bo' } }
        : { action: 'accept', content: {} },
    )
    client.sampling.onRequest('dual', async () => ({
      model: 'm',
      role: 'assistant',
      content: { type: 'text', text: 'short' },
    }))
    const tools = await client.listTools()
    expect(client.getServerProtocolEras()).toEqual({ dual: 'legacy' })
    expect(textOf(await tools.dual_interview!.execute({}))).toBe('Bo likes blue')
    expect(textOf(await tools.dual_summarize!.execute({ text: 'x' }))).toBe('short')
    expect(textOf(await tools.dual_list_roots!.execute({}))).toBe('file:///legacy/a')
    client.roots.set('dual', [{ uri: 'file:///legacy/b', name: 'b' }])
    expect(textOf(await tools.dual_list_roots!.execute({}))).toBe('file:///legacy/b')
  })
})
