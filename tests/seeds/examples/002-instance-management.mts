// Seed 002 (MCPClient reference), "Instance management".
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippet assumes it
import { assert, ok } from './check.mjs'

// First instance - OK
const mcp1 = new MCPClient({
  servers: {
    /* ... */
  },
})

// Second instance with same config - Will throw an error
// CHANGED: wrapped in try/catch so the rest of the example runs (the seed says this line throws)
try {
  const mcp2 = new MCPClient({
    servers: {
      /* ... */
    },
  })
  assert.fail(`expected a DUPLICATE_INSTANCE error, got ${mcp2}`) // CHANGED: added (check)
} catch (error) {
  assert.equal((error as { code?: string }).code, 'DUPLICATE_INSTANCE') // CHANGED: added (check)
  console.log((error as Error).message)
}

// To fix, either:
// 1. Add unique IDs
const mcp3 = new MCPClient({
  id: 'instance-1',
  servers: {
    /* ... */
  },
})

// 2. Or disconnect before recreating
await mcp1.disconnect()
const mcp4 = new MCPClient({
  servers: {
    /* ... */
  },
})

// ── check (added by the test) ──
await mcp3.disconnect()
await mcp4.disconnect()
ok('002-instance-management')
