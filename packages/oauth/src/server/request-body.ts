import { readCapped } from '@mcpkit/types'

/**
 * The JSON body of a POST, read from a copy so the original stays readable; `undefined` when
 * there is none, it is larger than `maxBytes`, or it is not JSON.
 */
export async function peekJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes || request.bodyUsed || !request.body) return undefined
  let copy: Request
  try {
    copy = request.clone()
  } catch {
    return undefined
  }
  if (!copy.body) return undefined
  try {
    const bytes = await readCapped(copy.body, maxBytes)
    return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined
  } catch {
    return undefined
  }
}
