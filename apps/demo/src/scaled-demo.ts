import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { RedisApprovalStore, RedisConnection } from '@mcpkit/redis'
import type { LogHandler, ProtocolVersionOption } from '@mcpkit/types'
import type { ModelProvider } from './agent.js'
import { createDemo, type Demo } from './demo.js'
import { type NotesService, startNotesService } from './notes-service.js'
import { type RoundRobinProxy, startRoundRobinProxy } from './round-robin-proxy.js'
import { type DemoUser, demoUserNames, UserDirectory } from './users.js'

/** Options of `createScaledDemo`. */
export interface ScaledDemoOptions {
  /** How many API instances behind the proxy. Default 2. */
  instances?: number
  /** Redis to use; default: a `redis-server` started for the demo on a free 127.0.0.1 port. */
  redisUrl?: string
  /** Port of the proxy (the page) on 127.0.0.1. Default 0. */
  port?: number
  userCount?: number
  notesProtocolVersion?: ProtocolVersionOption
  logger?: LogHandler
  /** The model behind every instance's agent (as `createDemo`'s `provider`). */
  provider?: ModelProvider
}

/** The demo scaled out: API instances sharing Redis, behind a round-robin proxy. */
export interface ScaledDemo {
  /** The page, through the proxy. */
  readonly url: string
  readonly users: readonly DemoUser[]
  readonly instances: readonly Demo[]
  readonly notes: NotesService
  readonly proxy: RoundRobinProxy
  /** Where Redis is (given, or the one the demo started). */
  readonly redisUrl: string
  close(): Promise<void>
}

/**
 * `pnpm demo --instances 2`: one notes service, `instances` API instances (each its own
 * process-like unit: pool, approval queue, utilities child) whose approval queues share a
 * `RedisApprovalStore`, behind `startRoundRobinProxy`. A chat waiting for approval on one
 * instance is released by an approve that the proxy sends to another.
 */
export async function createScaledDemo(options: ScaledDemoOptions = {}): Promise<ScaledDemo> {
  const count = options.instances ?? 2
  const cleanups: (() => Promise<unknown>)[] = []
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
  }
  try {
    let redisUrl = options.redisUrl
    if (!redisUrl) {
      const local = await startLocalRedis()
      cleanups.push(() => local.stop())
      redisUrl = local.url
    }
    const connection = new RedisConnection({
      url: redisUrl,
      keyPrefix: `mcpkit-demo:${randomBytes(4).toString('hex')}:`,
      log: (level, message) =>
        options.logger?.({ level, message, timestamp: new Date(), serverName: 'redis' }),
    })
    cleanups.push(() => connection.close())
    const directory = new UserDirectory(demoUserNames(options.userCount ?? 5))
    const notes = await startNotesService({
      userForToken: (token) => directory.byToken(token)?.name,
    })
    cleanups.push(() => notes.close())
    const instances: Demo[] = []
    for (let index = 0; index < count; index++) {
      const demo = await createDemo({
        directory,
        notes,
        approvalStore: new RedisApprovalStore({ connection }),
        ...(options.provider ? { provider: options.provider } : {}),
        ...(options.notesProtocolVersion
          ? { notesProtocolVersion: options.notesProtocolVersion }
          : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      })
      cleanups.push(() => demo.close())
      instances.push(demo)
    }
    const proxy = await startRoundRobinProxy({
      upstreams: instances.map((demo) => new URL(demo.url).origin),
      port: options.port ?? 0,
    })
    cleanups.push(() => proxy.close())
    let closing: Promise<void> | undefined
    return {
      url: proxy.url.href,
      users: directory.users,
      instances,
      notes,
      proxy,
      redisUrl,
      close: () => {
        closing ??= closeAll()
        return closing
      },
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** A `redis-server` child on a free 127.0.0.1 port, without persistence; stopped by pid. */
async function startLocalRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      10_000,
    )
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(
        new Error(
          `could not start redis-server (${error.message}); install it (apt-get install redis-server) or pass --redis-url`,
        ),
      )
    })
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (text: string) => {
      output += text
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM')
      await exited
    },
  }
}
