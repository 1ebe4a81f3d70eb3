/**
 * The MCP conformance suite's client under test: one script for every scenario, built on
 * `MCPClient`. The conformance CLI starts it as `<command> <server-url>` with the scenario
 * name in `MCP_CONFORMANCE_SCENARIO` (and scenario data, such as pre-registered OAuth
 * credentials, in `MCP_CONFORMANCE_CONTEXT`).
 *
 * It prints `mcpkit-conformance-client: ok <scenario>` when the scenario went as expected and
 * the process then ended by itself; `run.mjs` counts a scenario without that line as failed,
 * so an exception or a handle left open after `disconnect()` is not hidden by checks that
 * happened to pass.
 */
import { MCPClient } from '@mcpkit/mcp-client-core'
import { MCPOAuthClientProvider } from '@mcpkit/oauth'
import type { HttpServerDefinition } from '@mcpkit/types'

const SERVER = 'conformance'
const OK_MARKER = 'mcpkit-conformance-client: ok'
/** A process still alive this long after `disconnect()` has leaked a handle. */
const EXIT_GRACE_MS = 5000
/** The redirect URI we register; nothing listens there, we read the code off the redirect. */
const REDIRECT_URL = 'http://localhost:3000/callback'
/** The URL the suite's authorization servers accept as a CIMD client id (SEP-991). */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json'
/** At most this many browser round trips per run (the suite's limit for scope retries is 3). */
const MAX_AUTHORIZATIONS = 3

const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? ''
const serverUrl = process.argv[2] ?? ''

const startedAt = performance.now()

function log(...parts: unknown[]): void {
  console.error(`[client +${Math.round(performance.now() - startedAt)}ms]`, ...parts)
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const cause = error.cause instanceof Error ? ` <- ${describeError(error.cause)}` : ''
  return `${error.name}${code === undefined ? '' : `[${String(code)}]`}: ${error.message}${cause}`
}

type ServerOptions = Omit<HttpServerDefinition, 'url'>

function createClient(options: ServerOptions = {}): MCPClient {
  return new MCPClient({
    id: `conformance-${scenario}`,
    timeout: 20_000,
    logger: (message) => log(`${message.level}:`, message.message, message.details ?? ''),
    servers: { [SERVER]: { url: new URL(serverUrl), ...options } },
  })
}

/** The tools of our one server; a connection or listing failure is thrown, not swallowed. */
async function listServerTools(client: MCPClient) {
  const { toolsets, errors } = await client.listToolsetsWithErrors()
  const error = errors[SERVER]
  if (error) throw error
  const tools = toolsets[SERVER]
  if (!tools) throw new Error(`listToolsetsWithErrors() has no entry for "${SERVER}"`)
  log('tools:', Object.keys(tools).join(', ') || '(none)')
  return tools
}

async function callTool(client: MCPClient, name: string, args: Record<string, unknown>) {
  const tools = await listServerTools(client)
  const tool = tools[name]
  if (!tool) throw new Error(`Tool "${name}" is not listed; got ${Object.keys(tools).join(', ')}`)
  const result = await tool.execute(args)
  log(`${name} ->`, JSON.stringify(result))
  return result
}

/** The text of a `CallToolResult` (what `execute` returns when there is no structured content). */
function resultText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] } | null)?.content
  return (content ?? []).map((part) => part.text ?? '').join('')
}

function expectText(result: unknown, expected: string): void {
  const text = resultText(result)
  if (!text.includes(expected)) {
    throw new Error(
      `Expected the tool result to contain "${expected}", got ${JSON.stringify(result)}`,
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios without authorization

async function initialize(client: MCPClient): Promise<void> {
  await listServerTools(client)
}

async function toolsCall(client: MCPClient): Promise<void> {
  expectText(await callTool(client, 'add_numbers', { a: 5, b: 3 }), 'The sum of 5 and 3 is 8')
}

/** SEP-1034: the client fills in the schema's defaults for fields the user left out. */
async function elicitationDefaults(client: MCPClient): Promise<void> {
  client.elicitation.onRequest(SERVER, async (request) => {
    log('elicitation request:', JSON.stringify(request))
    return { action: 'accept', content: {} }
  })
  expectText(
    await callTool(client, 'test_client_elicitation_defaults', {}),
    'Elicitation completed',
  )
}

/**
 * Waits until this process's timers fire on time. The suite starts all its clients at once, and
 * on two cores that burst alone delays a 500 ms timer by 400 ms, while `sse-retry` allows 200.
 */
async function waitForIdleCpu(limitMs = 15_000): Promise<void> {
  const started = performance.now()
  for (let onTime = 0; onTime < 10 && performance.now() - started < limitMs; ) {
    const before = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 50))
    onTime = performance.now() - before < 60 ? onTime + 1 : 0
  }
  log(`waited ${Math.round(performance.now() - started)} ms for the other clients to settle`)
}

/** SEP-1699: the server closes the call's SSE stream; the client resumes it after `retry` ms. */
async function sseRetry(client: MCPClient): Promise<void> {
  await waitForIdleCpu()
  expectText(
    await callTool(client, 'test_reconnection', {}),
    'Reconnection test completed successfully',
  )
}

// ---------------------------------------------------------------------------------------------
// Authorization scenarios

/**
 * `MCPOAuthClientProvider` for a headless run: the suite's authorization servers approve at
 * once and redirect to our `redirect_uri` with the code, so "the browser" is one fetch that
 * reads the callback URL off the redirect. The app then finishes the flow with
 * `finishAuthorization(callbackUrl)` (which checks `state`), as a real app does from its
 * callback route.
 */
function headlessProvider(preRegistered?: { client_id: string; client_secret: string }) {
  let authorizations = 0
  const flow = { pendingCallback: undefined as string | undefined }
  const provider = new MCPOAuthClientProvider({
    serverUrl,
    redirectUrl: REDIRECT_URL,
    clientMetadata: { client_name: 'mcpkit-conformance-client', redirect_uris: [REDIRECT_URL] },
    clientMetadataUrl: CLIENT_METADATA_URL,
    ...(preRegistered
      ? { clientInformation: { ...preRegistered, redirect_uris: [REDIRECT_URL] } }
      : {}),
    onRedirectToAuthorization: async (authorizationUrl) => {
      authorizations += 1
      if (authorizations > MAX_AUTHORIZATIONS) {
        throw new Error(`Giving up after ${MAX_AUTHORIZATIONS} authorization attempts`)
      }
      const response = await fetch(authorizationUrl, { redirect: 'manual' })
      await response.body?.cancel()
      const location = response.headers.get('location')
      if (!location || !new URL(location).searchParams.has('code')) {
        throw new Error(`Authorization endpoint answered ${response.status} without a code`)
      }
      log(
        `authorization #${authorizations}: got a code`,
        `(scope=${authorizationUrl.searchParams.get('scope') ?? 'none'})`,
      )
      flow.pendingCallback = location
    },
  })
  return { provider, flow }
}

/**
 * Runs `operation`; when it failed because the server asked for authorization (the provider
 * was sent to the authorization endpoint), finishes the authorization as the app's callback
 * route would and runs it again. Bounded by the hook's limit on authorizations.
 */
async function withAuthorization<T>(
  { provider, flow }: ReturnType<typeof headlessProvider>,
  label: string,
  operation: () => Promise<T>,
): Promise<T> {
  for (;;) {
    try {
      return await operation()
    } catch (error) {
      const callback = flow.pendingCallback
      if (callback === undefined) throw error
      flow.pendingCallback = undefined
      log(`${label} needs authorization (${describeError(error)}); finishing it`)
      await provider.finishAuthorization(callback)
    }
  }
}

function preRegisteredCredentials(): { client_id: string; client_secret: string } | undefined {
  if (scenario !== 'auth/pre-registration') return undefined
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as {
    client_id?: string
    client_secret?: string
  }
  if (!context.client_id || !context.client_secret) {
    throw new Error('MCP_CONFORMANCE_CONTEXT lacks client_id/client_secret')
  }
  return { client_id: context.client_id, client_secret: context.client_secret }
}

async function authorizedSession(): Promise<void> {
  const headless = headlessProvider(preRegisteredCredentials())
  const client = createClient({ authProvider: headless.provider })
  try {
    await withAuthorization(headless, 'listing tools', () => listServerTools(client))
    const result = await withAuthorization(headless, 'calling test-tool', () =>
      callTool(client, 'test-tool', {}),
    )
    expectText(result, 'test')
  } finally {
    await client.disconnect()
  }
}

/** The server never grants the scope it asks for: the client must give up, not loop. */
async function scopeRetryLimit(): Promise<void> {
  try {
    await authorizedSession()
  } catch (error) {
    log('gave up as expected:', describeError(error))
    return
  }
  throw new Error('The session succeeded although the server never grants the scope it asks for')
}

// ---------------------------------------------------------------------------------------------

const plainScenarios: Record<
  string,
  { run: (client: MCPClient) => Promise<void>; options?: ServerOptions }
> = {
  initialize: { run: initialize },
  tools_call: { run: toolsCall },
  'elicitation-sep1034-client-defaults': {
    run: elicitationDefaults,
    // The SDK fills in defaults only when the client announces `elicitation.form.applyDefaults`.
    options: { capabilities: { elicitation: { form: { applyDefaults: true } } } },
  },
  'sse-retry': { run: sseRetry },
}

const authScenarios: Record<string, () => Promise<void>> = {
  'auth/scope-retry-limit': scopeRetryLimit,
}
for (const name of [
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
]) {
  authScenarios[name] = authorizedSession
}

async function main(): Promise<void> {
  if (!serverUrl) throw new Error('Usage: MCP_CONFORMANCE_SCENARIO=<name> client.ts <server-url>')
  log(`scenario ${scenario} against ${serverUrl}`)
  const plain = plainScenarios[scenario]
  if (plain) {
    const client = createClient(plain.options)
    try {
      await plain.run(client)
    } finally {
      await client.disconnect()
    }
    return
  }
  const authorized = authScenarios[scenario]
  if (authorized) return authorized()
  const known = [...Object.keys(plainScenarios), ...Object.keys(authScenarios)]
  throw new Error(`Unknown scenario "${scenario}"; this client handles: ${known.join(', ')}`)
}

main().then(
  () => {
    // Exit by ourselves: a process that stays up has a socket, timer or child left open.
    process.on('exit', (code) => {
      if (code === 0) console.log(`${OK_MARKER} ${scenario}`)
    })
    setTimeout(() => {
      log(
        `still running ${EXIT_GRACE_MS} ms after disconnect(); open resources:`,
        process.getActiveResourcesInfo(),
      )
      process.exit(3)
    }, EXIT_GRACE_MS).unref()
  },
  (error: unknown) => {
    log('FAILED:', describeError(error))
    if (error instanceof Error && error.stack) log(error.stack)
    process.exit(1)
  },
)
