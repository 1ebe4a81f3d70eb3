/**
 * The MCP server the framework tests (`frameworks/`) drive through real agent frameworks: a
 * structured tool, an image tool, a slow tool that records when it was cancelled, and a held
 * (`delete_note`) and an exempt (`list_notes`) tool, each counting the calls that reach it.
 */
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { z } from 'zod'
import { TEST_IMAGE_BASE64 } from '../fixtures/everything-server.js'
import { type Host, hostServer } from './server-host.js'

export { TEST_IMAGE_BASE64 }

/** What reached the server. */
export interface FrameworkLedger {
  deleted: string[]
  listed: number
  /** `performance.now()` when `slow` started and when its cancellation reached the server. */
  slow: { startedAt: number | undefined; cancelledAt: number | undefined; finished: boolean }
}

export interface FrameworkServer {
  host: Host
  ledger: FrameworkLedger
  /** Resolves when `slow` starts on the server. */
  slowStarted(): Promise<void>
  /** Resolves when the cancellation of `slow` reaches the server. */
  slowCancelled(): Promise<void>
  reset(): void
}

export async function startFrameworkServer(): Promise<FrameworkServer> {
  const ledger: FrameworkLedger = {
    deleted: [],
    listed: 0,
    slow: { startedAt: undefined, cancelledAt: undefined, finished: false },
  }
  let onSlowStart: (() => void) | undefined
  let slowStart = new Promise<void>((resolve) => {
    onSlowStart = resolve
  })
  let onSlowCancel: (() => void) | undefined
  let slowCancel = new Promise<void>((resolve) => {
    onSlowCancel = resolve
  })
  const server = new MCPServer({
    name: 'framework-target',
    version: '1.0.0',
    tools: {
      get_weather: createMCPTool({
        id: 'get_weather',
        description: 'The weather in a city',
        inputSchema: z.object({ city: z.string() }),
        outputSchema: z.object({ city: z.string(), temperatureC: z.number() }),
        annotations: { readOnlyHint: true },
        execute: async ({ city }) => ({ city, temperatureC: 21 }),
      }),
      snapshot: createMCPTool({
        id: 'snapshot',
        description: 'A picture of the room',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async () => ({
          content: [
            { type: 'text', text: 'the room' },
            { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
          ],
        }),
      }),
      slow: createMCPTool({
        id: 'slow',
        description: 'Takes 4 seconds unless cancelled',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async (_input, { extra }) => {
          ledger.slow.startedAt = performance.now()
          onSlowStart?.()
          const signal = extra?.signal
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 4000)
            signal?.addEventListener(
              'abort',
              () => {
                ledger.slow.cancelledAt = performance.now()
                onSlowCancel?.()
                clearTimeout(timer)
                resolve()
              },
              { once: true },
            )
          })
          ledger.slow.finished = ledger.slow.cancelledAt === undefined
          return 'done'
        },
      }),
      delete_note: createMCPTool({
        id: 'delete_note',
        description: 'Deletes a note',
        inputSchema: z.object({ id: z.string() }),
        annotations: { destructiveHint: true },
        execute: async ({ id }) => {
          ledger.deleted.push(id)
          return `deleted ${id}`
        },
      }),
      list_notes: createMCPTool({
        id: 'list_notes',
        description: 'Lists the notes',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async () => {
          ledger.listed += 1
          return 'note-1, note-2'
        },
      }),
    },
  })
  const host = await hostServer(server)
  return {
    host,
    ledger,
    slowStarted: () => slowStart,
    slowCancelled: () => slowCancel,
    reset() {
      ledger.deleted.length = 0
      ledger.listed = 0
      ledger.slow = { startedAt: undefined, cancelledAt: undefined, finished: false }
      slowStart = new Promise<void>((resolve) => {
        onSlowStart = resolve
      })
      slowCancel = new Promise<void>((resolve) => {
        onSlowCancel = resolve
      })
    },
  }
}
