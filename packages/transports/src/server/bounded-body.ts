/**
 * `response` with its body bounded for a client that stops reading: the body is read from the
 * SDK as it comes (the SDK's streams take every event whatever the reader does, so their own
 * queue would grow unseen) into a queue counted in bytes, and with more than `maxBufferedBytes`
 * in it when the next event comes the stream errors and the SDK's is cancelled. One event,
 * however large, always goes. For the web-standard handlers; `node:http` bounds its writes.
 */
export function withBoundedBody(response: Response, maxBufferedBytes: number): Response {
  const inner = response.body
  if (!inner) return response
  const reader = inner.getReader()
  let stopped = false
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        void (async () => {
          try {
            for (;;) {
              const { done, value } = await reader.read()
              if (stopped) return
              if (done) {
                controller.close()
                return
              }
              if ((controller.desiredSize ?? 0) < -maxBufferedBytes) {
                stopped = true
                await reader.cancel().catch(() => {})
                controller.error(
                  new Error('The client stopped reading: maxBufferedBytesPerStream was exceeded.'),
                )
                return
              }
              controller.enqueue(value)
            }
          } catch (error) {
            if (!stopped) controller.error(error)
          }
        })()
      },
      cancel(reason) {
        stopped = true
        return reader.cancel(reason).catch(() => {})
      },
    },
    // Counted in bytes: `desiredSize` is minus what the client has not taken.
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  )
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
