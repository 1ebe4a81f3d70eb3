import { joinChunks } from '../join-chunks.js'
import { type HttpRejection, JsonRpcErrorCode } from './json-rpc.js'
import {
  type BodyLimits,
  bodyTimedOut,
  payloadTooLarge,
  tooManyBodiesInFlight,
} from './security.js'

/** A parsed JSON body, or the answer to give instead. */
export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; rejection: HttpRejection }

export const parseErrorRejection = (detail: string): HttpRejection => ({
  status: 400,
  code: JsonRpcErrorCode.ParseError,
  message: `Parse error: ${detail}`,
})

/**
 * Whether `text` nests arrays and objects deeper than `maxDepth`, found in one pass without
 * parsing (a body nested 100k levels deep would overflow the parser's or a validator's stack).
 */
export function nestedDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index)
    if (inString) {
      if (char === 0x5c)
        index++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > maxDepth) return true
    } else if (char === 0x5d || char === 0x7d) depth--
  }
  return false
}

/** Parses `text` as JSON, or the 400 to answer (-32700, or -32600 when nested too deep). */
export function parseJson(text: string, maxDepth = Number.POSITIVE_INFINITY): JsonBodyResult {
  if (Number.isFinite(maxDepth) && nestedDeeperThan(text, maxDepth)) {
    return {
      ok: false,
      rejection: {
        status: 400,
        code: JsonRpcErrorCode.InvalidRequest,
        message: `Invalid Request: the JSON body is nested deeper than ${maxDepth} levels (maxJsonDepth).`,
      },
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return {
      ok: false,
      rejection: parseErrorRejection(
        text.trim() === ''
          ? 'the request body is empty'
          : error instanceof SyntaxError
            ? `invalid JSON (${error.message.slice(0, 200)})`
            : 'invalid JSON',
      ),
    }
  }
}

/**
 * Reads a web `Request` body as JSON within `limits`: a declared `Content-Length` over the cap
 * is refused unread, a stream that grows past it (or past the handler's bytes in flight) is
 * cancelled at once, and one that takes longer than the deadline is cancelled with a 408.
 */
export async function readJsonBody(request: Request, limits: BodyLimits): Promise<JsonBodyResult> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limits.maxBytes) {
    await request.body?.cancel().catch(() => {})
    return { ok: false, rejection: payloadTooLarge(limits.maxBytes) }
  }
  if (!request.body) return parseJson('', limits.maxDepth)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), limits.timeoutMs)
  })
  const refuse = async (rejection: HttpRejection): Promise<JsonBodyResult> => {
    await reader.cancel().catch(() => {})
    return { ok: false, rejection }
  }
  try {
    for (;;) {
      const read = await Promise.race([reader.read(), expired])
      if (read === 'expired') return await refuse(bodyTimedOut(limits.timeoutMs))
      if (read.done) break
      const length = read.value.byteLength
      if (size + length > limits.maxBytes) return await refuse(payloadTooLarge(limits.maxBytes))
      if (!limits.inFlight.take(length)) return await refuse(tooManyBodiesInFlight())
      size += length
      chunks.push(read.value)
    }
  } catch (error) {
    return {
      ok: false,
      rejection: {
        status: 400,
        code: JsonRpcErrorCode.ParseError,
        message: `Parse error: the request body could not be read (${(error as Error).message})`,
      },
    }
  } finally {
    clearTimeout(timer)
    limits.inFlight.give(size)
    reader.releaseLock()
  }
  return parseJson(decoder.decode(joinChunks(chunks, size)), limits.maxDepth)
}

const decoder = new TextDecoder()
