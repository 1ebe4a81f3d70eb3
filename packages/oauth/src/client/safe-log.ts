import type { LoggingLevel } from '@mcpkit/types'

/** A log function as callers hand it over: `(level, message)`. */
export type LogFunction = (level: LoggingLevel, message: string) => void

/**
 * `log`, made harmless: a logger that throws (a closed stream, a bug in the app's handler)
 * never fails the OAuth flow that was only telling it something.
 */
export function safeLog(log: LogFunction | undefined): LogFunction {
  return (level, message) => {
    try {
      log?.(level, message)
    } catch {
      // Logging is best effort.
    }
  }
}
