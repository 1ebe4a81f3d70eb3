/**
 * What each client's own code costs per tool call, with the network and the server taken out.
 *
 *   pnpm --filter @mcpkit/bench bench:overhead
 *
 * Every client in this one process talks to `fetch`, which here is the SDK v2 server's web
 * handler (`createMcpHandler`, both eras): the handshake and the lists are served for real, and
 * once a tool has answered, its calls are answered by replaying that answer with the call's own
 * id, as a streamed body, the way fetch hands over one from the network. So the CPU time of a
 * call is the client's (its SDK, its transport, mcpkit's layers) plus the replay, which is the
 * same for every contender and measured alone (`replay` row) to be subtracted.
 *
 * Contenders take turns in blocks of BENCH_OVERHEAD_BLOCK calls (each round in a new order),
 * and each round's block of mcpkit is divided by the same round's block of raw v2: the table
 * shows the median of those paired ratios and its 95% bootstrap interval. `raw v2 (control)` is
 * a second raw v2 client, the noise floor of that ratio. The separate-process rows of
 * `bench:client` carry the network, the server and the machine's noise, ±10% per run here;
 * this run resolves a few microseconds.
 *
 * Over stdio the stand-in is a child process (`stdio-replay.mjs`, one per client): the SDK
 * server answers the handshake and the lists, and the child replays each tool's answer line
 * after that. Its CPU is not this process's, so a stdio figure is the client's own work and the
 * pipe's, with nothing to subtract.
 *
 * Knobs: BENCH_PIN=1 (this process on CPU 1, the stdio stand-ins on CPU 0, and short blocks:
 * 250 calls × 160 rounds), BENCH_QUICK=1, BENCH_OVERHEAD_ROUNDS, BENCH_OVERHEAD_BLOCK,
 * BENCH_OVERHEAD_TRANSPORTS (`http,stdio`), BENCH_JSON_OUT=path.
 */

import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { Client as ClientV2, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport as StdioClientTransportV1 } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server'
import { registerBenchTools } from '../bench-tools.mjs'
import { gitDescription, intEnv, packageVersion } from '../run-info.js'
import { formatMicros, gc, median, quantile, renderTable } from '../stats.js'

const quick = process.env.BENCH_QUICK === '1'
/**
 * Pinned, with every thread of this process on CPU 1 and the stdio stand-ins on CPU 0, a
 * paired ratio spreads over ±0.5–1% between runs with 250-call blocks, against ±2.5% unpinned
 * with the default 2,000-call blocks.
 */
const pin = process.env.BENCH_PIN === '1' && cpus().length >= 2 && pinTo(1)

/** Moves every thread of this process to `cpu`; `false` when `taskset` cannot. */
function pinTo(cpu: number): boolean {
  const args = ['-a', '-p', '-c', String(cpu), String(process.pid)]
  return spawnSync('taskset', args, { stdio: 'ignore' }).status === 0
}

const config = {
  rounds: intEnv('BENCH_OVERHEAD_ROUNDS', quick ? 8 : pin ? 160 : 20),
  /** Long enough that each block carries its share of garbage collections. */
  block: intEnv('BENCH_OVERHEAD_BLOCK', quick ? 500 : pin ? 250 : 2_000),
  warmupRounds: 2,
  transports: (process.env.BENCH_OVERHEAD_TRANSPORTS ?? 'http,stdio')
    .split(',')
    .filter((each): each is Transport => each === 'http' || each === 'stdio'),
}

// ---- the stand-in server -------------------------------------------------------------------------

const buildServer = () =>
  registerBenchTools(new McpServer({ name: 'bench-overhead', version: '1.0.0' }))

const handler = createMcpHandler(buildServer)
const encoder = new TextEncoder()
/** A recorded answer per tool and era (`mcp-protocol-version` header), its id replaced by `0`. */
const recorded = new Map<string, { status: number; headers: [string, string][]; text: string }>()
const ID_PLACEHOLDER = '"id":0'

/** One replayed answer, as fetch hands over a body from the network: a byte stream. */
function replay(answer: { status: number; headers: [string, string][]; text: string }, id: number) {
  const bytes = encoder.encode(answer.text.replace(ID_PLACEHOLDER, `"id":${id}`))
  const body = new ReadableStream<Uint8Array>({
    type: 'bytes',
    start(controller) {
      controller.enqueue(bytes)
      controller.close()
    },
  })
  return new Response(body, { status: answer.status, headers: answer.headers })
}

interface Sent {
  method?: string
  id?: number
  params?: { name?: string }
}

async function standIn(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const sent = typeof init?.body === 'string' ? (JSON.parse(init.body) as Sent | Sent[]) : undefined
  if (sent && !Array.isArray(sent) && sent.method === 'tools/call' && sent.id !== undefined) {
    const version = new Headers(init?.headers).get('mcp-protocol-version') ?? 'none'
    const key = `${sent.params?.name} ${version}`
    const answer = recorded.get(key)
    if (answer) return replay(answer, sent.id)
    const response = await handler.fetch(new Request(input, init))
    const text = await response.text()
    const at = `"id":${sent.id}`
    if (text.includes(at)) {
      recorded.set(key, {
        status: response.status,
        headers: [...response.headers],
        text: text.replace(at, ID_PLACEHOLDER),
      })
    }
    return new Response(text, { status: response.status, headers: response.headers })
  }
  return handler.fetch(new Request(input, init))
}
globalThis.fetch = standIn as typeof fetch

// ---- contenders --------------------------------------------------------------------------------

type Era = 'legacy' | 'modern'
type Tool = 'echo' | 'add'
type Transport = 'http' | 'stdio'
type Call = () => Promise<unknown>
const url = new URL('http://127.0.0.1:9/mcp')
/** The stand-in stdio server: the same `node` as this process, no TypeScript loader. */
const replayScript = fileURLToPath(new URL('./stdio-replay.mjs', import.meta.url))
const replayServer = pin
  ? { command: 'taskset', args: ['-c', '0', process.execPath, replayScript] }
  : { command: process.execPath, args: [replayScript] }
const argumentsOf = (tool: Tool) =>
  tool === 'add' ? { a: 1, b: 2 } : ({ message: 'hello' } as Record<string, unknown>)

async function rawV2(
  era: Era,
  tool: Tool,
  transport: Transport,
): Promise<{ call: Call; close(): Promise<void> }> {
  const mode = era === 'modern' ? { pin: '2026-07-28' as const } : ('legacy' as const)
  const client = new ClientV2(
    { name: 'raw-v2', version: '1.0.0' },
    { versionNegotiation: { mode } },
  )
  await client.connect(
    transport === 'stdio'
      ? new StdioClientTransport({ ...replayServer, stderr: 'ignore' })
      : new StreamableHTTPClientTransport(url),
  )
  await client.listTools()
  const args = argumentsOf(tool)
  return {
    call: () => client.callTool({ name: tool, arguments: args }),
    close: () => client.close(),
  }
}

async function rawV1(
  tool: Tool,
  transport: Transport,
): Promise<{ call: Call; close(): Promise<void> }> {
  const client = new ClientV1({ name: 'raw-v1', version: '1.0.0' })
  await client.connect(
    transport === 'stdio'
      ? new StdioClientTransportV1({ ...replayServer, stderr: 'ignore' })
      : new StreamableHTTPClientTransportV1(url),
  )
  await client.listTools()
  const args = argumentsOf(tool)
  return {
    call: () => client.callTool({ name: tool, arguments: args }),
    close: () => client.close(),
  }
}

let clients = 0
async function mcpkit(
  era: Era,
  tool: Tool,
  transport: Transport,
): Promise<{ call: Call; close(): Promise<void> }> {
  const protocolVersion = era === 'modern' ? '2026-07-28' : 'legacy'
  const client = new MCPClient({
    id: `overhead-${++clients}`,
    servers: {
      bench:
        transport === 'stdio'
          ? { ...replayServer, stderr: 'ignore' as const, protocolVersion }
          : { url, protocolVersion },
    },
  })
  const found = (await client.listToolsets()).bench?.[tool]
  if (!found) throw new Error(`mcpkit: listToolsets() has no bench.${tool}`)
  const args = argumentsOf(tool)
  return { call: () => found.execute(args), close: () => client.disconnect() }
}

/** The replay alone: what every contender's figure includes, measured on its own. */
async function replayOnly(era: Era, tool: Tool): Promise<{ call: Call; close(): Promise<void> }> {
  const modern = `${tool} 2026-07-28`
  const [key, answer] =
    [...recorded].find(([each]) =>
      era === 'modern' ? each === modern : each.startsWith(`${tool} `) && each !== modern,
    ) ?? []
  if (!key || !answer) throw new Error(`no recorded answer for ${tool} (${era})`)
  const version = key.slice(tool.length + 1)
  const headers = { 'content-type': 'application/json', 'mcp-protocol-version': version }
  let id = 0
  return {
    call: async () => {
      const body = JSON.stringify({ method: 'tools/call', params: { name: tool }, id: ++id })
      const response = replay(answer, id)
      JSON.parse(body)
      new Headers(headers).get('mcp-protocol-version')
      await response.text()
    },
    close: async () => {},
  }
}

// ---- measuring ---------------------------------------------------------------------------------

/** CPU microseconds per call of one block. */
async function block(call: Call): Promise<number> {
  const before = process.cpuUsage()
  for (let index = 0; index < config.block; index++) await call()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / config.block
}

/** The 95% bootstrap interval of the median of `ratios` (fixed seed: the same run, the same table). */
function bootstrap(ratios: readonly number[]): [number, number] {
  let seed = 0x9e3779b9
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  const medians: number[] = []
  for (let index = 0; index < 2000; index++) {
    const sample = ratios.map(() => ratios[Math.floor(random() * ratios.length)] as number)
    medians.push(median(sample))
  }
  return [quantile(medians, 0.025), quantile(medians, 0.975)]
}

interface Row {
  era: Era
  transport: Transport
  tool: Tool
  contender: string
  microsPerCall: number
  clientMicros: number
  ratio: number | undefined
  interval: [number, number] | undefined
}

async function measure(era: Era, transport: Transport, tool: Tool): Promise<Row[]> {
  const contenders: [string, { call: Call; close(): Promise<void> }][] = [
    ['raw v2', await rawV2(era, tool, transport)],
    ['raw v2 (control)', await rawV2(era, tool, transport)],
    ['mcpkit', await mcpkit(era, tool, transport)],
  ]
  if (era === 'legacy') contenders.push(['raw v1', await rawV1(tool, transport)])
  // Every contender's first call records or replays: the replay row needs a recorded answer.
  for (const [, contender] of contenders) await contender.call()
  // Over stdio the replay runs in each client's child process: nothing to subtract here.
  if (transport === 'http') contenders.push(['replay', await replayOnly(era, tool)])
  const samples = new Map<string, number[]>(contenders.map(([name]) => [name, []]))
  gc()
  for (let round = -config.warmupRounds; round < config.rounds; round++) {
    const shift = ((round % contenders.length) + contenders.length) % contenders.length
    const order = [...contenders.slice(shift), ...contenders.slice(0, shift)]
    for (const [name, contender] of order) {
      const micros = await block(contender.call)
      if (round >= 0) samples.get(name)?.push(micros)
    }
  }
  for (const [, contender] of contenders) await contender.close()
  const replayed = samples.get('replay') ?? []
  const base = samples.get('raw v2') ?? []
  /** A round's client-only figure: its block minus the same round's replay block. */
  const clientOnly = (values: readonly number[]) =>
    values.map((value, round) => value - (replayed[round] ?? 0))
  const baseClient = clientOnly(base)
  return contenders.map(([name]) => {
    const values = samples.get(name) ?? []
    const client = clientOnly(values)
    const paired =
      name === 'raw v2' || name === 'replay'
        ? undefined
        : client.map((value, round) => value / (baseClient[round] as number))
    const ratio = paired ? median(paired) : undefined
    return {
      era,
      transport,
      tool,
      contender: name,
      microsPerCall: median(values),
      clientMicros: name === 'replay' ? median(values) : median(client),
      ratio,
      interval: paired ? bootstrap(paired) : undefined,
    }
  })
}

async function main(): Promise<void> {
  const startedMs = performance.now()
  const loadAtStart = loadavg()[0] ?? 0
  const watchdog = setTimeout(() => {
    console.error('bench:overhead: gave up after 10 minutes')
    process.exit(2)
  }, 10 * 60_000)
  console.log('mcpkit bench: client CPU per tool call, network and server taken out')
  console.log(`  node         ${process.version}`)
  console.log(`  commit       ${gitDescription()}`)
  console.log(
    `  peers        @modelcontextprotocol/client ${packageVersion('@modelcontextprotocol/client')}, @modelcontextprotocol/sdk ${packageVersion('@modelcontextprotocol/sdk')} (raw v1, 2025 era only)`,
  )
  console.log(
    `  cpu pinning  ${pin ? 'this process on CPU 1, stdio stand-ins on CPU 0 (taskset)' : 'off (BENCH_PIN=1 turns it on)'}`,
  )
  console.log(
    `  rounds       ${config.rounds} (+${config.warmupRounds} warm-up) of ${config.block} sequential calls per contender, order rotated each round`,
  )
  const rows: Row[] = []
  for (const era of ['modern', 'legacy'] as const) {
    for (const transport of config.transports) {
      for (const tool of ['echo', 'add'] as const)
        rows.push(...(await measure(era, transport, tool)))
    }
  }
  const times = (value: number) => `${value.toFixed(3)}×`
  const table: string[][] = [
    [
      'era',
      'transport',
      'tool',
      'contender',
      'CPU/call',
      'client CPU/call (minus replay)',
      'vs raw v2 (paired median)',
      '95% interval',
    ],
  ]
  for (const row of rows) {
    table.push([
      row.era === 'modern' ? '2026-07-28' : '2025',
      row.transport === 'stdio' ? 'stdio' : 'HTTP',
      row.tool === 'add' ? 'add (outputSchema)' : 'echo',
      row.contender,
      formatMicros(row.microsPerCall),
      row.contender === 'replay' ? '—' : formatMicros(row.clientMicros),
      row.ratio === undefined ? '—' : times(row.ratio),
      row.interval ? `${times(row.interval[0])}–${times(row.interval[1])}` : '—',
    ])
  }
  console.log('')
  console.log(renderTable(table))
  console.log('')
  console.log(
    "Ratios above 1 cost more than raw v2. Not a target: the tool-call targets are bench:client's, over real transports; this run says how much of a gap there is mcpkit's own code.",
  )
  console.log(
    `total ${((performance.now() - startedMs) / 1000).toFixed(1)} s; load avg (1 min) ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`,
  )
  if (process.env.BENCH_JSON_OUT) {
    writeFileSync(process.env.BENCH_JSON_OUT, `${JSON.stringify({ config, rows }, null, 2)}\n`)
  }
  clearTimeout(watchdog)
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
