import { randomUUID } from 'node:crypto'
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server'
import type { RedisConnection } from './redis-connection.js'

/** Options of `RedisServerEventBus`. */
export interface RedisServerEventBusOptions {
  connection: RedisConnection
  /** The channel (after the connection's prefix); one per logical server. Default `'events'`. */
  channel?: string
  /** Called when a listener throws or an event cannot be published. */
  onError?: (error: Error) => void
}

/**
 * The SDK's `ServerEventBus` on Redis pub/sub: give the same one (same Redis, same channel) to
 * `MCPServer({ eventBus })` in every process, and a notification raised in any of them reaches
 * the `subscriptions/listen` streams of all. Events are delivered in this process at once
 * (even while Redis is away) and published for the others, which ignore their own echo.
 * Delivery to other processes is at most once: an event published while Redis is unreachable
 * is lost for them (logged), as the spec's notifications are hints that clients refetch on.
 */
export class RedisServerEventBus implements ServerEventBus {
  readonly #connection: RedisConnection
  readonly #channel: string
  readonly #origin = randomUUID()
  readonly #listeners = new Set<(event: ServerEvent) => void>()
  readonly #onError: ((error: Error) => void) | undefined
  #unsubscribe: (() => void) | undefined

  constructor(options: RedisServerEventBusOptions) {
    this.#connection = options.connection
    this.#channel = options.channel ?? 'events'
    this.#onError = options.onError
  }

  publish(event: ServerEvent): void {
    this.#deliver(event)
    this.#connection
      .publish(this.#channel, JSON.stringify({ origin: this.#origin, event }))
      .catch((error: unknown) => this.#onError?.(asError(error)))
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.#listeners.add(listener)
    // One Redis subscription per bus, from its first listener on.
    this.#unsubscribe ??= this.#connection.subscribe(this.#channel, (message) =>
      this.#received(message),
    )
    let live = true
    return () => {
      if (!live) return
      live = false
      this.#listeners.delete(listener)
    }
  }

  /** Ends the Redis subscription (the connection stays open). */
  close(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#listeners.clear()
  }

  #received(message: string): void {
    let parsed: { origin?: unknown; event?: unknown }
    try {
      parsed = JSON.parse(message) as typeof parsed
    } catch {
      return
    }
    if (parsed.origin === this.#origin) return
    const event = validEvent(parsed.event)
    if (event) this.#deliver(event)
  }

  #deliver(event: ServerEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.#onError?.(asError(error))
      }
    }
  }
}

/** Only the four event kinds the SDK knows, with their fields, reach the listen streams. */
function validEvent(value: unknown): ServerEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { kind, uri } = value as { kind?: unknown; uri?: unknown }
  switch (kind) {
    case 'tools_list_changed':
    case 'prompts_list_changed':
    case 'resources_list_changed':
      return { kind }
    case 'resource_updated':
      return typeof uri === 'string' ? { kind, uri } : undefined
    default:
      return undefined
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
