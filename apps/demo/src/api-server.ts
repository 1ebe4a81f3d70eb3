import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ApprovalQueue } from '@mcpkit/tool-approval'
import type { LogHandler } from '@mcpkit/types'
import { type AgentReply, describeError } from './agent.js'
import type { DemoUser, UserDirectory } from './users.js'

/** Longest chat message the API takes. */
const MAX_MESSAGE_LENGTH = 2000
/** Request bodies are small JSON objects; anything bigger is refused before it is read. */
const MAX_BODY_BYTES = 16 * 1024

/** What the API server needs from the demo. */
export interface ApiServerOptions {
  port: number
  directory: UserDirectory
  chat(user: DemoUser, message: string, signal: AbortSignal): Promise<AgentReply>
  approvals: ApprovalQueue
  status(): unknown
  logger?: LogHandler
}

/** The running web page + API. */
export interface ApiServer {
  readonly url: string
  close(): Promise<void>
}

/** An error the API answers with its status and a JSON body `{ error: { code, message } }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
}
const WEB_DIRECTORY = new URL('../web/', import.meta.url)

/**
 * The demo's HTTP API and web page on `node:http`, 127.0.0.1 only. Every `/api/` route but
 * `/api/users` needs `Authorization: Bearer <token>` of a demo user.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { directory, approvals } = options
  // Read once: the page is static and small.
  const files = new Map<string, string>()
  for (const { file } of Object.values(STATIC_FILES)) {
    files.set(file, await readFile(new URL(file, WEB_DIRECTORY), 'utf8'))
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendJson(
          res,
          error.status,
          { error: { code: error.code, message: error.message } },
          error.headers,
        )
        return
      }
      if ((error as { code?: unknown }).code === 'MODEL_ERROR') {
        // The model failed, not the demo: say so, the way a gateway would.
        sendJson(res, 502, { error: { code: 'MODEL_ERROR', message: describeMessage(error) } })
        return
      }
      log(options.logger, 'error', `API request failed: ${describeError(error)}`)
      sendJson(res, 500, { error: { code: 'INTERNAL', message: describeError(error) } })
    })
  })

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    const path = url.pathname

    const staticFile = STATIC_FILES[path]
    if (staticFile) {
      allow(method, ['GET', 'HEAD'])
      res.writeHead(200, {
        'content-type': staticFile.type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      })
      res.end(method === 'HEAD' ? undefined : files.get(staticFile.file))
      return
    }
    if (!path.startsWith('/api/')) throw new HttpError(404, 'NOT_FOUND', `Nothing at ${path}.`)

    if (path === '/api/users') {
      allow(method, ['GET'])
      // Demo only: a real service never hands out its users' credentials.
      sendJson(res, 200, {
        users: directory.users.map((user) => ({ name: user.name, token: user.token })),
      })
      return
    }

    const user = authenticate(req, directory)
    if (path === '/api/chat') {
      allow(method, ['POST'])
      const body = await readJson(req)
      const message = body.message
      if (typeof message !== 'string' || message.trim() === '') {
        throw new HttpError(400, 'INVALID_REQUEST', 'Send a JSON body { "message": "<text>" }.')
      }
      if (message.length > MAX_MESSAGE_LENGTH) {
        throw new HttpError(
          400,
          'INVALID_REQUEST',
          `The message has ${message.length} characters; the limit is ${MAX_MESSAGE_LENGTH}.`,
        )
      }
      // A chat may wait minutes for an approval; if the browser goes away, stop waiting.
      const controller = new AbortController()
      res.once('close', () => {
        if (!res.writableFinished) controller.abort(new Error('the client went away'))
      })
      const reply = await options.chat(user, message, controller.signal)
      sendJson(res, 200, reply)
      return
    }
    if (path === '/api/approvals') {
      allow(method, ['GET'])
      const pending = (await approvals.pending({ principal: user.name })).map((request) => ({
        id: request.id,
        toolName: request.toolName,
        serverName: request.serverName,
        args: request.args,
        createdAt: request.createdAt,
        expiresAt: request.expiresAt,
      }))
      sendJson(res, 200, { pending })
      return
    }
    const settle = /^\/api\/approvals\/([^/]+)\/(approve|deny)$/.exec(path)
    if (settle) {
      allow(method, ['POST'])
      const id = decodeURIComponent(settle[1]!)
      const body = await readJson(req, { optional: true })
      try {
        if (settle[2] === 'approve') {
          await approvals.approve(id, { principal: user.name, by: user.name })
        } else {
          const reason = typeof body.reason === 'string' ? body.reason.slice(0, 200) : undefined
          await approvals.deny(id, {
            principal: user.name,
            reason: reason || `denied by ${user.name}`,
          })
        }
      } catch (error) {
        const status = (error as { status?: unknown }).status
        if (status === 403 || status === 404 || status === 410) {
          throw new HttpError(
            status,
            (error as { code?: string }).code ?? 'APPROVAL_ERROR',
            describeMessage(error),
          )
        }
        throw error
      }
      sendJson(res, 200, { id, decision: settle[2] === 'approve' ? 'approved' : 'denied' })
      return
    }
    if (path === '/api/pool') {
      allow(method, ['GET'])
      sendJson(res, 200, options.status())
      return
    }
    throw new HttpError(404, 'NOT_FOUND', `No API route ${method} ${path}.`)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: options.port, host: '127.0.0.1' }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="mcpkit-demo"' }

function authenticate(req: IncomingMessage, directory: UserDirectory): DemoUser {
  const header = req.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  if (!match) {
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      'Send your demo credential as "Authorization: Bearer <token>" (GET /api/users lists them).',
      CHALLENGE,
    )
  }
  const user = directory.byToken(match[1]!)
  if (!user) {
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      'Unknown credential: no demo user has this token.',
      CHALLENGE,
    )
  }
  return user
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `Use ${methods.join(' or ')} here.`, {
      allow: methods.join(', '),
    })
  }
}

async function readJson(
  req: IncomingMessage,
  { optional = false }: { optional?: boolean } = {},
): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) {
    throw new HttpError(413, 'BODY_TOO_LARGE', `Bodies are limited to ${MAX_BODY_BYTES} bytes.`)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, 'BODY_TOO_LARGE', `Bodies are limited to ${MAX_BODY_BYTES} bytes.`)
    }
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') {
    if (optional) return {}
    throw new HttpError(400, 'INVALID_REQUEST', 'Send a JSON object as the body.')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'The body is not valid JSON.')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'INVALID_REQUEST', 'The body must be a JSON object.')
  }
  return value as Record<string, unknown>
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(JSON.stringify(body))
}

function describeMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function log(logger: LogHandler | undefined, level: 'error', message: string): void {
  try {
    logger?.({ level, message, timestamp: new Date(), serverName: 'demo-api' })
  } catch {
    // Ignore a failing logger.
  }
}
