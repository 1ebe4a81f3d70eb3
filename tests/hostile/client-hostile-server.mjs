// A hostile MCP server (2025 protocol, hand-written JSON-RPC, no SDK) for the client-side
// hostile tests: `node client-hostile-server.mjs <stdio|http> <attack>`. Over HTTP it listens
// on 127.0.0.1 and prints `PORT <n>` on stdout; it serves Streamable HTTP at `/mcp` and legacy
// SSE at `/sse` (its POSTs at `/messages`). Attacks:
//   names     tools named __proto__, hasOwnProperty, constructor, and echo twice
//   redos     a tool whose input and output schemas carry pattern ^(a+)+$
//   endless   every list (tools, resources, templates, prompts) always has a next page
//   loop      every list's third page hands back the cursor (10 kB) of its second: a loop
//   slowlist  endless too, each page 200 ms late
//   biglist   a tool list of 50 pages of 1 MB each
//   hugeline  tools/list answered with one 50 MB line
//   helper    starts a helper in its own process group, and exits on tools/call "crash"
// Every attack also has the tools: echo, big (a text of `bytes` bytes), cut and cut_readonly
// (HTTP: the response stream ends without an answer, the first time for cut_readonly; legacy
// SSE: the session's SSE stream ends instead of carrying the answer), reset (the same, but the
// stream's connection is destroyed instead of ended) and reset_json (HTTP: the connection is
// destroyed halfway through a JSON answer).
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { createInterface } from 'node:readline'

const [mode = 'stdio', attack = 'none'] = process.argv.slice(2)
const hits = new Map()
const MB = 1024 * 1024

if (attack === 'helper') {
  // Same process group as this server (not detached); it would outlive a crash.
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
}

const baseTools = [
  { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'big', inputSchema: { type: 'object', properties: { bytes: { type: 'number' } } } },
  { name: 'cut', inputSchema: { type: 'object' } },
  { name: 'cut_readonly', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'reset', inputSchema: { type: 'object' } },
  { name: 'reset_json', inputSchema: { type: 'object' } },
  { name: 'crash', inputSchema: { type: 'object' } },
]
const evil = { type: 'string', pattern: '^(a+)+$' }

/** Item `page` of the list `key`. */
function itemOf(key, page) {
  return key === 'tools'
    ? { name: `t${page}`, inputSchema: { type: 'object' } }
    : key === 'resourceTemplates'
      ? { name: `r${page}`, uriTemplate: `x://r${page}/{id}` }
      : key === 'resources'
        ? { name: `r${page}`, uri: `x://r${page}` }
        : { name: `p${page}` }
}

/** A page of an endless list: one item, and always a next cursor. */
function endlessPage(key, cursor) {
  const page = cursor === undefined ? 0 : Number(cursor.slice(1))
  return { [key]: [itemOf(key, page)], nextCursor: `c${page + 1}` }
}

/** The second page's cursor of a looping list: long, so an error must not quote it whole. */
const LOOP_CURSOR = `L${'x'.repeat(10_000)}`

/** A page of a looping list: pages 0, 1, 2, then 1 again (a new item on every page). */
function loopPage(key, cursor) {
  const page = cursor === undefined ? 0 : cursor === LOOP_CURSOR ? 1 : 2
  return { [key]: [itemOf(key, page)], nextCursor: page === 1 ? 'c2' : LOOP_CURSOR }
}

/** The result of a request, or `undefined` for the HTTP-only stream attacks. */
function answer(message) {
  const { method, params = {} } = message
  if (method === 'initialize') {
    return {
      protocolVersion: params.protocolVersion,
      capabilities: { tools: {}, resources: {}, prompts: {} },
      serverInfo: { name: `hostile-${attack}`, version: '1.0.0' },
    }
  }
  if (method === 'ping') return {}
  const listKey = {
    'tools/list': 'tools',
    'resources/list': 'resources',
    'resources/templates/list': 'resourceTemplates',
    'prompts/list': 'prompts',
  }[method]
  if (listKey && (attack === 'endless' || attack === 'slowlist')) {
    return endlessPage(listKey, params.cursor)
  }
  if (listKey && attack === 'loop') return loopPage(listKey, params.cursor)
  if (method === 'tools/list') {
    if (attack === 'names') {
      const names = ['__proto__', 'hasOwnProperty', 'constructor', 'echo', 'echo']
      return { tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })) }
    }
    if (attack === 'redos') {
      return {
        tools: [
          {
            name: 'redos',
            inputSchema: { type: 'object', properties: { text: evil } },
            outputSchema: { type: 'object', properties: { text: evil }, required: ['text'] },
          },
        ],
      }
    }
    if (attack === 'biglist') {
      const page = params.cursor === undefined ? 0 : Number(params.cursor.slice(1))
      const tools = [
        { name: `t${page}`, description: 'x'.repeat(MB), inputSchema: { type: 'object' } },
      ]
      return page < 49 ? { tools, nextCursor: `c${page + 1}` } : { tools }
    }
    return { tools: baseTools }
  }
  if (listKey) return { [listKey]: [] }
  if (method === 'tools/call') {
    const name = params.name
    if (name === 'crash') process.exit(3)
    if (name === 'redos') return { content: [], structuredContent: { text: `${'a'.repeat(28)}!` } }
    if (name === 'big') {
      const text = 'x'.repeat(Number(params.arguments?.bytes ?? 0))
      return { content: [{ type: 'text', text }] }
    }
    return { content: [{ type: 'text', text: String(params.arguments?.text ?? name) }] }
  }
  return { error: { code: -32601, message: 'Method not found' } }
}

function response(message) {
  const result = answer(message)
  if (result && 'error' in result && Object.keys(result).length === 1) {
    return { jsonrpc: '2.0', id: message.id, error: result.error }
  }
  return { jsonrpc: '2.0', id: message.id, result }
}

function delay(message) {
  return attack === 'slowlist' && message.method?.endsWith('/list') ? 200 : 0
}

if (mode === 'stdio') {
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      let message
      try {
        message = JSON.parse(line)
      } catch {
        return
      }
      if (message.id === undefined || message.method === undefined) return
      if (attack === 'hugeline' && message.method === 'tools/list') {
        process.stdout.write(
          `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"tools":[],"pad":"${'x'.repeat(50 * MB)}"}}\n`,
        )
        return
      }
      setTimeout(
        () => process.stdout.write(`${JSON.stringify(response(message))}\n`),
        delay(message),
      )
    })
    .on('close', () => process.exit(0))
} else {
  /** Legacy SSE sessions: their id, and the open SSE stream that carries their answers. */
  const sseStreams = new Map()
  let sseSessions = 0
  /** How the answer to `message` is cut off (over `transport`): `'end'`, `'reset'`, or not. */
  const cuts = (transport, message) => {
    const name = message.method === 'tools/call' ? message.params?.name : undefined
    const key = `${transport} ${name}`
    const hit = (hits.get(key) ?? 0) + 1
    hits.set(key, hit)
    if (name === 'reset') return 'reset'
    return name === 'cut' || (name === 'cut_readonly' && hit === 1) ? 'end' : undefined
  }
  const cut = (stream, how) => (how === 'reset' ? stream.destroy() : stream.end())
  const server = createServer((request, res) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (request.method === 'GET' && url.pathname === '/sse') {
      const id = `sse${++sseSessions}`
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`)
      sseStreams.set(id, res)
      res.on('close', () => sseStreams.delete(id))
      return
    }
    if (request.method !== 'POST') {
      res.writeHead(405).end()
      return
    }
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      if (url.pathname === '/messages') {
        const stream = sseStreams.get(url.searchParams.get('sessionId'))
        if (!stream) {
          res.writeHead(404).end()
          return
        }
        res.writeHead(202).end()
        if (message.id === undefined || message.method === undefined) return
        const how = cuts('sse', message)
        if (how) {
          // The session's stream ends instead of carrying the answer.
          cut(stream, how)
          return
        }
        setTimeout(
          () => stream.write(`event: message\ndata: ${JSON.stringify(response(message))}\n\n`),
          delay(message),
        )
        return
      }
      if (message.id === undefined) {
        res.writeHead(202).end()
        return
      }
      if (message.params?.name === 'reset_json') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' })
        res.write('{"jsonrpc":"2.0",')
        setTimeout(() => res.destroy(), 50)
        return
      }
      const how = cuts('http', message)
      if (how) {
        // An SSE response stream that ends without the answer.
        res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 's1' })
        res.write(': working\n\n')
        setTimeout(() => cut(res, how), 50)
        return
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' })
        res.end(JSON.stringify(response(message)))
      }, delay(message))
    })
  })
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${server.address().port}\n`)
  })
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
}
