import { MCPKitError } from '@mcpkit/types'

/** The codes a `RedisStoreError` can carry. */
export type RedisStoreErrorCode = 'STORE_UNAVAILABLE' | 'STORE_TIMEOUT'

/**
 * A Redis store could not do what was asked: Redis is unreachable or refused the command
 * (`STORE_UNAVAILABLE`), or did not answer within `commandTimeout` (`STORE_TIMEOUT`). Nothing
 * was read from another key instead, and no approval was given; retry once Redis is back (the
 * connection reconnects by itself).
 */
export class RedisStoreError extends MCPKitError {
  declare readonly code: RedisStoreErrorCode
  /** What the store was doing, e.g. `'approval settle'`. */
  readonly operation: string

  constructor(options: {
    code: RedisStoreErrorCode
    operation: string
    message: string
    cause?: unknown
  }) {
    super(options.code, options.message, { cause: options.cause })
    this.operation = options.operation
  }
}
