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
  const reader = copy.body?.getReader()
  if (!reader) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        return undefined
      }
      chunks.push(value)
    }
    const joined = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      joined.set(chunk, offset)
      offset += chunk.byteLength
    }
    return JSON.parse(new TextDecoder().decode(joined))
  } catch {
    return undefined
  }
}
