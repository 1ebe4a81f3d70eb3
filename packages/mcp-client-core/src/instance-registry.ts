import { MCPClientError } from '@mcpkit/types'

/**
 * Live clients by configuration fingerprint. The only module-level state of this package:
 * it exists to catch per-request code that creates identical clients without disconnecting
 * the old ones. Entries hold clients weakly, so a dropped client never pins memory.
 */
const liveClients = new Map<string, WeakRef<object>>()
const cleanup = new FinalizationRegistry<string>((key) => {
  if (liveClients.get(key)?.deref() === undefined) liveClients.delete(key)
})

const objectIds = new WeakMap<object, number>()
let nextObjectId = 0

function identityOf(value: object): number {
  let id = objectIds.get(value)
  if (id === undefined) {
    id = ++nextObjectId
    objectIds.set(value, id)
  }
  return id
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * A string equal for two configurations exactly when they would behave the same: plain data
 * by value, functions and class instances (a `fetch`, an auth provider, a logger) by identity.
 * `JSON.stringify` alone would call two clients with different per-user `fetch` functions equal.
 */
export function configurationFingerprint(value: unknown): string {
  return JSON.stringify(normalize(value))
}

function normalize(value: unknown): unknown {
  if (typeof value === 'function') return `fn#${identityOf(value)}`
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'symbol' ? String(value) : value
  }
  if (value instanceof URL) return `url:${value.href}`
  if (value instanceof Headers) return { headers: [...value.entries()] }
  if (Array.isArray(value)) return value.map(normalize)
  if (!isPlainObject(value)) return `obj#${identityOf(value)}`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.map(([key, entry]) => [key, normalize(entry)])
}

/** Registers a client under `key`, or throws `DUPLICATE_INSTANCE` if a live one holds it. */
export function registerInstance(key: string, client: object, id: string | undefined): void {
  const existing = liveClients.get(key)?.deref()
  if (existing && existing !== client) {
    const what = id === undefined ? 'the same configuration and no `id`' : `the same id "${id}"`
    throw new MCPClientError(
      'DUPLICATE_INSTANCE',
      `MCPClient was created twice with ${what} while the first is still live; this usually leaks connections. Fix it by: 1. giving each instance a unique \`id\`; 2. calling \`await client.disconnect()\` on the old instance before creating the new one; or 3. creating the client once at a higher scope and reusing it.`,
    )
  }
  liveClients.set(key, new WeakRef(client))
  cleanup.register(client, key, client)
}

/** Frees `key` if `client` holds it. */
export function unregisterInstance(key: string, client: object): void {
  if (liveClients.get(key)?.deref() === client) liveClients.delete(key)
  cleanup.unregister(client)
}
