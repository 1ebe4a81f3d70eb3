import type {
  ApprovalRecord,
  ApprovalSettlement,
  ApprovalSettleResult,
  ApprovalStore,
} from '@mcpkit/tool-approval'
import type { ApprovalRequest } from '@mcpkit/types'
import type { RedisConnection } from './redis-connection.js'

/** Options of `RedisApprovalStore`. */
export interface RedisApprovalStoreOptions {
  connection: RedisConnection
}

// A record is a hash: the request as its JSON text (never re-encoded by Lua, so arguments keep
// their exact numbers and empty arrays), and the fields Lua reads and writes.
// KEYS: record, pending (all), pending (principal), ends.
// ARGV: id, request JSON, principal, createdAt, expiresAt.
const ADD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'request', ARGV[2], 'principal', ARGV[3], 'expiresAt', ARGV[5], 'status', 'pending')
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
return 1
`

// The one compare-and-set: settles only a pending record (of the principal, when given); an
// approve/deny at or after expiresAt turns it expired instead. Publishes what it changed.
// KEYS: record, pending (all), ends, channel, pending prefix. ARGV: id, status, at, principal,
// by, reason, has-principal flag. Returns {settled, fields...} (fields empty when unknown).
const SETTLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local status = redis.call('HGET', KEYS[1], 'status')
local principal = redis.call('HGET', KEYS[1], 'principal')
if status ~= 'pending' or (ARGV[7] == '1' and principal ~= ARGV[4]) then
  local fields = redis.call('HGETALL', KEYS[1])
  table.insert(fields, 1, 0)
  return fields
end
local at = tonumber(ARGV[3])
local expiresAt = tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
local settled = 1
local settledAt = at
if ARGV[2] ~= 'expired' and at >= expiresAt then
  settled = 0
  settledAt = expiresAt
  redis.call('HSET', KEYS[1], 'status', 'expired', 'settledAt', tostring(expiresAt), 'reason', 'expired')
else
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'settledAt', ARGV[3])
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'decidedBy', ARGV[5]) end
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[6]) end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[5] .. principal, ARGV[1])
redis.call('ZADD', KEYS[3], settledAt, ARGV[1])
local fields = redis.call('HGETALL', KEYS[1])
local message = {}
for i = 1, #fields, 2 do message[fields[i]] = fields[i + 1] end
redis.call('PUBLISH', KEYS[4], cjson.encode(message))
table.insert(fields, 1, settled)
return fields
`

// KEYS: ends, pending (all), record prefix, pending prefix. ARGV: olderThan.
const PRUNE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for _, id in ipairs(ids) do
  local principal = redis.call('HGET', KEYS[3] .. id, 'principal')
  if principal then redis.call('ZREM', KEYS[4] .. principal, id) end
  redis.call('DEL', KEYS[3] .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
`

/**
 * `ApprovalStore` on Redis, for `ApprovalQueue`s in several processes: a request added by the
 * process where its call waits can be listed and settled from any other, and the settlement
 * reaches the waiting call through `watch` (Redis pub/sub). `settle` is one Lua script, so a
 * request is settled once, only by its principal (when given), never after it expired.
 *
 * Redis down or slow: every method rejects with `RedisStoreError` within the connection's
 * `commandTimeout`; `ApprovalQueue` then denies the call (a handler that fails is a denial).
 */
export class RedisApprovalStore implements ApprovalStore {
  readonly #connection: RedisConnection
  readonly #prefix: string
  /** Live `watch` subscriptions: while any, `add` waits for the subscription first. */
  #watchers = 0

  constructor(options: RedisApprovalStoreOptions) {
    this.#connection = options.connection
    this.#prefix = `${options.connection.keyPrefix}approval:`
  }

  async add(request: ApprovalRequest): Promise<void> {
    if (this.#watchers > 0) {
      // Nobody can see the request before this process listens for its settlement.
      await this.#connection.run('approval subscribe', () =>
        this.#connection.whenSubscribed(this.#channel()),
      )
    }
    const added = await this.#connection.run('approval add', (client) =>
      client.eval(
        ADD,
        4,
        this.#record(request.id),
        this.#pendingAll(),
        this.#pendingOf(request.principal),
        this.#ends(),
        request.id,
        JSON.stringify(request),
        request.principal,
        String(request.createdAt),
        String(request.expiresAt),
      ),
    )
    if (added !== 1) throw new Error(`An approval request with id "${request.id}" already exists`)
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const fields = await this.#connection.run('approval get', (client) =>
      client.hgetall(this.#record(id)),
    )
    return fields.request ? parseRecord(fields) : undefined
  }

  async settle(id: string, settlement: ApprovalSettlement): Promise<ApprovalSettleResult> {
    const answer = (await this.#connection.run('approval settle', (client) =>
      client.eval(
        SETTLE,
        5,
        this.#record(id),
        this.#pendingAll(),
        this.#ends(),
        this.#connection.keyPrefix + this.#channel(),
        `${this.#prefix}pending:principal:`,
        id,
        settlement.status,
        String(settlement.at),
        settlement.principal ?? '',
        settlement.by ?? '',
        settlement.reason ?? '',
        settlement.principal === undefined ? '0' : '1',
      ),
    )) as [number, ...string[]]
    const [settled, ...flat] = answer
    const fields: Record<string, string> = {}
    for (let index = 0; index + 1 < flat.length; index += 2) {
      fields[flat[index] as string] = flat[index + 1] as string
    }
    const record = fields.request ? parseRecord(fields) : undefined
    if (settled === 1 && record) return { settled: true, record }
    return { settled: false, record }
  }

  async listPending(filter: {
    principal?: string | undefined
    at: number
  }): Promise<ApprovalRequest[]> {
    const index =
      filter.principal === undefined ? this.#pendingAll() : this.#pendingOf(filter.principal)
    const records = await this.#connection.run('approval list', async (client) => {
      const ids = await client.zrange(index, 0, -1)
      if (ids.length === 0) return []
      const pipeline = client.pipeline()
      for (const id of ids) pipeline.hgetall(this.#record(id))
      const answers = (await pipeline.exec()) ?? []
      return answers.map(([error, fields]) => (error ? {} : (fields as Record<string, string>)))
    })
    const requests: ApprovalRequest[] = []
    for (const fields of records) {
      if (!fields.request) continue
      const record = parseRecord(fields)
      if (record.status === 'pending' && record.request.expiresAt > filter.at) {
        requests.push(record.request)
      }
    }
    return requests
  }

  async prune(olderThan: number): Promise<number> {
    const removed = await this.#connection.run('approval prune', (client) =>
      client.eval(
        PRUNE,
        4,
        this.#ends(),
        this.#pendingAll(),
        `${this.#prefix}record:`,
        `${this.#prefix}pending:principal:`,
        String(olderThan),
      ),
    )
    return Number(removed)
  }

  /**
   * Calls `listener` with every record settled (or expired) through this Redis, by any
   * process, so `ApprovalQueue` can release the call it holds. Returns the unsubscribe.
   */
  watch(
    listener: (record: ApprovalRecord) => void,
    options: { waiting?: () => Iterable<string> } = {},
  ): () => void {
    // Settlements published while the pub/sub connection was down are lost to it: once a
    // connection is back, the records of the calls waiting here are read again.
    const stopResync = this.#connection.onReconnect(() => {
      const ids = [...(options.waiting?.() ?? [])]
      for (const id of ids) {
        this.get(id).then(
          (record) => {
            if (record && record.status !== 'pending') listener(record)
          },
          () => {},
        )
      }
    })
    const stopMessages = this.#connection.subscribe(this.#channel(), (message) => {
      let record: ApprovalRecord
      try {
        record = parseRecord(JSON.parse(message) as Record<string, string>)
      } catch {
        return
      }
      listener(record)
    })
    this.#watchers++
    let live = true
    return () => {
      if (!live) return
      live = false
      this.#watchers--
      stopResync()
      stopMessages()
    }
  }

  #channel(): string {
    return 'approval:settled'
  }

  #record(id: string): string {
    return `${this.#prefix}record:${id}`
  }

  #pendingAll(): string {
    return `${this.#prefix}pending`
  }

  #pendingOf(principal: string): string {
    return `${this.#prefix}pending:principal:${principal}`
  }

  #ends(): string {
    return `${this.#prefix}ends`
  }
}

function parseRecord(fields: Record<string, string | undefined>): ApprovalRecord {
  const request = JSON.parse(fields.request ?? '') as ApprovalRequest
  return {
    request: Object.freeze({
      ...request,
      serverName: request.serverName ?? undefined,
      annotations: request.annotations ?? undefined,
    }),
    status: (fields.status ?? 'pending') as ApprovalRecord['status'],
    settledAt: fields.settledAt === undefined ? undefined : Number(fields.settledAt),
    decidedBy: fields.decidedBy || undefined,
    reason: fields.reason || undefined,
  }
}
