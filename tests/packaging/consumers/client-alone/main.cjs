// CommonJS: listToolsets(), argument validation before anything is sent, and a clear error for
// an unknown server, from the .cjs build.
const assert = require('node:assert/strict')
const { MCPClient, toolId } = require('@mcpkit/mcp-client-core')

async function main() {
  const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
  assert.ok(serverScript, 'MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')
  const mcp = new MCPClient({
    id: 'smoke-cjs',
    servers: { notes: { command: process.execPath, args: [serverScript] } },
  })
  try {
    const toolsets = await mcp.listToolsets()
    assert.deepEqual(Object.keys(toolsets), ['notes'])
    const add = toolsets.notes.add
    assert.equal(add.id, toolId('notes', 'add'))
    assert.deepEqual(await add.execute({ a: 40, b: 2 }), { sum: 42 })
    await assert.rejects(add.execute({ a: 'forty', b: 2 }), (error) => {
      assert.equal(error.code, 'INVALID_TOOL_INPUT')
      assert.match(error.message, /\/a/)
      return true
    })
    // async: resources.read throws synchronously for an unknown server (reported), and a
    // Promise-returning API should reject instead; this keeps the program about the error.
    await assert.rejects(
      async () => mcp.resources.read('weather', 'weather://now'),
      (error) => {
        assert.equal(error.code, 'SERVER_NOT_FOUND')
        return true
      },
    )
  } finally {
    await mcp.disconnect()
  }
  // Without the optional peer @mcpkit/oauth, authenticate() names it (the CommonJS build loads
  // it with import(), whose error code differs from require()'s).
  const secured = new MCPClient({
    id: 'smoke-cjs-oauth',
    servers: {
      secured: {
        url: new URL('http://127.0.0.1:9/mcp'),
        authProvider: {
          redirectUrl: 'http://127.0.0.1:9/callback',
          clientMetadata: { redirect_uris: ['http://127.0.0.1:9/callback'] },
          clientInformation: () => undefined,
          tokens: () => undefined,
          saveTokens: () => {},
          redirectToAuthorization: () => {},
          saveCodeVerifier: () => {},
          codeVerifier: () => '',
        },
      },
    },
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
  console.log('SMOKE OK client-alone/main.cjs')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
