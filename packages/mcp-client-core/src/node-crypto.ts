import type * as Crypto from 'node:crypto'

let loaded: typeof Crypto | undefined

/**
 * `node:crypto`, loaded on first use: importing it costs ~15 ms and ~0.5 MB of heap, which an
 * `import { MCPClient }` should not pay (only long tool ids, stdio servers and pools hash).
 */
export function nodeCrypto(): typeof Crypto {
  if (loaded) return loaded
  const found = process.getBuiltinModule?.('node:crypto') as typeof Crypto | undefined
  if (!found) {
    throw new Error('mcpkit needs Node.js 20.16 or later (process.getBuiltinModule)')
  }
  loaded = found
  return loaded
}
