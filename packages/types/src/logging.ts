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
