// ESM: MCPClient from the published @mcpkit/mcp-client-core alone, against the server-alone
// project's stdio server (another project, its own node_modules); without its optional peer
// @mcpkit/oauth.
import assert from 'node:assert/strict'
import { MCPClient } from '@mcpkit/mcp-client-core'

const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
assert.ok(serverScript, 'MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')

const mcp = new MCPClient({
  servers: { notes: { command: process.execPath, args: [serverScript] } },
})
try {
  const tools = await mcp.listTools()
  assert.deepEqual(Object.keys(tools).sort(), ['notes_add', 'notes_delete_note'])
  assert.deepEqual(await tools.notes_add.execute({ a: 2, b: 3 }), { sum: 5 })
  const text = await tools.notes_delete_note.execute({ id: 'n-1' })
  assert.deepEqual(text.content, [{ type: 'text', text: 'deleted note n-1' }])
} finally {
  await mcp.disconnect()
}

// @mcpkit/oauth is an optional peer: npm did not install it, the client above never needed it,
// and authenticate() says what to install instead of failing to load.
const provider = {
  redirectUrl: 'http://127.0.0.1:9/callback',
  clientMetadata: { redirect_uris: ['http://127.0.0.1:9/callback'] },
  clientInformation: () => undefined,
  tokens: () => undefined,
  saveTokens: () => {},
  redirectToAuthorization: () => {},
  saveCodeVerifier: () => {},
  codeVerifier: () => '',
}
const secured = new MCPClient({
  servers: { secured: { url: new URL('http://127.0.0.1:9/mcp'), authProvider: provider } },
})
try {
  await assert.rejects(secured.authenticate('secured'), (error) => {
    assert.equal(error.code, 'INVALID_CONFIGURATION')
    assert.match(error.message, /npm i @mcpkit\/oauth/)
    return true
  })
} finally {
  await secured.disconnect()
}
console.log('SMOKE OK client-alone/main.mjs')
