/**
 * JSON-RPC helpers of the HTTP server transports: error bodies that every 4xx/5xx carries, and
 * a structural check of incoming messages that costs no schema library.
 */

/** JSON-RPC error codes the HTTP layer answers with. */
export const JsonRpcErrorCode = {
  /** Body is not JSON. */
  ParseError: -32700,
  /** JSON, but not a JSON-RPC 2.0 message (or batch of them). */
  InvalidRequest: -32600,
  /** Something failed on our side. */
  InternalError: -32603,
  /** Transport-level refusal (Host/Origin, size, principal, method): the SDK's choice. */
  ServerError: -32000,
  /** Unknown, closed or expired session: the SDK's code, so clients re-initialize. */
  SessionNotFound: -32001,
} as const

/** The body of an HTTP error answer: a JSON-RPC error response with `id: null`. */
export function jsonRpcErrorBody(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null })
}

/** A web `Response` carrying a JSON-RPC error. */
export function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): Response {
  return new Response(jsonRpcErrorBody(code, message), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

/** An HTTP answer decided before the SDK sees the request, independent of the runtime. */
export interface HttpRejection {
  status: number
  code: number
  message: string
  headers?: Record<string, string>
}

export function rejectionResponse(rejection: HttpRejection): Response {
  return jsonRpcErrorResponse(
    rejection.status,
    rejection.code,
    rejection.message,
    rejection.headers,
  )
}

/** Mirrors the SDK's `JSONRPCMessageSchema` cap on one POST. */
const MAX_BATCH_SIZE = 100

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isRequestId = (value: unknown): boolean =>
  typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))

function hasOnlyKeys(message: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const key in message) {
    if (!allowed.includes(key)) return false
  }
  return true
}

const REQUEST_KEYS = ['jsonrpc', 'id', 'method', 'params'] as const
const NOTIFICATION_KEYS = ['jsonrpc', 'method', 'params'] as const
const RESULT_KEYS = ['jsonrpc', 'id', 'result'] as const
const ERROR_KEYS = ['jsonrpc', 'id', 'error'] as const

function validParams(params: unknown): boolean {
  if (params === undefined) return true
  if (!isObject(params)) return false
  const meta = params._meta
  if (meta === undefined) return true
  if (!isObject(meta)) return false
  return meta.progressToken === undefined || isRequestId(meta.progressToken)
}

/** Why `message` is not a JSON-RPC 2.0 message the SDK accepts, or `undefined` when it is. */
function messageProblem(message: unknown): string | undefined {
  if (!isObject(message)) return 'a message must be a JSON object'
  if (message.jsonrpc !== '2.0') return '"jsonrpc" must be "2.0"'
  if ('method' in message) {
    if (typeof message.method !== 'string') return '"method" must be a string'
    if (!validParams(message.params)) return '"params" must be an object'
    if ('id' in message) {
      if (!isRequestId(message.id)) return '"id" must be a string or an integer'
      return hasOnlyKeys(message, REQUEST_KEYS) ? undefined : 'unexpected member in a request'
    }
    return hasOnlyKeys(message, NOTIFICATION_KEYS) ? undefined : 'unexpected member'
  }
  if ('result' in message) {
    if (!isRequestId(message.id)) return '"id" must be a string or an integer'
    if (!isObject(message.result)) return '"result" must be an object'
    return hasOnlyKeys(message, RESULT_KEYS) ? undefined : 'unexpected member in a response'
  }
  if ('error' in message) {
    if (message.id !== undefined && !isRequestId(message.id)) {
      return '"id" must be a string or an integer'
    }
    const error = message.error
    if (!isObject(error) || !Number.isInteger(error.code) || typeof error.message !== 'string') {
      return '"error" must have an integer "code" and a string "message"'
    }
    return hasOnlyKeys(message, ERROR_KEYS) ? undefined : 'unexpected member in an error response'
  }
  return 'a message needs "method", "result" or "error"'
}

/**
 * Checks a parsed POST body the way the SDK's schema will, so malformed JSON-RPC gets -32600
 * from us instead of the SDK's -32700, without a second schema pass on the hot path.
 * Returns the problem, or `undefined` for a valid message or batch.
 */
export function jsonRpcPayloadProblem(body: unknown): string | undefined {
  if (!Array.isArray(body)) return messageProblem(body)
  if (body.length === 0) return 'an empty batch is not a JSON-RPC request'
  if (body.length > MAX_BATCH_SIZE) return `a batch must not exceed ${MAX_BATCH_SIZE} messages`
  for (let index = 0; index < body.length; index++) {
    const problem = messageProblem(body[index])
    if (problem) return `batch item ${index}: ${problem}`
  }
  return undefined
}

/** Whether a valid payload contains an `initialize` request. */
export function containsInitialize(body: unknown): boolean {
  if (!Array.isArray(body)) return (body as { method?: unknown }).method === 'initialize'
  return body.some((message) => (message as { method?: unknown }).method === 'initialize')
}

export type RequestId = string | number
