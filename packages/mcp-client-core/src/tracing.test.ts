import { type Span, type SpanContext, type TracerProvider, trace } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { traced } from './tracing.js'

/** A provider that records the spans it starts and ends (the SDK's, reduced to that). */
function recordingProvider() {
  const started: string[] = []
  const ended: string[] = []
  const provider: TracerProvider = {
    getTracer: () => ({
      startSpan(name: string) {
        started.push(name)
        const context: SpanContext = {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          traceFlags: 1,
        }
        const span = {
          spanContext: () => context,
          setAttribute: () => span,
          setAttributes: () => span,
          addEvent: () => span,
          addLink: () => span,
          addLinks: () => span,
          setStatus: () => span,
          updateName: () => span,
          end: () => {
            ended.push(name)
          },
          isRecording: () => true,
          recordException: () => {},
        } as Span
        return span
      },
      startActiveSpan: () => {
        throw new Error('not used')
      },
    }),
  }
  return { provider, started, ended }
}

afterEach(() => {
  trace.disable()
})

describe('traced', () => {
  it('does no span work without a registered tracer provider', async () => {
    const result = await traced('tools/call echo', {}, async (span) => {
      expect(span.recording).toBe(false)
      expect(span.meta).toBeUndefined()
      return 'answer'
    })
    expect(result).toBe('answer')
  })

  it("records a span once a provider is registered, and passes the operation's failure on", async () => {
    await traced('first', {}, async (span) => expect(span.recording).toBe(false))
    const { provider, started, ended } = recordingProvider()
    trace.setGlobalTracerProvider(provider)
    const meta = await traced('tools/call echo', {}, async (span) => {
      expect(span.recording).toBe(true)
      return span.meta
    })
    expect(meta?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    await expect(
      traced('tools/call fails', {}, async () => {
        throw new Error('refused')
      }),
    ).rejects.toThrow('refused')
    expect(started).toEqual(['tools/call echo', 'tools/call fails'])
    expect(ended).toEqual(['tools/call echo', 'tools/call fails'])
  })

  it('turns a synchronous throw of the operation into a rejection, untraced too', async () => {
    const thrown = traced('sync', {}, () => {
      throw new Error('sync')
    })
    await expect(thrown).rejects.toThrow('sync')
  })
})
