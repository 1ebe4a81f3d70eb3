// Seed 002 (MCPClient reference), "Custom Token Storage".
import { MCPOAuthClientProvider, type OAuthStorage } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok } from './check.mjs'

// CHANGED: added; the seed's `Database` and `db`, as an in-memory table behind the same query API
class Database {
  readonly rows = new Map<string, { user_id: string; key: string; value: string }>()
  async query(sql: string, params: string[]): Promise<{ value: string }[] | undefined> {
    const [userId = '', key = '', value = ''] = params
    const id = `${userId}\u0000${key}`
    if (sql.startsWith('INSERT')) this.rows.set(id, { user_id: userId, key, value })
    if (sql.startsWith('DELETE')) this.rows.delete(id)
    if (sql.startsWith('SELECT')) {
      const row = this.rows.get(id)
      return row ? [{ value: row.value }] : []
    }
    return undefined
  }
}
const db = new Database()

class DatabaseOAuthStorage implements OAuthStorage {
  constructor(
    private db: Database,
    private userId: string,
  ) {}

  async set(key: string, value: string): Promise<void> {
    await this.db.query(
      'INSERT INTO oauth_tokens (user_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = ?',
      [this.userId, key, value, value],
    )
  }

  async get(key: string): Promise<string | undefined> {
    const result = await this.db.query(
      'SELECT value FROM oauth_tokens WHERE user_id = ? AND key = ?',
      [this.userId, key],
    )
    return result?.[0]?.value
  }

  async delete(key: string): Promise<void> {
    await this.db.query('DELETE FROM oauth_tokens WHERE user_id = ? AND key = ?', [
      this.userId,
      key,
    ])
  }
}

const provider = new MCPOAuthClientProvider({
  redirectUrl: 'http://localhost:3000/callback',
  clientMetadata: {
    /* ... */
    redirect_uris: ['http://localhost:3000/callback'], // CHANGED: added; the metadata type requires it
  },
  storage: new DatabaseOAuthStorage(db, 'user-123'),
})

// ── check (added by the test): put in a server definition, the provider keeps that server's
// tokens in the user's rows ──
const { MCPClient } = await import('@mcpkit/mcp')
const client = new MCPClient({
  servers: { notes: { url: process.env.SEED_HTTP_URL!, authProvider: provider } },
})
await provider.saveTokens({ access_token: 'at-123', token_type: 'Bearer' })
assert.equal((await provider.tokens())?.access_token, 'at-123')
const rows = [...db.rows.values()]
assert.ok(rows.length > 0 && rows.every((row) => row.user_id === 'user-123'))
console.log('stored keys:', rows.map((row) => row.key).join(', '))
assert.ok(rows.every((row) => row.key.includes(encodeURIComponent(process.env.SEED_HTTP_URL!))))
await client.disconnect()
ok('002-custom-storage')
