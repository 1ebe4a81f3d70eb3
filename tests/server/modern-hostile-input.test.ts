// Hostile input on the 2026-07-28 path of an MCPServer (startHTTP on 127.0.0.1): missing or
// mismatched headers and `_meta`, unknown versions, tampered, expired, foreign or replayed
// requestState, listen floods beyond the cap, oversized bodies, a wrong Host, removed methods.
// Every one gets a clear JSON-RPC error, and the server keeps serving.
import type http from 'node:http'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createErasServer } from '../support/eras-server.js'
import { envelope, type ListenStream, modernCall, openListen } from '../support/modern-wire.js'
import { type Host, hostServer, rawRequest } from '../support/server-host.js'

const MAX_SUBSCRIPTIONS = 3
const MAX_BODY_BYTES = 64 * 1024

let host: Host
beforeAll(async () => {
  host = await hostServer(createErasServer({ requestState: { ttlSeconds: 60 } }).server, {
    options: { maxSubscriptions: MAX_SUBSCRIPTIONS, maxBodyBytes: MAX_BODY_BYTES },
    authenticate: (req: http.IncomingMessage): AuthInfo | undefined => {
      const user = req.headers['x-user']
      return typeof user === 'string'
        ? { token: `token-${user}`, clientId: 'app', scopes: [], extra: { sub: user } }
        : undefined
    },
  })
})
afterAll(async () => {
  await host.close()
})
afterEach(() => {
  vi.useRealTimers()
})

/** After every hostile request: a well-formed one is still served. */
async function stillServing() {
  const answer = await modernCall(host.mcpUrl, { method: 'tools/list' })
  expect(answer.status).toBe(200)
  expect(answer.body.result?.tools).toEqual(expect.any(Array))
}

function expectError(
  answer: { status: number; body: { error?: { code: number } } },
  status: number,
  code: number,
) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  expect(answer.body.error?.code, JSON.stringify(answer.body)).toBe(code)
}

describe('headers and the _meta envelope', () => {
  it.each([
    ['no _meta', { meta: null }, 400, -32602],
    [
      '_meta without protocolVersion',
      { meta: { 'io.modelcontextprotocol/clientCapabilities': {} } },
      400,
      -32602,
    ],
    [
      '_meta without clientCapabilities',
      { meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
      400,
      -32602,
    ],
    [
      'no MCP-Protocol-Version header',
      { headers: { 'mcp-protocol-version': undefined } },
      400,
      -32020,
    ],
    [
      'a header version that differs from _meta',
      { headers: { 'mcp-protocol-version': '2025-11-25' } },
      400,
      -32020,
    ],
    [
      'an Mcp-Method that differs from the body',
      { headers: { 'mcp-method': 'tools/call' } },
      400,
      -32020,
    ],
    ['no Mcp-Method header', { headers: { 'mcp-method': undefined } }, 400, -32020],
  ] as const)('%s: %i with %i', async (_case, call, status, code) => {
    expectError(await modernCall(host.mcpUrl, { method: 'tools/list', ...call }), status, code)
    await stillServing()
  })

  it('an Mcp-Name that differs from the tool called: 400 with -32020', async () => {
    const answer = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
      headers: { 'mcp-name': 'greet' },
    })
    expectError(answer, 400, -32020)
    await stillServing()
  })

  it('an unknown protocol version: 400 with -32022 naming the supported one', async () => {
    const answer = await modernCall(host.mcpUrl, {
      method: 'server/discover',
      meta: { ...envelope(), 'io.modelcontextprotocol/protocolVersion': '2099-01-01' },
      headers: { 'mcp-protocol-version': '2099-01-01' },
    })
    expectError(answer, 400, -32022)
    expect(answer.body.error?.data).toMatchObject({
      supported: ['2026-07-28'],
      requested: '2099-01-01',
    })
    await stillServing()
  })

  it.each(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'no/such-method'])(
    'a method 2026-07-28 does not have (%s): 404 with -32601',
    async (method) => {
      expectError(
        await modernCall(host.mcpUrl, { method, params: { uri: 'note://shared' } }),
        404,
        -32601,
      )
      await stillServing()
    },
  )
})

describe('requestState', () => {
  /** Round one of `greet` for `user`: the input_required answer with its signed state. */
  async function firstRound(user: string, args: Record<string, unknown> = {}) {
    const answer = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: { name: 'greet', arguments: args },
      capabilities: { elicitation: {} },
      headers: { 'x-user': user },
    })
    expect(answer.body.result?.resultType).toBe('input_required')
    const state = answer.body.result?.requestState
    expect(state).toEqual(expect.any(String))
    const key = Object.keys(answer.body.result?.inputRequests ?? {})[0]!
    return { state: state!, key }
  }

  const retry = (
    user: string,
    state: string,
    key: string,
    params: { name: string; arguments: Record<string, unknown> } = { name: 'greet', arguments: {} },
  ) =>
    modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: {
        ...params,
        inputResponses: { [key]: { action: 'accept', content: { name: 'Mallory' } } },
        requestState: state,
      },
      capabilities: { elicitation: {} },
      headers: { 'x-user': user },
    })

  it('an honest retry completes', async () => {
    const { state, key } = await firstRound('alice')
    const answer = await retry('alice', state, key)
    expect(answer.status).toBe(200)
    expect(answer.body.result?.content).toEqual([{ type: 'text', text: 'Hello, Mallory!' }])
  })

  it('a tampered state: -32602', async () => {
    const { state, key } = await firstRound('alice')
    const [version, body, mac] = state.split('.')
    const forged = Buffer.from(body!, 'base64url')
      .toString('utf8')
      .replace('"q":[]', '"q":[{"i":0}]')
    for (const tampered of [
      `${state}x`,
      `${version}.${Buffer.from(forged).toString('base64url')}.${mac}`,
      'not-a-state',
    ]) {
      const answer = await retry('alice', tampered, key)
      expect(answer.body.error?.code, tampered).toBe(-32602)
      expect(answer.body.error?.message).toMatch(/requestState/)
    }
    await stillServing()
  })

  it("another principal's state: -32602", async () => {
    const { state, key } = await firstRound('alice')
    const answer = await retry('bob', state, key)
    expect(answer.body.error?.code).toBe(-32602)
    const anonymous = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: { name: 'greet', arguments: {}, requestState: state },
      capabilities: { elicitation: {} },
    })
    expect(anonymous.body.error?.code).toBe(-32602)
  })

  it('a state replayed on another tool or other arguments: -32602', async () => {
    const { state, key } = await firstRound('alice', { greeting: 'Hi' })
    const otherTool = await retry('alice', state, key, {
      name: 'order',
      arguments: { restaurant: 'x' },
    })
    expect(otherTool.body.error?.code).toBe(-32602)
    const otherArgs = await retry('alice', state, key, {
      name: 'greet',
      arguments: { greeting: 'Yo' },
    })
    expect(otherArgs.body.error?.code).toBe(-32602)
    expect(otherArgs.body.error?.message).toMatch(/another request/)
  })

  it('an expired state: -32602', async () => {
    const { state, key } = await firstRound('alice')
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    const answer = await retry('alice', state, key)
    expect(answer.body.error?.code).toBe(-32602)
    vi.useRealTimers()
    await stillServing()
  })

  it('inputResponses that are not answers are asked again, not trusted', async () => {
    const { state } = await firstRound('alice')
    const answer = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: {
        name: 'greet',
        arguments: {},
        inputResponses: { 'input-0': 42 },
        requestState: state,
      },
      capabilities: { elicitation: {} },
      headers: { 'x-user': 'alice' },
    })
    expect(answer.body.result?.resultType).toBe('input_required')
  })
})

describe('subscriptions/listen floods', () => {
  it(`beyond ${MAX_SUBSCRIPTIONS} streams: a JSON-RPC error each, and service goes on`, async () => {
    const streams: ListenStream[] = []
    try {
      for (let index = 0; index < MAX_SUBSCRIPTIONS; index++) {
        const stream = await openListen(host.mcpUrl, index + 1, { toolsListChanged: true })
        streams.push(stream)
        expect(await stream.next()).toMatchObject({
          method: 'notifications/subscriptions/acknowledged',
        })
      }
      for (let index = 0; index < 5; index++) {
        const refused = await openListen(host.mcpUrl, 100 + index, { toolsListChanged: true })
        expect(await refused.next()).toMatchObject({
          id: 100 + index,
          error: { code: -32603, message: expect.stringMatching(/limit/i) },
        })
      }
      await stillServing()
    } finally {
      for (const stream of streams) stream.close()
    }
  })
})

describe('transport limits hold on the 2026-07-28 path', () => {
  it('an oversized body: 413 with a JSON-RPC error', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami', arguments: { pad: 'x'.repeat(MAX_BODY_BYTES) }, _meta: envelope() },
    })
    const answer = await rawRequest(host.mcpUrl, {
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      },
      body,
    })
    expect(answer.status).toBe(413)
    expect(answer.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } })
    await stillServing()
  })

  it('a wrong Host: 403 with a JSON-RPC error', async () => {
    const answer = await rawRequest(host.mcpUrl, {
      headers: {
        host: 'evil.example.com',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { _meta: envelope() },
      }),
    })
    expect(answer.status).toBe(403)
    expect(answer.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } })
    await stillServing()
  })

  it('malformed JSON and non-JSON-RPC: 400 with -32700 / -32600', async () => {
    const headers = { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28' }
    const broken = await rawRequest(host.mcpUrl, { headers, body: '{"jsonrpc": "2.0",' })
    expect(broken.status).toBe(400)
    expect(broken.json).toMatchObject({ error: { code: -32700 } })
    const notRpc = await rawRequest(host.mcpUrl, { headers, body: '{"hello": "world"}' })
    expect(notRpc.status).toBe(400)
    expect(notRpc.json).toMatchObject({ error: { code: -32600 } })
    await stillServing()
  })
})
