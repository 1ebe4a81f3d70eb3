// Client registrations per authorization server, in the `client-information` entry, and the
// entries earlier versions wrote there.
import { describe, expect, it } from 'vitest'
import { ClientRegistrations, sameIssuer } from './client-registrations.js'
import { MemoryOAuthStorage, oauthStorageKey } from './oauth-storage.js'
import { ProviderStore } from './provider-store.js'

const SERVER = 'https://mcp.example.com/mcp'
const A = 'https://a.example.com'
const B = 'https://b.example.com/tenant'

function store(storage = new MemoryOAuthStorage()) {
  return new ProviderStore({ storage, serverUrl: SERVER, principal: 'p' })
}

const key = oauthStorageKey({ serverUrl: SERVER, principal: 'p', entry: 'client-information' })

describe('ClientRegistrations', () => {
  it('keeps one registration per issuer, and the latest for callers that name none', async () => {
    const kept = store()
    await (await ClientRegistrations.read(kept)).save(kept, { client_id: 'at-a', issuer: A }, A)
    await (await ClientRegistrations.read(kept)).save(kept, { client_id: 'at-b' }, B)
    const read = await ClientRegistrations.read(kept)
    expect(read.forIssuer(A)?.client_id).toBe('at-a')
    expect(read.forIssuer(`${A}/`)?.client_id).toBe('at-a')
    expect(read.forIssuer(B)?.client_id).toBe('at-b')
    expect(read.forIssuer('https://c.example.com')).toBeUndefined()
    expect(read.latest()?.client_id).toBe('at-b')
    expect(read.issuerOf('at-a')).toBe(A)
    // Saving again for one issuer replaces its registration only.
    await read.save(kept, { client_id: 'at-a-2', issuer: `${A}/` }, undefined)
    const again = await ClientRegistrations.read(kept)
    expect(again.forIssuer(A)?.client_id).toBe('at-a-2')
    expect(again.forIssuer(B)?.client_id).toBe('at-b')
  })

  it('reads a registration an earlier version stored whole, stamped or not, and migrates it on save', async () => {
    const storage = new MemoryOAuthStorage()
    storage.set(key, JSON.stringify({ client_id: 'old', issuer: A }))
    const stamped = await ClientRegistrations.read(store(storage))
    expect(stamped.forIssuer(A)?.client_id).toBe('old')
    expect(stamped.forIssuer(B)).toBeUndefined()

    storage.set(key, JSON.stringify({ client_id: 'older' }))
    const kept = store(storage)
    const unstamped = await ClientRegistrations.read(kept)
    // Unstamped: offered to whichever issuer asks first (the SDK stamps it then).
    expect(unstamped.forIssuer(B)?.client_id).toBe('older')
    await unstamped.save(kept, { client_id: 'older', issuer: B }, B)
    const migrated = JSON.parse(storage.get(key)!) as { byIssuer: Record<string, unknown> }
    expect(Object.keys(migrated.byIssuer)).toEqual([B])
    expect((await ClientRegistrations.read(kept)).forIssuer(A)).toBeUndefined()
  })

  it('treats an unreadable entry as no registration', async () => {
    const storage = new MemoryOAuthStorage()
    storage.set(key, 'not json')
    expect((await ClientRegistrations.read(store(storage))).latest()).toBeUndefined()
  })
})

describe('sameIssuer()', () => {
  it('tolerates one trailing slash and nothing else', () => {
    expect(sameIssuer(A, `${A}/`)).toBe(true)
    expect(sameIssuer(`${A}/`, A)).toBe(true)
    expect(sameIssuer(A, A.toUpperCase())).toBe(false)
    expect(sameIssuer(A, `${A}:443`)).toBe(false)
  })
})
