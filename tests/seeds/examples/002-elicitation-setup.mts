// Seed 002 (MCPClient reference), "Elicitation" → "Setting Up Elicitation" and
// "Schema-Based Input Collection".
import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok, textOf } from './check.mjs'

// CHANGED: added; the seed's "your logic to collect user input", answering from fixed data
async function collectUserInput(schema: { properties: Record<string, unknown> }) {
  return Object.fromEntries(
    Object.keys(schema.properties).map((name) => [
      name,
      name === 'email' ? 'ui@example.com' : `${name} from UI`,
    ]),
  )
}
// CHANGED: added; the seed's `promptUser` UI call, answering from fixed data
async function promptUser(field: {
  name: string
  title?: string
  description?: string
  type?: string
  required: boolean
  format?: string
  enum?: string[]
}): Promise<string | null> {
  if (!field.required) return null
  return field.format === 'email' ? 'typed@example.com' : `${field.name} typed by the user`
}

const mcpClient = new MCPClient({
  servers: {
    interactiveServer: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was http://localhost:3000/mcp; the test's local server
    },
  },
})

// Set up elicitation handler
mcpClient.elicitation.onRequest('interactiveServer', async (request) => {
  // Handle the server's request for user input
  console.log(`Server needs: ${request.message}`)

  // Your logic to collect user input
  const userData = await collectUserInput(request.requestedSchema)

  return {
    action: 'accept',
    content: userData,
  }
})

// ── check (added by the test): the first handler ──
const tools = await mcpClient.listTools()
const first = textOf(await tools.interactiveServer_collectContactInfo!.execute({}))
assert.equal(first, 'contact: {"name":"name from UI","email":"ui@example.com"}')
console.log(first)

// Schema-Based Input Collection
await mcpClient.elicitation.onRequest('interactiveServer', async (request) => {
  const { properties, required = [] } = request.requestedSchema
  const content: Record<string, any> = {}

  for (const [fieldName, fieldSchema] of Object.entries(properties || {})) {
    const field = fieldSchema as any
    const isRequired = required.includes(fieldName)

    // Collect input based on field type and requirements
    const value = await promptUser({
      name: fieldName,
      title: field.title,
      description: field.description,
      type: field.type,
      required: isRequired,
      format: field.format,
      enum: field.enum,
    })

    if (value !== null) {
      content[fieldName] = value
    }
  }

  return { action: 'accept', content }
})

// ── check (added by the test): the second handler replaced the first ──
const second = textOf(await tools.interactiveServer_collectContactInfo!.execute({}))
assert.equal(second, 'contact: {"name":"name typed by the user","email":"typed@example.com"}')
console.log(second)
await mcpClient.disconnect()
ok('002-elicitation-setup')
