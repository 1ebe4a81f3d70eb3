import { describe, expect, it } from 'vitest'
import { withBoundedBody } from './bounded-body.js'

function producer() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let cancelled = false
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
    },
    cancel() {
      cancelled = true
    },
  })
  return {
    stream,
    push: (bytes: number) => controller.enqueue(new Uint8Array(bytes)),
    end: () => controller.close(),
    cancelled: () => cancelled,
  }
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('withBoundedBody', () => {
  it('passes a body through to a reader', async () => {
    const source = producer()
    const bounded = withBoundedBody(
      new Response(source.stream, { status: 201, headers: { 'x-a': '1' } }),
      100,
    )
    source.push(60)
    source.push(60)
    source.end()
    expect(bounded.status).toBe(201)
    expect(bounded.headers.get('x-a')).toBe('1')
    expect((await bounded.arrayBuffer()).byteLength).toBe(120)
  })

  it('errors the stream and cancels the source when the client stops reading', async () => {
    const source = producer()
    const bounded = withBoundedBody(new Response(source.stream), 100)
    const reader = bounded.body!.getReader()
    for (let index = 0; index < 5 && !source.cancelled(); index++) {
      source.push(60)
      await turn()
    }
    expect(source.cancelled()).toBe(true)
    await expect(reader.read()).rejects.toThrow(/stopped reading/)
  })
})
