// `pnpm demo` starts the demo and serves the page until Ctrl-C; `pnpm demo --scenario` runs
// the scripted multi-user session, prints its summary and exits 0 only if every check holds.
import { parseArgs } from 'node:util'
import type { LogMessage, ProtocolVersionOption } from '@mcpkit/types'
import { createDemo, DEFAULT_NOTES_PROTOCOL_VERSION } from './demo.js'
import { createScaledDemo } from './scaled-demo.js'
import { formatScenarioReport, runScenario } from './scenario.js'

const { values } = parseArgs({
  options: {
    scenario: { type: 'boolean', default: false },
    users: { type: 'string' },
    port: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'protocol-version': { type: 'string' },
    instances: { type: 'string' },
    'redis-url': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
})

if (values.help) {
  console.log(`Usage: pnpm demo [--port N] [--users N] [--protocol-version V] [--verbose]
       pnpm demo --instances N [--redis-url URL] [--port N] [--users N]
       pnpm demo --scenario [--users N]

  --port              port of the web page on 127.0.0.1 (default: PORT, else 3000; 0 = any free port)
  --users             demo users (default 5; scenario: 20)
  --protocol-version  era of the notes clients: auto, 2026-07-28 or legacy (default ${DEFAULT_NOTES_PROTOCOL_VERSION})
  --verbose           print every log line of the pool, clients and servers
  --instances         run N API instances behind a local round-robin proxy, their approvals
                      shared through Redis (approve on one a call that waits on another)
  --redis-url         Redis for --instances (default: REDIS_URL, else a redis-server started
                      for the demo on a free 127.0.0.1 port)
Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL, OPENAI_MODEL) to use a real model.`)
  process.exit(0)
}

const userCount = values.users === undefined ? undefined : Number(values.users)
const protocolVersion = values['protocol-version']
if (protocolVersion !== undefined && !['auto', '2026-07-28', 'legacy'].includes(protocolVersion)) {
  console.error(`--protocol-version must be auto, 2026-07-28 or legacy, not ${protocolVersion}`)
  process.exit(2)
}
const notesProtocolVersion = protocolVersion as ProtocolVersionOption | undefined

if (values.scenario) {
  const report = await runScenario({
    ...(userCount === undefined ? {} : { userCount }),
    progress: (line) => console.error(`scenario: ${line}`),
  })
  console.log(formatScenarioReport(report))
  process.exitCode = report.ok ? 0 : 1
} else if (values.instances !== undefined) {
  const instances = Number(values.instances)
  if (!Number.isInteger(instances) || instances < 1) {
    console.error(`--instances must be a positive integer, not ${values.instances}`)
    process.exit(2)
  }
  const verbose = values.verbose
  const redisUrl = values['redis-url'] ?? process.env.REDIS_URL
  const demo = await createScaledDemo({
    instances,
    port: Number(values.port ?? process.env.PORT ?? 3000),
    ...(redisUrl ? { redisUrl } : {}),
    ...(userCount === undefined ? {} : { userCount }),
    ...(notesProtocolVersion ? { notesProtocolVersion } : {}),
    logger: (message: LogMessage): void => {
      if (!verbose && (message.level === 'debug' || message.level === 'info')) return
      console.error(`[${message.level}] ${message.serverName}: ${message.message}`)
    },
  })
  console.log(`mcpkit demo, ${instances} instances behind ${demo.url} (Redis: ${demo.redisUrl})`)
  for (const [index, instance] of demo.instances.entries()) {
    console.log(`  instance ${index + 1}: ${instance.url}`)
  }
  console.log(`notes MCP server (Streamable HTTP): ${demo.notes.url}`)
  console.log('demo users (pick one in the page, or call the API with its token):')
  for (const user of demo.users.slice(0, 10)) console.log(`  ${user.name.padEnd(10)} ${user.token}`)
  console.log('Press Ctrl-C to stop.')
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    console.log('\nstopping…')
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} else {
  const verbose = values.verbose
  const logger = (message: LogMessage): void => {
    if (!verbose && (message.level === 'debug' || message.level === 'info')) return
    console.error(`[${message.level}] ${message.serverName}: ${message.message}`)
  }
  const requestedPort = values.port ?? process.env.PORT
  const start = (port: number) =>
    createDemo({
      port,
      ...(userCount === undefined ? {} : { userCount }),
      ...(notesProtocolVersion ? { notesProtocolVersion } : {}),
      logger,
    })
  const demo = await start(Number(requestedPort ?? 3000)).catch((error: unknown) => {
    // Port 3000 is only a default: take any free port rather than fail.
    if (requestedPort === undefined && (error as { code?: unknown }).code === 'EADDRINUSE') {
      return start(0)
    }
    throw error
  })
  console.log(`mcpkit demo running at ${demo.url}  (model: ${demo.provider.name})`)
  console.log(`notes MCP server (Streamable HTTP): ${demo.notes.url}`)
  console.log('demo users (pick one in the page, or call the API with its token):')
  for (const user of demo.users.slice(0, 10)) console.log(`  ${user.name.padEnd(10)} ${user.token}`)
  if (demo.users.length > 10) console.log(`  … and ${demo.users.length - 10} more (GET /api/users)`)
  console.log('Press Ctrl-C to stop.')

  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    console.log('\nstopping…')
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
