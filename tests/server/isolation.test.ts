// Two clients connected at once to one MCPServer, over Streamable HTTP and over legacy SSE:
// every reply, notification and elicitation request reaches the session it belongs to, and
// never the other one (the SDK's shared-instance bug, CVE-2026-25536, and Mastra's one-client
// SSE are what this guards against).
import { createMCPTool, type MCPServer } from '@mcpkit/mcp-server-core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ProgressNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  createEverythingServer,
  STATIC_TEXT_URI,
  WATCHED_URI,
} from '../fixtures/everything-server.js'
import { textOf } from '../support/helpers.js'
import { sleep, waitFor } from '../support/processes.js'
import { connectSdkClient, type Host, hostServer } from '../support/server-host.js'

const STEPS = 4

const isolationTools = {
  isolation_elicit: createMCPTool({
    id: 'isolation_elicit',
    description: 'Asks the calling client a question tagged with `tag`',
    inputSchema: z.object({ tag: z.string() }),
    execute: async ({ tag }, { elicitation }) => {
      const answer = await elicitation.sendRequest({
        message: `question for ${tag}`,
        requestedSchema: {
          type: 'object',
          properties: { answer: { type: 'string' } },
          required: ['answer'],
        },
      })
      return `${tag} got ${String(answer.content?.answer)}`
    },
  }),
  isolation_notify: createMCPTool({
    id: 'isolation_notify',
    description: 'Sends progress and log notifications tagged with `tag`',
    inputSchema: z.object({ tag: z.string() }),
    execute: async ({ tag }, { progress, log }) => {
      for (let step = 1; step <= STEPS; step++) {
        await progress(step, STEPS, `${tag} step ${step}`)
        await log('info', `${tag} log ${step}`)
        await sleep(5)
      }
      return tag
    },
  }),
}

/** One connected client and everything that reached it. */
interface Observed {
  tag: string
  client: Client
  elicitations: string[]
  progress: string[]
  logs: string[]
  updated: string[]
  listChanged: number
  errors: string[]
}

async function observe(
  tag: string,
  transport: 'http' | 'sse',
  host: Host,
  answerWhen: Promise<void>,
  arrived: () => void,
): Promise<Observed> {
  const client = await connectSdkClient(
    transport,
    transport === 'http' ? host.mcpUrl : host.sseUrl,
    { name: `client-${tag}`, capabilities: { elicitation: {} } },
  )
  const observed: Observed = {
    tag,
    client,
    elicitations: [],
    progress: [],
    logs: [],
    updated: [],
    listChanged: 0,
    errors: [],
  }
  client.onerror = (error) => observed.errors.push(error.message)
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    observed.elicitations.push(request.params.message)
    arrived()
    // Both questions are open at once before either is answered.
    await answerWhen
    return { action: 'accept', content: { answer: `answer-from-${tag}` } }
  })
  // Replaces the SDK's own progress routing (by token, a microtask late), so every progress
  // notification that reaches this session is seen, whatever its token.
  client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
    observed.progress.push(`${notification.params.progressToken}: ${notification.params.message}`)
  })
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    observed.logs.push(String(notification.params.data))
  })
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
    observed.updated.push(notification.params.uri)
  })
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    observed.listChanged++
  })
  return observed
}

/** A promise resolved by the second call of `arrive`, or after `timeoutMs` (then the test fails). */
function barrier(count: number, timeoutMs = 5000): { arrive: () => void; done: Promise<void> } {
  let arrived = 0
  let release: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    release = resolve
    setTimeout(resolve, timeoutMs).unref()
  })
  return {
    arrive: () => {
      arrived++
      if (arrived >= count) release()
    },
    done,
  }
}

describe.each(['http', 'sse'] as const)('two concurrent clients over %s', (transport) => {
  let server: MCPServer
  let host: Host
  let a: Observed
  let b: Observed
  const both = barrier(2)

  beforeAll(async () => {
    server = createEverythingServer({ extraTools: isolationTools })
    host = await hostServer(server)
    a = await observe('A', transport, host, both.done, both.arrive)
    b = await observe('B', transport, host, both.done, both.arrive)
  })

  afterAll(async () => {
    await a?.client.close()
    await b?.client.close()
    await host?.close()
  })

  it('interleaved elicitations each go to the client whose call asked, and the answers come back to it', async () => {
    const [resultA, resultB] = await Promise.all([
      a.client.callTool({ name: 'isolation_elicit', arguments: { tag: 'A' } }),
      b.client.callTool({ name: 'isolation_elicit', arguments: { tag: 'B' } }),
    ])
    expect(a.elicitations).toEqual(['question for A'])
    expect(b.elicitations).toEqual(['question for B'])
    expect(textOf(resultA)).toBe('A got answer-from-A')
    expect(textOf(resultB)).toBe('B got answer-from-B')
  })

  it('progress and log notifications of concurrent calls reach only their own client', async () => {
    await Promise.all([a.client.setLoggingLevel('info'), b.client.setLoggingLevel('info')])
    for (const observed of [a, b]) {
      observed.logs.length = 0
      observed.progress.length = 0
    }
    const call = (observed: Observed, round: number) =>
      observed.client.callTool({
        name: 'isolation_notify',
        arguments: { tag: observed.tag },
        _meta: { progressToken: `${observed.tag}-${round}` },
      })
    // Three rounds of both at once, so the two sessions' notifications interleave.
    for (let round = 0; round < 3; round++) {
      const [resultA, resultB] = await Promise.all([call(a, round), call(b, round)])
      expect(textOf(resultA)).toBe('A')
      expect(textOf(resultB)).toBe('B')
    }
    await waitFor(
      () =>
        [a, b].every(
          (observed) => observed.logs.length >= 3 * STEPS && observed.progress.length >= 3 * STEPS,
        ),
      { timeoutMs: 10_000 },
    )
    await sleep(50)
    const expectedLogs = (tag: string) =>
      Array.from({ length: 3 }, () =>
        Array.from({ length: STEPS }, (_, index) => `${tag} log ${index + 1}`),
      ).flat()
    const expectedProgress = (tag: string) =>
      Array.from({ length: 3 }, (_, round) =>
        Array.from({ length: STEPS }, (_, index) => `${tag}-${round}: ${tag} step ${index + 1}`),
      ).flat()
    expect(a.progress).toEqual(expectedProgress('A'))
    expect(b.progress).toEqual(expectedProgress('B'))
    expect(a.logs).toEqual(expectedLogs('A'))
    expect(b.logs).toEqual(expectedLogs('B'))
    expect(a.errors).toEqual([])
    expect(b.errors).toEqual([])
  })

  it('logging/setLevel of one session does not change what the other receives', async () => {
    await a.client.setLoggingLevel('warning')
    await b.client.setLoggingLevel('debug')
    a.logs.length = 0
    b.logs.length = 0
    await Promise.all([
      a.client.callTool({ name: 'isolation_notify', arguments: { tag: 'A' } }),
      b.client.callTool({ name: 'isolation_notify', arguments: { tag: 'B' } }),
    ])
    await waitFor(() => b.logs.length >= STEPS, { timeoutMs: 10_000 })
    await sleep(100)
    expect(a.logs).toEqual([])
    expect(b.logs).toHaveLength(STEPS)
  })

  it('resources/updated reaches only the sessions subscribed to that URI; list_changed reaches all', async () => {
    await a.client.subscribeResource({ uri: WATCHED_URI })
    await b.client.subscribeResource({ uri: STATIC_TEXT_URI })
    // Notifications outside a request travel on the session's standalone stream, which the
    // client opens right after initializing: notify until it arrives, not once.
    const reachedA = await waitFor(
      async () => {
        await server.resources.notifyUpdated({ uri: WATCHED_URI })
        return a.updated.length > 0
      },
      { timeoutMs: 5000, intervalMs: 100 },
    )
    expect(reachedA, 'A never received resources/updated for its subscription').toBe(true)
    const reachedB = await waitFor(
      async () => {
        await server.resources.notifyUpdated({ uri: STATIC_TEXT_URI })
        return b.updated.length > 0
      },
      { timeoutMs: 5000, intervalMs: 100 },
    )
    expect(reachedB, 'B never received resources/updated for its subscription').toBe(true)
    await server.resources.notifyUpdated({ uri: 'test://nobody-subscribed' })
    await sleep(150)
    expect(new Set(a.updated)).toEqual(new Set([WATCHED_URI]))
    expect(new Set(b.updated)).toEqual(new Set([STATIC_TEXT_URI]))

    await a.client.unsubscribeResource({ uri: WATCHED_URI })
    const countA = a.updated.length
    await server.resources.notifyUpdated({ uri: WATCHED_URI })
    await server.resources.notifyListChanged()
    await waitFor(() => a.listChanged > 0 && b.listChanged > 0, { timeoutMs: 10_000 })
    expect(a.listChanged).toBe(1)
    expect(b.listChanged).toBe(1)
    expect(a.updated.length, 'A still got updates after unsubscribing').toBe(countA)
  })

  it('a third client connecting does not disturb the two sessions', async () => {
    const third = await connectSdkClient(
      transport,
      transport === 'http' ? host.mcpUrl : host.sseUrl,
    )
    try {
      const [resultA, resultB, resultC] = await Promise.all([
        a.client.callTool({ name: 'test_simple_text' }),
        b.client.callTool({ name: 'test_simple_text' }),
        third.callTool({ name: 'test_simple_text' }),
      ])
      expect(textOf(resultA)).toBe(textOf(resultC))
      expect(textOf(resultB)).toBe(textOf(resultC))
    } finally {
      await third.close()
    }
  })
})
