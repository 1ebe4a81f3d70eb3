import { defaultPrincipalOf } from '@mcpkit/transports/server'
import { canonicalJson, MCPServerError } from '@mcpkit/types'
import {
  createRequestStateCodec,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server'

/** The `requestState` option of `new MCPServer(config)` (`@mastra/mcp` 2.x's name). */
export interface RequestStateOptions {
  /**
   * The HMAC key that signs `requestState`, at least 32 bytes (a string is UTF-8). Every
   * process that may receive the retry of an `input_required` answer needs the same key: set
   * it from your secrets when you run more than one. Default: 32 random bytes per `MCPServer`,
   * so a retry is accepted only by the process (and server) that asked.
   */
  key?: string | Uint8Array | undefined
  /** How long an `input_required` answer may be retried, in seconds; default 600. */
  ttlSeconds?: number | undefined
}

/** One answer carried from an earlier round to the next, inside the signed state. */
export interface CarriedAnswer {
  /** The question's position in the handler's call order. */
  i: number
  /** Its key in `inputRequests` / `inputResponses`. */
  k: string
  /** Digest of the question (method and params): an answer only fits the question it answers. */
  d: string
  /** The client's answer (an `ElicitResult`, a `CreateMessageResult`, a `ListRootsResult`). */
  r: unknown
}

/**
 * What mcpkit puts in `requestState` (signed, not encrypted: the client can read it). It binds
 * the state to one call (method, tool/prompt name or resource URI, digest of the arguments);
 * the principal is bound by the codec's `bind` tag, outside the payload.
 */
export interface RoundState {
  v: 1
  /** `tools/call`, `prompts/get` or `resources/read`. */
  m: string
  /** The tool or prompt name, or the resource URI. */
  n: string
  /** Digest of the arguments. */
  a: string
  /** Answers of earlier rounds, carried forward (`inputResponses` hold one round only). */
  q: CarriedAnswer[]
  /** A `suspend(payload)` waiting for its answer. */
  s?: { p: unknown } | undefined
}

/** Signs and checks `requestState`: `verify` goes to `ServerOptions.requestState.verify`. */
export interface RequestStateCodec {
  mint(state: RoundState, ctx: ServerContext): Promise<string>
  verify(state: string, ctx: ServerContext): Promise<RoundState>
}

const DEFAULT_TTL_SECONDS = 600
const MIN_KEY_BYTES = 32

const invalid = (message: string) => new MCPServerError('INVALID_CONFIGURATION', message)

/**
 * The principal a state is bound to: the token's subject or client id (as sessions are), else
 * the bearer token itself, else `anonymous` (no credentials: then a state is a bearer
 * credential until it expires).
 */
export function principalBinding(ctx: ServerContext): string {
  const authInfo = ctx.http?.authInfo
  if (!authInfo) return 'anonymous'
  const principal = defaultPrincipalOf(authInfo)
  return principal === undefined ? `token:${authInfo.token}` : `principal:${principal}`
}

/**
 * The codec of one `MCPServer`: the SDK's HMAC-SHA256 `createRequestStateCodec`, bound to the
 * method and principal of the request (the binding is stored as an HMAC tag, never in clear).
 */
export function createStateCodec(options: RequestStateOptions | undefined): RequestStateCodec {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalid(
      'new MCPServer(config): `requestState` must be an object `{ key?, ttlSeconds? }`.',
    )
  }
  const ttlSeconds = options?.ttlSeconds ?? DEFAULT_TTL_SECONDS
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw invalid(
      `new MCPServer(config): \`requestState.ttlSeconds\` must be a positive number, got ${String(ttlSeconds)}.`,
    )
  }
  let key = options?.key
  if (key === undefined) {
    key = globalThis.crypto.getRandomValues(new Uint8Array(MIN_KEY_BYTES))
  } else {
    const bytes =
      typeof key === 'string'
        ? new TextEncoder().encode(key).byteLength
        : key instanceof Uint8Array
          ? key.byteLength
          : -1
    if (bytes < MIN_KEY_BYTES) {
      throw invalid(
        `new MCPServer(config): \`requestState.key\` must be a string or Uint8Array of at least ${MIN_KEY_BYTES} bytes (generate one with \`openssl rand -base64 48\`).`,
      )
    }
  }
  const codec = createRequestStateCodec<RoundState>({
    key,
    ttlSeconds,
    bind: (ctx) => `${ctx.mcpReq.method}\u0000${principalBinding(ctx)}`,
  })
  return {
    mint: (state, ctx) => codec.mint(state, ctx),
    verify: async (state, ctx) => {
      const decoded = await codec.verify(state, ctx)
      if (!isRoundState(decoded)) throw new Error('malformed')
      return decoded
    },
  }
}

function isRoundState(value: unknown): value is RoundState {
  const state = value as Partial<RoundState> | null
  return (
    typeof state === 'object' &&
    state !== null &&
    state.v === 1 &&
    typeof state.m === 'string' &&
    typeof state.n === 'string' &&
    typeof state.a === 'string' &&
    Array.isArray(state.q)
  )
}

/**
 * The verified state of this round, checked to belong to this very call (same method, name and
 * arguments): a state minted for another tool or other arguments is refused with `-32602`, as
 * the SDK refuses a tampered or expired one.
 */
export async function roundStateOf(
  ctx: ServerContext,
  call: { method: string; name: string; argsDigest: () => Promise<string> },
): Promise<RoundState | undefined> {
  const state = ctx.mcpReq.requestState<RoundState>()
  if (state === undefined) return undefined
  if (state.m !== call.method || state.n !== call.name || state.a !== (await call.argsDigest())) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Invalid requestState: it was issued for another request than this ${call.method} of "${call.name}" with these arguments.`,
      { reason: 'invalid_request_state' },
    )
  }
  return state
}

/** SHA-256 of the canonical JSON of `value`, base64url: equal for equal meanings, whatever the key order. */
export async function digestOf(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value))
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes))
  let binary = ''
  for (const byte of hash) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
