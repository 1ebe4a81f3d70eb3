// The instance registry: two live clients with one configuration and no id are a mistake
// (usually a client created per request), but a config that differs only in a function is a
// different client, and a disconnected client frees its configuration.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { expectMCPError } from '../support/helpers.js'

describe('instance registry', () => {
  let fixture: FixtureServer
  const live: MCPClient[] = []

  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await Promise.all(live.map((client) => client.disconnect()))
    await fixture?.stop()
  })

  function create(options: ConstructorParameters<typeof MCPClient>[0]): MCPClient {
    const client = new MCPClient(options)
    live.push(client)
    return client
  }

  // Each test uses its own path, so their configurations never meet.
  const url = (name: string) => new URL(`/mcp?test=${name}`, fixture.url).href

  it('a constructor that throws leaves no entry: the same config fails again with its own error', async () => {
    // Approval settings are checked after the definitions, when each server is set up.
    const options = {
      servers: { fixture: { url: url('throws'), requireToolApproval: true } },
      approval: { timeout: -5 },
    }
    await expectMCPError(() => create(options), 'INVALID_CONFIGURATION')
    await expectMCPError(() => create(options), 'INVALID_CONFIGURATION')
    // Fixed, it is a client like any other.
    create({ ...options, approval: { timeout: 1000 } })
  })

  it('throws DUPLICATE_INSTANCE for a second live client with the same config and no id, naming the fixes', async () => {
    create({ servers: { fixture: { url: url('duplicate') } } })
    const error = await expectMCPError(
      () => create({ servers: { fixture: { url: url('duplicate') } } }),
      'DUPLICATE_INSTANCE',
    )
    // The three fixes: a unique id, disconnect() first, or one client created once and reused.
    expect(error.message).toMatch(/\bid\b/)
    expect(error.message).toMatch(/disconnect\(\)/)
    expect(error.message).toMatch(
      /reuse|re-use|higher scope|module scope|outer scope|once|single|share/i,
    )
  })

  it('accepts the same config twice when each client has its own id', () => {
    create({ id: 'registry-a', servers: { fixture: { url: url('with-ids') } } })
    expect(() =>
      create({ id: 'registry-b', servers: { fixture: { url: url('with-ids') } } }),
    ).not.toThrow()
  })

  it('treats configs that differ only in a fetch function as different clients', async () => {
    const fetchForAlice = (target: string | URL, init?: RequestInit) => fetch(target, init)
    const fetchForBob = (target: string | URL, init?: RequestInit) => fetch(target, init)
    const alice = create({ servers: { fixture: { url: url('fetch'), fetch: fetchForAlice } } })
    const bob = create({ servers: { fixture: { url: url('fetch'), fetch: fetchForBob } } })
    // Both are usable, independently.
    const [aliceTools, bobTools] = await Promise.all([alice.listTools(), bob.listTools()])
    expect(Object.keys(aliceTools)).toContain('fixture_echo')
    expect(Object.keys(bobTools)).toContain('fixture_echo')

    // The same function again is the same configuration.
    await expectMCPError(
      () => create({ servers: { fixture: { url: url('fetch'), fetch: fetchForAlice } } }),
      'DUPLICATE_INSTANCE',
    )
  })

  it('lets the same config be created again after disconnect()', async () => {
    const first = create({ servers: { fixture: { url: url('recreate') } } })
    await first.listTools()
    await first.disconnect()
    const second = create({ servers: { fixture: { url: url('recreate') } } })
    const tools = await second.listTools()
    expect(Object.keys(tools)).toContain('fixture_echo')
  })

  it('frees the configuration even when disconnect() is called before any connection', async () => {
    const first = create({ servers: { fixture: { url: url('never-connected') } } })
    await first.disconnect()
    expect(() => create({ servers: { fixture: { url: url('never-connected') } } })).not.toThrow()
  })
})
