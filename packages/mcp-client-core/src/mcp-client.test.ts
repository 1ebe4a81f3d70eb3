import { afterEach, describe, expect, it } from 'vitest'
import { MCPClient } from './mcp-client.js'

const clients: MCPClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
})

function client(id: string): MCPClient {
  // Nothing here connects: the URL is never dialled.
  const created = new MCPClient({ id, servers: { notes: { url: 'http://127.0.0.1:9/mcp' } } })
  clients.push(created)
  return created
}

describe('MCPClient facades (resources, prompts, roots, …)', () => {
  it('are one object each, built on first use, whose methods work taken off it', () => {
    const mcp = client('facades')
    const facades = [
      'tools',
      'resources',
      'prompts',
      'elicitation',
      'sampling',
      'roots',
      'progress',
    ]
    // A pooled client that never uses them does not build them.
    for (const name of facades) expect(Object.hasOwn(mcp, name)).toBe(false)
    const { roots } = mcp
    expect(mcp.roots).toBe(roots)
    const { set, get } = roots
    set('notes', [{ uri: 'file:///srv/notes', name: 'notes' }])
    expect(get('notes')).toEqual([{ uri: 'file:///srv/notes', name: 'notes' }])
    const { onUpdate } = mcp.progress
    const stop = onUpdate('notes', () => {})
    stop()
    for (const name of facades)
      expect(mcp[name as keyof MCPClient]).toBe(mcp[name as keyof MCPClient])
  })

  it('cannot be replaced, before or after first use', () => {
    const mcp = client('readonly-facades')
    expect(() => {
      ;(mcp as { resources: unknown }).resources = {}
    }).toThrow(TypeError)
    const resources = mcp.resources
    expect(() => {
      ;(mcp as { resources: unknown }).resources = {}
    }).toThrow(TypeError)
    expect(mcp.resources).toBe(resources)
  })

  it('are separate per client', () => {
    const a = client('facades-a')
    const b = client('facades-b')
    expect(a.resources).not.toBe(b.resources)
    a.roots.set('notes', [{ uri: 'file:///a' }])
    expect(b.roots.get('notes')).toBeUndefined()
  })
})
