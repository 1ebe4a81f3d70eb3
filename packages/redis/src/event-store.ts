import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server'
import type { RedisConnection } from './redis-connection.js'

/** Options of `RedisEventStore`. */
export interface RedisEventStoreOptions {
  connection: RedisConnection
  /** Most events kept per stream; older ones are trimmed. Default 1000. */
  maxEvents?: number
  /** Milliseconds an event is kept; a stream idle this long is deleted. Default 300000 (5 min). */
  maxAge?: number
  /** The clock events are aged by (epoch ms). Default `Date.now`; tests inject their own. */
  now?: () => number
}

/**
 * The SDK's `EventStore` (resumable 2025 Streamable HTTP streams, `Last-Event-ID`) on Redis
 * streams: one Redis stream per SSE stream, capped in size (`maxEvents`) and age (`maxAge`), so
 * a client that reconnects to any instance sharing this Redis gets what it missed. Pass it as
 * `startHTTP({ options: { eventStore } })`; `@mcpkit/transports` scopes it to each session, so
 * an event id of one session never replays another's.
 */
export class RedisEventStore implements EventStore {
  readonly #connection: RedisConnection
  readonly #maxEvents: number
  readonly #maxAge: number
  readonly #prefix: string
  readonly #now: () => number

  constructor(options: RedisEventStoreOptions) {
    this.#connection = options.connection
    this.#maxEvents = options.maxEvents ?? 1000
    this.#maxAge = options.maxAge ?? 300_000
    if (!(this.#maxEvents >= 1) || !(this.#maxAge > 0)) {
      throw new TypeError('RedisEventStore: maxEvents must be 1 or more, maxAge positive')
    }
    this.#prefix = `${options.connection.keyPrefix}events:`
    this.#now = options.now ?? Date.now
  }

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const key = this.#prefix + streamId
    const entryId = await this.#connection.run('event store', async (client) => {
      const results = await client
        .multi()
        .xadd(key, 'MAXLEN', String(this.#maxEvents), '*', 'm', JSON.stringify(message))
        .pexpire(key, this.#maxAge)
        .exec()
      const [error, id] = results?.[0] ?? [new Error('no answer'), null]
      if (error) throw error
      return id as string
    })
    return `${Buffer.from(streamId).toString('base64url')}.${entryId}`
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return parseEventId(eventId)?.streamId
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const parsed = parseEventId(lastEventId)
    if (!parsed) throw new Error('Unknown Last-Event-ID')
    const { streamId, entryId } = parsed
    const oldest = this.#now() - this.#maxAge
    const entries = await this.#connection.run('event replay', (client) =>
      client.xrange(this.#prefix + streamId, `(${entryId}`, '+', 'COUNT', this.#maxEvents),
    )
    const encoded = Buffer.from(streamId).toString('base64url')
    for (const [id, fields] of entries) {
      if (Number(id.split('-')[0]) < oldest) continue
      const index = fields.indexOf('m')
      const raw = index >= 0 ? fields[index + 1] : undefined
      if (raw === undefined) continue
      await send(`${encoded}.${id}`, JSON.parse(raw) as JSONRPCMessage)
    }
    return streamId
  }
}

function parseEventId(eventId: string): { streamId: string; entryId: string } | undefined {
  const dot = eventId.lastIndexOf('.')
  if (dot <= 0) return undefined
  const entryId = eventId.slice(dot + 1)
  if (!/^\d+-\d+$/.test(entryId)) return undefined
  return { streamId: Buffer.from(eventId.slice(0, dot), 'base64url').toString(), entryId }
}
