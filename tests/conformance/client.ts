/**
 * The MCP conformance suite's client under test: one script for every scenario, built on
 * `MCPClient`. The conformance CLI starts it as `<command> <server-url>` with the scenario
 * name in `MCP_CONFORMANCE_SCENARIO` (and scenario data, such as pre-registered OAuth
 * credentials, in `MCP_CONFORMANCE_CONTEXT`). `MCPKIT_CONFORMANCE_AUTH_FLOW=authenticate`
 * makes `MCPClient.authenticate()` the first call of the authorization scenarios (see
 * `AUTH_FLOW`); `run.mjs` runs them both ways.
 *
 * It prints `mcpkit-conformance-client: ok <scenario>` when the scenario went as expected and
 * the process then ended by itself; `run.mjs` counts a scenario without that line as failed,
 * so an exception or a handle left open after `disconnect()` is not hidden by checks that
 * happened to pass.
 */
import { InsufficientScopeClientError, isMCPKitError, MCPClient } from '@mcpkit/mcp-client-core'
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

/**
 * SEP-2575: every request carries the `_meta` envelope and `MCP-Protocol-Version`, and a first
 * version the server rejects (-32022) is retried with one it supports (the era probe's
 * corrective step). The client declares roots, sampling and elicitation so their declarations
 * are checked too. The mock answers what follows the probe loosely: a listing error is logged.
 */
async function requestMetadata(client: MCPClient): Promise<void> {
  client.sampling.onRequest(SERVER, async () => ({
    model: 'none',
    role: 'assistant',
    content: { type: 'text', text: '' },
  }))
  const { errors } = await client.listToolsWithErrors()
  if (errors[SERVER]) log('listing after the probe:', describeError(errors[SERVER]))
  const version = client.getServerProtocolVersions()[SERVER]
  log('negotiated', version)
  if (errors[SERVER] && version === undefined) throw errors[SERVER]
}

/** The tool calls a scenario asks for, in `MCP_CONFORMANCE_CONTEXT.toolCalls`. */
function contextToolCalls(): { name: string; arguments: Record<string, unknown> }[] {
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as {
    toolCalls?: { name: string; arguments: Record<string, unknown> }[]
  }
  return context.toolCalls ?? []
}

/**
 * SEP-2243: arguments a tool's `inputSchema` marks with `x-mcp-header` are mirrored into
 * `Mcp-Param-*` headers. A `null` in the scenario's arguments stands for "not provided" (the
 * header must be left out); the tool's schema does not allow `null`, and MCPClient validates
 * arguments before sending, so such a key is left out of the call, as an app would.
 */
async function customHeaders(client: MCPClient): Promise<void> {
  const tools = await listServerTools(client)
  for (const call of contextToolCalls()) {
    const tool = tools[call.name]
    if (!tool) throw new Error(`Tool "${call.name}" is not listed`)
    const args = Object.fromEntries(
      Object.entries(call.arguments).filter(([, value]) => value !== null),
    )
    log(`${call.name} ->`, JSON.stringify(await tool.execute(args)))
  }
}

/**
 * SEP-2243: tools whose `x-mcp-header` declarations break the rules are left out of the list (by
 * the SDK, on the 2026-07-28 era over HTTP); the valid one is still called.
 */
async function invalidToolHeaders(client: MCPClient): Promise<void> {
  const tools = await listServerTools(client)
  for (const tool of Object.values(tools)) await tool.execute({ region: 'us-west1' })
}

/** SEP-2243: `Mcp-Method` on every POST, `Mcp-Name` on calls, reads and gets. */
async function standardHeaders(client: MCPClient): Promise<void> {
  const tools = Object.values(await listServerTools(client))
  if (tools[0]) await tools[0].execute({})
  const resource = (await client.resources.list())[SERVER]?.[0]
  if (resource) await client.resources.read(SERVER, resource.uri)
  const prompt = (await client.prompts.list())[SERVER]?.[0]
  if (prompt) await client.prompts.get({ serverName: SERVER, name: prompt.name, args: {} })
}

/**
 * SEP-2322: `input_required` results are answered by `elicitation.onRequest` and the call
 * retried with a byte-exact `requestState` (only when there was one), on a fresh request id,
 * without leaking into unrelated calls; a result without `resultType` is not retried.
 */
async function requestState(client: MCPClient): Promise<void> {
  client.elicitation.onRequest(SERVER, async (request) => {
    log('elicitation request:', JSON.stringify(request))
    return { action: 'accept', content: { confirmed: true } }
  })
  const tools = await listServerTools(client)
  for (const name of ['test_mrtr_echo_state', 'test_mrtr_no_state', 'test_mrtr_unrelated']) {
    const tool = tools[name]
    if (!tool) throw new Error(`Tool "${name}" is not listed`)
    log(`${name} ->`, JSON.stringify(await tool.execute({})))
  }
  try {
    log('no result type ->', JSON.stringify(await tools.test_mrtr_no_result_type?.execute({})))
  } catch (error) {
    // A 2026-07-28 result must say its type: the SDK refuses it, without retrying.
    log('test_mrtr_no_result_type refused:', describeError(error))
  }
}

/** SEP-2106: a network `$ref` in a tool's input schema is never fetched (nor on first use). */
async function refNoDereference(client: MCPClient): Promise<void> {
  const tools = await listServerTools(client)
  for (const tool of Object.values(tools)) {
    void tool.inputZodSchema
    await tool.approval.required({})
  }
}

/**
 * The mock servers of the SEP-2243 and SEP-2322 scenarios implement neither `server/discover`
 * nor a usable `initialize`, although the scenarios are 2026-07-28 ones: the probe is answered
 * here, as the SDK's own conformance client does, and everything else goes to the mock.
 */
function answeringDiscover(): ServerOptions {
  return {
    protocolVersion: '2026-07-28',
    fetch: async (url, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"server/discover"')) {
        const { id } = JSON.parse(init.body) as { id: unknown }
        return Response.json({
          jsonrpc: '2.0',
          id,
          result: {
            resultType: 'complete',
            supportedVersions: ['2026-07-28'],
            capabilities: { tools: {}, resources: {}, prompts: {} },
            ttlMs: 0,
            cacheScope: 'private',
            _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'mock', version: '1.0.0' } },
          },
        })
      }
      return fetch(url, init)
    },
  }
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
 * How an authorization scenario starts (`MCPKIT_CONFORMANCE_AUTH_FLOW`):
 * - `request` (default): the first request gets the server's 401 and the transport starts the
 *   flow, as in a web app: the provider's hook gets the authorization URL, the call fails, the
 *   app's callback route finishes the authorization, the call is made again;
 * - `authenticate`: `MCPClient.authenticate()` is the first call, as in a command-line program:
 *   it reads the server's challenge itself, and the browser comes back to a loopback server.
 */
const AUTH_FLOW =
  process.env.MCPKIT_CONFORMANCE_AUTH_FLOW === 'authenticate' ? 'authenticate' : 'request'

/** Within the suite's 30 s per scenario, on a machine running every scenario at once. */
const AUTHENTICATE_TIMEOUT_MS = 25_000

/** The loopback redirect of a command-line program: `authenticate()` picks the port. */
const LOOPBACK_REDIRECT_URL = 'http://127.0.0.1/callback'

/**
 * "The browser": the suite's authorization servers approve at once and redirect to the
 * `redirect_uri` with the code (or an error), so one fetch reads the callback URL.
 */
async function approve(authorizationUrl: URL): Promise<string> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' })
  await response.body?.cancel()
  const location = response.headers.get('location')
  if (!location)
    throw new Error(`Authorization endpoint answered ${response.status} without a redirect`)
  const callback = new URL(location)
  if (!callback.searchParams.has('code') && !callback.searchParams.has('error')) {
    throw new Error(`Authorization endpoint redirected without a code: ${location}`)
  }
  return location
}

/**
 * `MCPOAuthClientProvider` as the flow in use has it, with the seed's options (no `serverUrl`:
 * the server definition gives it). In `request` mode the app's callback route is simulated:
 * the hook keeps the callback URL, `withAuthorization` hands it to `finishAuthorization()`
 * (which checks `state`). In `authenticate` mode the hook drives the browser to the loopback
 * server `authenticate()` listens on (a redirect URL without a port is the transport's own
 * flow, which a command-line program answers by running `authenticate()` again).
 */
function conformanceProvider(preRegistered?: { client_id: string; client_secret: string }) {
  let authorizations = 0
  const flow = { pendingCallback: undefined as string | undefined }
  const redirectUrl = AUTH_FLOW === 'authenticate' ? LOOPBACK_REDIRECT_URL : REDIRECT_URL
  const provider = new MCPOAuthClientProvider({
    redirectUrl,
    clientMetadata: { client_name: 'mcpkit-conformance-client', redirect_uris: [redirectUrl] },
    clientMetadataUrl: CLIENT_METADATA_URL,
    ...(preRegistered
      ? { clientInformation: { ...preRegistered, redirect_uris: [redirectUrl] } }
      : {}),
    onRedirectToAuthorization: async (authorizationUrl) => {
      const scope = authorizationUrl.searchParams.get('scope') ?? 'none'
      const redirectUri = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? redirectUrl)
      if (AUTH_FLOW === 'authenticate' && redirectUri.port === '') {
        log(`the transport asked for an authorization (scope=${scope}); authenticate() will run`)
        return
      }
      authorizations += 1
      if (authorizations > MAX_AUTHORIZATIONS) {
        throw new Error(`Giving up after ${MAX_AUTHORIZATIONS} authorization attempts`)
      }
      const callback = await approve(authorizationUrl)
      log(`authorization #${authorizations}: approved (scope=${scope})`)
      if (AUTH_FLOW === 'authenticate') {
        // To the loopback server; it answers once the code is exchanged (or refused).
        const landed = await fetch(callback)
        log(`loopback callback answered ${landed.status}: ${await landed.text()}`)
      } else {
        flow.pendingCallback = callback
      }
    },
  })
  return { provider, flow }
}

type ConformanceProvider = ReturnType<typeof conformanceProvider>

/**
 * Runs `operation`, as an app does around its calls:
 * - `request` mode: when the server asked for authorization (the hook was sent to the
 *   authorization endpoint), the callback route finishes it; when it refused for lack of scope
 *   (`INSUFFICIENT_SCOPE`), the app sends the user to authorize the wider scope
 *   (`authorizationUrl()`) and finishes that;
 * - `authenticate` mode: when the server refused the credentials (`UNAUTHORIZED`, e.g. its
 *   authorization server changed), `authenticate({ force: true })` runs again. (A wider scope
 *   is asked for by MCPClient itself, through the loopback flow.)
 *
 * Then it runs `operation` again; bounded by the hook's limit on authorizations.
 */
async function withAuthorization<T>(
  client: MCPClient,
  { provider, flow }: ConformanceProvider,
  label: string,
  operation: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (attempt >= MAX_AUTHORIZATIONS) throw error
      if (AUTH_FLOW === 'authenticate') {
        if (!isMCPKitError(error, 'UNAUTHORIZED')) throw error
        log(`${label} was refused (${describeError(error)}); authenticate() again`)
        await client.authenticate(SERVER, { force: true, timeout: AUTHENTICATE_TIMEOUT_MS })
        continue
      }
      if (error instanceof InsufficientScopeClientError && error.scope) {
        log(`${label} needs scope "${error.scope}" (${describeError(error)}); authorizing it`)
        flow.pendingCallback = await approve(
          await provider.authorizationUrl({ scope: error.scope }),
        )
      }
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

/** An authorized session: list the tools, call `test-tool`, authorizing as the flow says. */
async function authorizedSession(): Promise<void> {
  const auth = conformanceProvider(preRegisteredCredentials())
  const client = createClient({ authProvider: auth.provider })
  try {
    if (AUTH_FLOW === 'authenticate') {
      await client.authenticate(SERVER, { timeout: AUTHENTICATE_TIMEOUT_MS })
    }
    await withAuthorization(client, auth, 'listing tools', () => listServerTools(client))
    const result = await withAuthorization(client, auth, 'calling test-tool', () =>
      callTool(client, 'test-tool', {}),
    )
    expectText(result, 'test')
  } finally {
    await client.disconnect()
  }
}

/**
 * A scenario where the client must give up: the session passes when it fails, and the suite's
 * checks say whether it failed for the right reason.
 */
function refusedSession(why: string): () => Promise<void> {
  return async () => {
    try {
      await authorizedSession()
    } catch (error) {
      log('refused as expected:', describeError(error))
      return
    }
    throw new Error(`The session succeeded although ${why}`)
  }
}

/** The server never grants the scope it asks for: the client must give up, not loop. */
const scopeRetryLimit = refusedSession('the server never grants the scope it asks for')

// ---------------------------------------------------------------------------------------------

const plainScenarios: Record<
  string,
  { run: (client: MCPClient) => Promise<void>; options?: ServerOptions }
> = {
  initialize: { run: initialize },
  tools_call: { run: toolsCall },
  // MCPClient fills in the defaults itself (on both eras), whatever capabilities it announces.
  'elicitation-sep1034-client-defaults': { run: elicitationDefaults },
  'sse-retry': { run: sseRetry },
  'request-metadata': {
    run: requestMetadata,
    options: { roots: [{ uri: 'file:///conformance', name: 'conformance' }] },
  },
  'http-standard-headers': { run: standardHeaders, options: answeringDiscover() },
  'http-custom-headers': { run: customHeaders, options: answeringDiscover() },
  'http-invalid-tool-headers': { run: invalidToolHeaders, options: answeringDiscover() },
  'sep-2322-client-request-state': { run: requestState, options: answeringDiscover() },
  'json-schema-ref-no-deref': { run: refNoDereference },
}

const authScenarios: Record<string, () => Promise<void>> = {
  'auth/scope-retry-limit': scopeRetryLimit,
}
for (const name of [
  'auth/resource-mismatch',
  'auth/iss-supported-missing',
  'auth/iss-wrong-issuer',
  'auth/iss-unexpected',
  'auth/iss-normalized',
  'auth/metadata-issuer-mismatch',
]) {
  // The authorization server or resource misbehaves (2026-07-28 rules: RFC 9207 `iss`,
  // RFC 8414 issuer echo, RFC 8707 resource): the client must refuse to go on.
  authScenarios[name] = refusedSession('the authorization should have been refused')
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
  // 2026-07-28
  'auth/offline-access-scope',
  'auth/offline-access-not-supported',
  'auth/authorization-server-migration',
  'auth/iss-supported',
  'auth/iss-not-advertised',
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
  if (authorized) {
    log(
      `authorization flow: ${AUTH_FLOW === 'authenticate' ? 'authenticate() first' : 'a request first'}`,
    )
    return authorized()
  }
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
