import { readCapped } from '@mcpkit/types'
import { type HttpRejection, JsonRpcErrorCode } from './json-rpc.js'
import { payloadTooLarge } from './security.js'

/** A parsed JSON body, or the answer to give instead. */
export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; rejection: HttpRejection }

export const parseErrorRejection = (detail: string): HttpRejection => ({
  status: 400,
  code: JsonRpcErrorCode.ParseError,
  message: `Parse error: ${detail}`,
})

/** Parses `text` as JSON, or the 400 -32700 to answer. */
export function parseJson(text: string): JsonBodyResult {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return {
      ok: false,
      rejection: parseErrorRejection(
        text.trim() === ''
          ? 'the request body is empty'
          : `invalid JSON (${(error as Error).message})`,
      ),
    }
  }
}

/**
 * Reads a web `Request` body as JSON, at most `maxBytes` of it: a declared `Content-Length`
 * over the cap is refused unread, and a stream that grows past it is cancelled at once, so an
 * oversized body is never buffered.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBodyResult> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {})
    return { ok: false, rejection: payloadTooLarge(maxBytes) }
  }
  if (!request.body) return parseJson('')
  let bytes: Uint8Array | undefined
  try {
    bytes = await readCapped(request.body, maxBytes)
  } catch (error) {
    return {
      ok: false,
      rejection: {
        status: 400,
        code: JsonRpcErrorCode.ParseError,
        message: `Parse error: the request body could not be read (${(error as Error).message})`,
      },
    }
  }
  if (!bytes) return { ok: false, rejection: payloadTooLarge(maxBytes) }
  return parseJson(decoder.decode(bytes))
}

const decoder = new TextDecoder()
