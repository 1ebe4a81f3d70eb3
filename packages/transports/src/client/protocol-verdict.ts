import type { ProtocolEra, ProtocolVersionOption, ServerDefinition } from '@mcpkit/types'
import { isMCPKitError } from '@mcpkit/types'
import type {
  DiscoverResult,
  PriorDiscovery,
  VersionNegotiationOptions,
} from '@modelcontextprotocol/client'
import { isNetworkFailure } from '../sdk-contract.js'
import type { ClientConnection, ConnectClientOptions } from './connect.js'
import { describe, isUnauthorized } from './connect-errors.js'

/** The 2026-07-28 revision, the first of the modern era. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28'

/** Which wire protocol a connection ended up on. */
export type TransportKind = 'stdio' | 'streamable-http' | 'sse'

/**
 * What a connection learned about a server's protocol era, to skip the probe next time: the
 * modern era with the server's `server/discover` answer, or the legacy era and the transport
 * that reached it (Streamable HTTP, or legacy SSE for a server that has only that). Reuse it
 * only within the authorization context that learned it.
 */
export type ProtocolVerdict =
  | { readonly era: 'modern'; readonly discover: DiscoverResult }
  | { readonly era: 'legacy'; readonly transport: TransportKind }

/** The era option of a definition, `'auto'` when not set. */
export function protocolVersionOf(definition: ServerDefinition): ProtocolVersionOption {
  return definition.protocolVersion ?? 'auto'
}

/** The SDK `Client`'s negotiation for a definition's `protocolVersion`. */
export function versionNegotiation(
  option: ProtocolVersionOption,
  probeTimeoutMs: number | undefined,
): VersionNegotiationOptions {
  const probe = probeTimeoutMs === undefined ? {} : { probe: { timeoutMs: probeTimeoutMs } }
  if (option === 'legacy') return { mode: 'legacy' }
  if (option === MODERN_PROTOCOL_VERSION)
    return { mode: { pin: MODERN_PROTOCOL_VERSION }, ...probe }
  return { mode: 'auto', ...probe }
}

/**
 * The SDK's `connect({ prior })` for a cached verdict, when the definition's option lets it
 * apply: a pinned era ignores a verdict of the other era.
 */
export function priorOf(
  verdict: ProtocolVerdict | undefined,
  option: ProtocolVersionOption,
): PriorDiscovery | undefined {
  if (!verdict) return undefined
  if (verdict.era === 'modern') {
    return option === 'legacy' ? undefined : { kind: 'modern', discover: verdict.discover }
  }
  return option === 'auto' ? { kind: 'legacy' } : undefined
}

/** The era a connected SDK client speaks (legacy when it cannot tell). */
export function eraOf(client: { getProtocolEra(): ProtocolEra | undefined }): ProtocolEra {
  return client.getProtocolEra() ?? 'legacy'
}

/** One attempt's plan: the era option, and the verdict to start from. */
export interface Attempt {
  readonly option: ProtocolVersionOption
  readonly prior: PriorDiscovery | undefined
}

/** `connectOnce`, again without the verdict when a supplied verdict no longer holds. */
export async function withVerdict(
  options: ConnectClientOptions,
  connectOnce: (attempt: Attempt, deadline: () => number) => Promise<ClientConnection>,
): Promise<ClientConnection> {
  const option = protocolVersionOf(options.definition)
  const started = Date.now()
  const remaining = () => Math.max(1, options.timeout - (Date.now() - started))
  const prior = priorOf(options.verdict, option)
  if (!prior) return connectOnce({ option, prior: undefined }, remaining)
  try {
    return await connectOnce({ option, prior }, remaining)
  } catch (error) {
    if (!isStaleVerdictFailure(error) || options.signal?.aborted) throw error
    options.log?.('info', `the cached protocol era (${prior.kind}) did not work; probing again`, {
      error: describe(error),
    })
    return connectOnce({ option, prior: undefined }, remaining)
  }
}

/** A failure a stale era verdict can explain (not refused credentials, a timeout, an abort). */
function isStaleVerdictFailure(error: unknown): boolean {
  return (
    isMCPKitError(error, 'CONNECTION_FAILED') &&
    !isUnauthorized(error.cause) &&
    !isNetworkFailure(error.cause)
  )
}
