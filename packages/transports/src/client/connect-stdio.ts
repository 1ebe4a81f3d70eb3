import type { StdioServerDefinition } from '@mcpkit/types'
import { isMCPKitError, type MCPClientError } from '@mcpkit/types'
import { isProbeWithoutVerdict } from '../sdk-contract.js'
import type { ClientConnection, ConnectClientOptions } from './connect.js'
import { closedFailure, commonFailure, connectError, withDeadline } from './connect-errors.js'
import { watchListCursors } from './list-pages.js'
import { type Attempt, eraOf, versionNegotiation, withVerdict } from './protocol-verdict.js'
import type { ProcessStdioTransport } from './stdio-transport.js'

/**
 * How long a stdio server may stay silent on the `server/discover` probe before it counts as a
 * legacy server (some ignore requests that come before `initialize`): at most this, and at
 * most half the connect timeout, so the `initialize` that follows has time too.
 */
const STDIO_PROBE_TIMEOUT_MS = 5000

/**
 * Connects to a stdio server: a `server/discover` probe, where a silent server is a legacy
 * one; a legacy server that exits on the probe is started again, once, and spoken to with
 * `initialize`.
 */
export function connectStdio(options: ConnectClientOptions): Promise<ClientConnection> {
  return withVerdict(options, async (attempt, remaining) => {
    try {
      return await connectStdioOnce(options, attempt, remaining())
    } catch (failure) {
      const { error, exited } = failure as StdioFailure
      // A server that ended during the probe: a legacy server that exits on any request before
      // `initialize`. It gets one more process, spoken to the legacy way from the start.
      if (
        attempt.option === 'auto' &&
        !attempt.prior &&
        exited &&
        isProbeWithoutVerdict(error.cause)
      ) {
        options.log?.(
          'info',
          'the server exited on the protocol probe; starting it again for the legacy initialize handshake',
        )
        try {
          return await connectStdioOnce(
            options,
            { option: 'auto', prior: { kind: 'legacy' } },
            remaining(),
          )
        } catch (again) {
          throw (again as StdioFailure).error
        }
      }
      throw error
    }
  })
}

/**
 * The stdio transport, loaded on the first stdio connect: an HTTP-only client never loads
 * `node:child_process` or `cross-spawn`.
 */
let stdioTransport: Promise<typeof ProcessStdioTransport> | undefined
function loadStdioTransport(): Promise<typeof ProcessStdioTransport> {
  stdioTransport ??= import('./stdio-transport.js').then((module) => module.ProcessStdioTransport)
  return stdioTransport
}

interface StdioFailure {
  readonly error: MCPClientError
  /** The child process ended during the attempt. */
  readonly exited: boolean
}

async function connectStdioOnce(
  options: ConnectClientOptions,
  attempt: Attempt,
  timeout: number,
): Promise<ClientConnection> {
  const { serverName, log } = options
  const definition = options.definition as StdioServerDefinition
  const transport = new (await loadStdioTransport())({
    serverName,
    command: definition.command,
    args: definition.args,
    env: definition.env,
    cwd: definition.cwd,
    stderr: definition.stderr,
    onStderrLine: (line) => log?.('info', line, { stream: 'stderr' }),
    maxMessageBytes: definition.maxResponseBytes,
  })
  const client = options.createClient()
  const probeTimeout = Math.min(STDIO_PROBE_TIMEOUT_MS, Math.floor(timeout / 2))
  client.setVersionNegotiation(versionNegotiation(attempt.option, probeTimeout))
  const target = `command "${[definition.command, ...(definition.args ?? [])].join(' ')}"`
  try {
    await withDeadline(
      client.connect(transport, { timeout, ...(attempt.prior ? { prior: attempt.prior } : {}) }),
      timeout,
      options.signal,
    )
  } catch (error) {
    // Whether the server ended by itself: asked before our close() ends it.
    const exited = transport.exitDescription !== undefined
    await transport.close().catch(() => {})
    if (isMCPKitError(error, 'COMMAND_NOT_FOUND')) {
      throw { error, exited: false } satisfies StdioFailure
    }
    const stderr = transport.stderrTail.length
      ? ` Last stderr lines:\n${transport.stderrTail.join('\n')}`
      : ''
    const ended = exited ? ` The process ended (${transport.exitDescription}).` : ''
    throw {
      error: connectError(serverName, target, options.timeout, error, `${ended}${stderr}`),
      exited,
    } satisfies StdioFailure
  }
  watchListCursors(transport, serverName)
  const era = eraOf(client)
  const discover = client.getDiscoverResult()
  return {
    client,
    transport,
    kind: 'stdio',
    era,
    protocolVersion: client.getNegotiatedProtocolVersion() ?? '',
    verdict:
      era === 'modern' && discover
        ? { era: 'modern', discover }
        : { era: 'legacy', transport: 'stdio' },
    failureOf: (error) => {
      const failure = commonFailure(error) ?? closedFailure(client, error)
      return failure === 'connection-lost' && transport.oversized ? 'response-too-large' : failure
    },
    onstreamlost: undefined,
    standingStream: undefined,
    close: () => client.close(),
  }
}
