/**
 * The seeds' examples against mcpkit: every code example of the @mastra/mcp documentation in
 * /work/shared/seeds (002 MCPClient, 004 MCPServer, the MCP parts of the 000 guide) that does not
 * need Mastra's agent runtime lives in tests/seeds/examples/, importing `@mcpkit/mcp` instead of
 * `@mastra/mcp`, changed only where it must be (each change is commented `CHANGED:`). This test
 * type-checks them all with `strict` (tests/seeds/tsconfig.json), compiles them, and runs each
 * against real servers on 127.0.0.1: the seed world (tests/seeds/support/seed-world.ts) over
 * Streamable HTTP and legacy SSE, an OAuth-protected server with its authorization server
 * (oidc-provider), and a stdio server. Server examples are started as processes
 * and an MCPClient connects to them. What is skipped, and why, is in tests/seeds/README.md.
 *
 * Needs built packages. Run: `pnpm test:seeds`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, realpathSync } from 'node:fs'
import { cp, mkdir, symlink } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, run, temporaryDirectory } from '../packaging/support/workspace.js'
import { type OAuthStack, startOAuthStack } from '../support/oauth-e2e.js'
import { userAgent } from '../support/oidc-issuer.js'
import { killPids } from '../support/processes.js'
import { type SeedWorld, startSeedWorld } from './support/seed-world.js'

const SEEDS_DIR = join(REPO_ROOT, 'tests/seeds')
const STDIO_SERVER = join(SEEDS_DIR, 'fixtures/stock-price.mjs')
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
/** Files in examples/ that are helpers, not seed examples. */
const HELPERS = new Set(['check.mts', 'mastra-stand-ins.mts'])

interface ProgramExample {
  kind: 'program'
  /** Lines the program must print (besides `SEED OK <name>`). */
  prints?: string[]
  /** Answers typed when a prompt appears on stdout, in order. */
  answers?: { after: string; type: string }[]
  /**
   * The user at the browser: when the program prints `Please visit: <authorization URL>`, a
   * headless browser signs in there as `user` and, once the authorization server sends it to
   * `redirectUri` (the app's callback route, not fetched), types that callback URL.
   */
  signIn?: { user: string; redirectUri: string }
}
interface ServerExample {
  kind: 'stdio-server' | 'http-server'
  /** The MCP endpoint path for HTTP servers. */
  path?: '/mcp' | '/sse'
}
type Example = ProgramExample | ServerExample

const EXAMPLES: Record<string, Example> = {
  '002-approval-all': { kind: 'program', prints: ['was denied'] },
  '002-approval-function': { kind: 'program' },
  '002-tools-for-agents': { kind: 'program' },
  '002-resources': {
    kind: 'program',
    prints: [
      'Resources from myWeatherServer:',
      'Templates from myWeatherServer:',
      'Current weather: Sunny, 21 °C',
      'Resource updated on myWeatherServer: weather://current',
    ],
  },
  '002-elicitation': { kind: 'program', prints: ['Server requests: Please provide'] },
  '002-elicitation-interactive': {
    kind: 'program',
    answers: [
      { after: 'Full Name (Your full name) *required*: ', type: 'Ada Lovelace' },
      { after: 'Email Address *required*: ', type: 'ada@example.com' },
      { after: 'Submit this information? (yes/no/cancel): ', type: 'yes' },
    ],
    prints: ['📋 Server Request: Please provide your contact information'],
  },
  '002-elicitation-setup': { kind: 'program', prints: ['Server needs: Please provide'] },
  '002-prompts': { kind: 'program', prints: ['Prompts from myWeatherServer:'] },
  '002-progress': { kind: 'program', prints: ['📊 Progress: 3 / 3', 'Token: run-42'] },
  '002-oauth-provider': {
    kind: 'program',
    signIn: { user: 'seed-user', redirectUri: 'http://localhost:3000/oauth/callback' },
    prints: ['Please visit: '],
  },
  '002-simple-token': { kind: 'program', prints: ['your-access-token'] },
  '002-custom-storage': { kind: 'program' },
  '002-static-tools': {
    kind: 'program',
    prints: ['Weather data: Sunny, 21 °C', 'Weather prompt:'],
  },
  '002-dynamic-toolsets': { kind: 'program' },
  '002-instance-management': { kind: 'program', prints: ['giving each instance a unique `id`'] },
  '002-custom-fetch': { kind: 'program', prints: ['session=abc123'] },
  '002-sse-headers': { kind: 'program' },
  '004-constructor': { kind: 'program' },
  '004-start-stdio': { kind: 'stdio-server' },
  '004-start-sse': { kind: 'http-server', path: '/sse' },
  '004-start-http': { kind: 'http-server', path: '/mcp' },
  '004-resources': { kind: 'program' },
  '004-prompts': { kind: 'program' },
  '004-elicitation': { kind: 'program', prints: ['Request from session:'] },
  '004-auth-context': { kind: 'program' },
  '000-client-constructor': { kind: 'program' },
  '000-static-agent': { kind: 'program' },
  '000-dynamic-request': { kind: 'program' },
  '000-lru-pool': { kind: 'program' },
  '000-mcp-server': { kind: 'program' },
  '000-registries': { kind: 'program' },
  '000-sse-auth-split': { kind: 'program' },
}

let work: { path: string; remove(): Promise<void> }
let world: SeedWorld
let oauth: OAuthStack
let api: http.Server
let environment: NodeJS.ProcessEnv

/** A dependency as the workspace package at `fromDir` has it installed (pnpm links it there). */
function packageDir(name: string, fromDir: string): string {
  return realpathSync(join(fromDir, 'node_modules', name))
}

beforeAll(async () => {
  work = await temporaryDirectory('mcpkit-seeds')
  // The examples import @mcpkit/mcp as a user's project would: a node_modules entry pointing at
  // the built workspace package (whose own dependencies resolve from its directory).
  const modules = join(work.path, 'node_modules')
  await mkdir(join(modules, '@mcpkit'), { recursive: true })
  await mkdir(join(modules, '@types'), { recursive: true })
  await symlink(join(REPO_ROOT, 'packages/mcp'), join(modules, '@mcpkit/mcp'))
  await symlink(packageDir('zod', join(REPO_ROOT, 'tests')), join(modules, 'zod'))
  await symlink(
    packageDir('lru-cache', join(REPO_ROOT, 'packages/mcp-client-core')),
    join(modules, 'lru-cache'),
  )
  await symlink(join(REPO_ROOT, 'node_modules/@types/node'), join(modules, '@types/node'))
  await cp(join(SEEDS_DIR, 'examples'), join(work.path, 'examples'), { recursive: true })
  await cp(join(SEEDS_DIR, 'tsconfig.json'), join(work.path, 'tsconfig.json'))

  world = await startSeedWorld()
  // An OAuth-protected MCP server and its authorization server (oidc-provider, open dynamic
  // registration) for the OAuth examples.
  oauth = await startOAuthStack({ registration: true })
  api = http.createServer((req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? 'nobody'
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ records: `records of ${token}` }))
  })
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  environment = {
    ...process.env,
    SEED_HTTP_URL: world.host.mcpUrl.href,
    SEED_SSE_URL: world.host.sseUrl.href,
    SEED_OAUTH_URL: oauth.resource,
    SEED_STDIO_SERVER: STDIO_SERVER,
    SEED_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    WEATHER_API_KEY: 'weather-key-from-env',
    MCP_RUN_SSE_URL: world.host.sseUrl.href,
    AMPERSAND_API_KEY: 'amp-key',
    AMPERSAND_PROJECT_ID: 'amp-project',
    AMPERSAND_INTEGRATION_NAME: 'amp-integration',
    AMPERSAND_GROUP_REF: 'amp-group',
    PORT: '0',
  }
}, 60_000)

afterAll(async () => {
  await world?.close()
  await oauth?.close()
  await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()))
  await work?.remove()
})

it('lists every example in examples/', () => {
  const files = readdirSync(join(SEEDS_DIR, 'examples'))
    .filter((file) => file.endsWith('.mts') && !HELPERS.has(file))
    .map((file) => file.replace(/\.mts$/, ''))
  expect(files.sort()).toEqual(Object.keys(EXAMPLES).sort())
})

it('type-checks every example with strict and compiles it', async () => {
  const output = await run(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: work.path,
    timeoutMs: 120_000,
  }).catch((error: Error) => ({ stdout: error.message, stderr: '' }))
  expect(output.stdout.split('\n').filter((line) => /error TS\d+/.test(line))).toEqual([])
}, 150_000)

/** Runs a compiled example; resolves with its output once it exits 0. */
function runExample(name: string, example: ProgramExample): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(work.path, 'out', `${name}.mjs`)], {
      cwd: work.path,
      env: environment,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let output = ''
    const answers = [...(example.answers ?? [])]
    let answeredUpTo = 0
    let signedIn = false
    const onOutput = (text: string) => {
      output += text
      const visit = example.signIn && !signedIn && /Please visit: (\S+)/.exec(output)
      if (visit && example.signIn) {
        signedIn = true
        void userAgent(example.signIn.user)
          .authorize(visit[1]!, example.signIn.redirectUri)
          .then(
            (callback) => child.stdin.write(`${callback.href}\n`),
            (error: unknown) => {
              output += `\n[test] the sign-in failed: ${String(error)}\n`
              child.stdin.end()
            },
          )
      }
      const next = answers[0]
      const at = next ? output.indexOf(next.after, answeredUpTo) : -1
      if (next && at !== -1) {
        answers.shift()
        answeredUpTo = at + next.after.length
        child.stdin.write(`${next.type}\n`)
        onOutput('')
      }
    }
    child.stdout.setEncoding('utf8').on('data', onOutput)
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      output += text
    })
    const timer = setTimeout(() => {
      if (child.pid) void killPids([child.pid])
      reject(new Error(`${name} did not finish in 30 s. Output:\n${output}`))
    }, 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new Error(`${name} exited with ${code}. Output:\n${output}`))
    })
  })
}

/** Starts a server example; resolves with its pid and, for HTTP, the port it printed. */
function startServerExample(name: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(work.path, 'out', `${name}.mjs`)], {
      cwd: work.path,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const timer = setTimeout(
      () => reject(new Error(`${name} did not listen. Output:\n${output}`)),
      20_000,
    )
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      output += text
      const match = /SEED LISTENING (\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ child, port: Number(match[1]) })
      }
    })
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      output += text
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)))
  })
}

/** Lists the server's tools and calls its weather tool through an MCPClient. */
async function useWeatherServer(client: MCPClient, serverName: string): Promise<void> {
  try {
    const tools = await client.listTools()
    expect(Object.keys(tools)).toEqual([`${serverName}_getWeather`])
    const result = await tools[`${serverName}_getWeather`]?.execute({ location: 'Osaka' })
    expect(result).toMatchObject({
      content: [{ type: 'text', text: 'Weather in Osaka is sunny.' }],
    })
  } finally {
    await client.disconnect()
  }
}

describe.each(Object.entries(EXAMPLES))('%s', (name, example) => {
  it('runs against real servers', async () => {
    if (example.kind === 'program') {
      const output = await runExample(name, example)
      expect(output).toContain(`SEED OK ${name}`)
      for (const line of example.prints ?? []) expect(output).toContain(line)
      return
    }
    if (example.kind === 'stdio-server') {
      const client = new MCPClient({
        id: name,
        servers: {
          seed: {
            command: process.execPath,
            args: [join(work.path, 'out', `${name}.mjs`)],
            cwd: work.path,
          },
        },
      })
      await useWeatherServer(client, 'seed')
      return
    }
    const { child, port } = await startServerExample(name)
    try {
      const client = new MCPClient({
        id: name,
        servers: {
          seed: {
            url: new URL(`http://127.0.0.1:${port}${example.path}`),
            transport: example.path === '/sse' ? 'sse' : 'streamable-http',
          },
        },
      })
      await useWeatherServer(client, 'seed')
    } finally {
      if (child.pid) await killPids([child.pid])
    }
  })
})

it('sends requestInit headers on the legacy SSE stream too (seed 000, gotcha 2)', () => {
  const streams = world.seen.filter(
    (request) => request.method === 'GET' && request.path === '/sse',
  )
  expect(streams.some((request) => request.authorization === 'Bearer token')).toBe(true)
})
