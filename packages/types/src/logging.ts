import type { RequestContext } from './request-context.js'

/** The syslog levels MCP uses for `notifications/message`, lowest first. */
export const LOGGING_LEVELS = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
] as const

export type LoggingLevel = (typeof LOGGING_LEVELS)[number]

/** One log line from mcpkit itself or, with `enableServerLogs`, forwarded from a server. */
export interface LogMessage {
  level: LoggingLevel
  message: string
  timestamp: Date
  /** The server the line is about (the key in `servers`). */
  serverName: string
  details?: Record<string, unknown>
  requestContext?: RequestContext | null
}

/** Receives every log line. Must not throw; a throwing handler is ignored. */
export type LogHandler = (message: LogMessage) => void

/** Writes one log line: what mcpkit's components call internally. Never throws. */
export type Log = (level: LoggingLevel, message: string, details?: Record<string, unknown>) => void

/**
 * A `Log` that writes `LogMessage`s about `serverName` to `handler`. A missing handler makes it
 * a no-op, and a throwing one is ignored: logging must never break a call or a server.
 */
export function logTo(handler: LogHandler | undefined, serverName: string): Log {
  if (!handler) return () => {}
  return (level, message, details) => {
    try {
      handler({
        level,
        message,
        timestamp: new Date(),
        serverName,
        ...(details ? { details } : {}),
      })
    } catch {
      // A broken logger must not take the caller down.
    }
  }
}

/** `log`, safe to call on any path: a missing or throwing log function is ignored. */
export function safeLog(log: Log | undefined): Log {
  if (!log) return () => {}
  return (level, message, details) => {
    try {
      log(level, message, details)
    } catch {
      // A broken logger must not take the caller down.
    }
  }
}
