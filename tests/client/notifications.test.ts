// List-change notifications reach the handlers registered for that server, a removed handler
// hears nothing more, and handlers keep working across a reconnect.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { sleep, waitFor } from '../support/processes.js'

describe('list-changed notifications', () => {
  let fixture: FixtureServer

  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  /** Waits until the session's GET stream (where notifications travel) has reached the server. */
  async function streamOpen(): Promise<void> {
    const sessionId = fixture.requests.findLast((request) => request.sessionId)?.sessionId
    expect(
      await waitFor(() =>
        fixture.requests.some(
          (request) => request.method === 'GET' && request.sessionId === sessionId,
        ),
      ),
    ).toBe(true)
    await sleep(50)
  }

  it('calls resources.onListChanged and prompts.onListChanged handlers, until removed', async () => {
    const client = new MCPClient({
      id: 'list-changed-handlers',
      servers: { fixture: { url: fixture.url } },
    })
    let resourceChanges = 0
    let promptChanges = 0
    let removedCalls = 0
    try {
      client.resources.onListChanged('fixture', () => resourceChanges++)
      client.prompts.onListChanged('fixture', () => promptChanges++)
      const removed = client.resources.onListChanged('fixture', () => removedCalls++)
      removed()

      await client.resources.list()
      await streamOpen()

      fixture.addResource('first')
      expect(await waitFor(() => resourceChanges === 1, { timeoutMs: 10_000 })).toBe(true)
      const uris = ((await client.resources.list()).fixture ?? []).map((resource) => resource.uri)
      expect(uris).toContain('fixture://extra/first')

      fixture.addPrompt('extra-prompt')
      expect(await waitFor(() => promptChanges === 1, { timeoutMs: 10_000 })).toBe(true)
      const names = ((await client.prompts.list()).fixture ?? []).map((prompt) => prompt.name)
      expect(names).toContain('extra-prompt')

      expect(removedCalls).toBe(0)
      expect(resourceChanges).toBe(1)
    } finally {
      await client.disconnect()
    }
  })

  it('keeps handlers across a reconnect', async () => {
    const client = new MCPClient({
      id: 'handlers-reconnect',
      servers: { fixture: { url: fixture.url } },
    })
    let changes = 0
    try {
      client.resources.onListChanged('fixture', () => changes++)
      await client.resources.list()
      await fixture.restart() // every session and socket lost
      await client.resources.list() // reconnects
      await streamOpen()
      fixture.addResource('after-restart')
      expect(await waitFor(() => changes >= 1, { timeoutMs: 10_000 })).toBe(true)
    } finally {
      await client.disconnect()
    }
  })

  it('hears a kind from the handler added first to a connection already open', async () => {
    const client = new MCPClient({
      id: 'handlers-added-late',
      servers: { fixture: { url: fixture.url } },
    })
    let promptChanges = 0
    try {
      await client.prompts.list()
      await streamOpen()
      client.prompts.onListChanged('fixture', () => promptChanges++)
      fixture.addPrompt('added-late')
      expect(await waitFor(() => promptChanges === 1, { timeoutMs: 10_000 })).toBe(true)
    } finally {
      await client.disconnect()
    }
  })
})
