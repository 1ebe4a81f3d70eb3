import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMCPTool, MCPServer, type RequestExtra } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

/** One note, as the notes tools return it. */
export interface Note {
  id: string
  text: string
  /** Epoch milliseconds. */
  createdAt: number
}

/** Caps that keep one user from filling the demo's memory. */
const MAX_NOTES_PER_USER = 500
const MAX_NOTE_LENGTH = 500

const noteSchema = z.object({ id: z.string(), text: z.string(), createdAt: z.number() })

/**
 * Notes kept in memory, one list per user. The server never takes a user name from tool
 * arguments: the owner is always the authenticated principal of the MCP session.
 */
export class NotesStore {
  readonly #notes = new Map<string, Note[]>()

  list(owner: string): Note[] {
    return [...(this.#notes.get(owner) ?? [])]
  }

  add(owner: string, text: string): Note {
    const notes = this.#notes.get(owner) ?? []
    if (notes.length >= MAX_NOTES_PER_USER) {
      throw new Error(`You have ${notes.length} notes, the demo's limit: delete some first.`)
    }
    // Random ids, so an id says nothing about other users' notes.
    const note: Note = { id: `n-${randomBytes(4).toString('hex')}`, text, createdAt: Date.now() }
    notes.push(note)
    this.#notes.set(owner, notes)
    return note
  }

  delete(owner: string, id: string): Note {
    const notes = this.#notes.get(owner) ?? []
    const index = notes.findIndex((note) => note.id === id)
    if (index === -1) {
      const known = notes.map((note) => note.id).join(', ') || 'none'
      throw new Error(`You have no note "${id}". Your note ids: ${known}.`)
    }
    const [removed] = notes.splice(index, 1)
    return removed!
  }

  /** How many users have notes (for the isolation checks' bookkeeping). */
  get ownerCount(): number {
    return this.#notes.size
  }
}

function ownerOf(extra: RequestExtra): string {
  const subject = extra.authInfo?.extra?.sub
  if (typeof subject !== 'string' || subject === '') {
    // Unreachable behind the service's bearer check; refuse rather than guess an owner.
    throw new Error('Not authenticated: call the notes server with a bearer token.')
  }
  return subject
}

/** The notes MCP server: `list_notes`, `add_note`, `delete_note`, each scoped to the caller. */
export function createNotesServer(store: NotesStore): MCPServer {
  return new MCPServer({
    name: 'demo-notes',
    version: '1.0.0',
    description: 'Per-user notes for the mcpkit demo; each user sees only their own notes',
    tools: {
      list_notes: createMCPTool({
        id: 'list_notes',
        description: "Lists the calling user's notes.",
        inputSchema: z.object({}),
        outputSchema: z.object({ notes: z.array(noteSchema) }),
        annotations: { title: 'List notes', readOnlyHint: true, openWorldHint: false },
        execute: async (_input, { extra }) => ({ notes: store.list(ownerOf(extra)) }),
      }),
      add_note: createMCPTool({
        id: 'add_note',
        description: 'Adds a note for the calling user.',
        inputSchema: z.object({ text: z.string().min(1).max(MAX_NOTE_LENGTH) }),
        outputSchema: z.object({ note: noteSchema }),
        annotations: { title: 'Add note', readOnlyHint: false, destructiveHint: false },
        execute: async ({ text }, { extra }) => ({ note: store.add(ownerOf(extra), text) }),
      }),
      delete_note: createMCPTool({
        id: 'delete_note',
        description: "Deletes one of the calling user's notes by id. Cannot be undone.",
        inputSchema: z.object({ id: z.string().min(1).max(64) }),
        outputSchema: z.object({ deleted: noteSchema }),
        annotations: {
          title: 'Delete note',
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: false,
        },
        execute: async ({ id }, { extra }) => ({ deleted: store.delete(ownerOf(extra), id) }),
      }),
    },
  })
}

/** Options of `startNotesService`. */
export interface NotesServiceOptions {
  /** Which bearer token belongs to which user. Looked up on every request, so it may change. */
  userForToken: (token: string) => string | undefined
  /** Port on 127.0.0.1; default 0 (ephemeral). */
  port?: number
}

/** The running notes service. */
export interface NotesService {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: URL
  readonly server: MCPServer
  readonly store: NotesStore
  /** Ends every MCP session and stops listening. Idempotent. */
  close(): Promise<void>
}

/**
 * Serves the notes server over Streamable HTTP on 127.0.0.1. Every request needs
 * `Authorization: Bearer <token>` of a known user (401 otherwise); the user becomes the
 * session's principal, so a session opened by one user cannot be used with another's token.
 */
export async function startNotesService(options: NotesServiceOptions): Promise<NotesService> {
  const store = new NotesStore()
  const server = createNotesServer(store)
  const httpServer: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendUnauthorized(res, 500, 'internal error')
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`)
    const token = bearerToken(req)
    const user = token === undefined ? undefined : options.userForToken(token)
    if (token === undefined || user === undefined) {
      sendUnauthorized(
        res,
        401,
        token === undefined ? 'Send Authorization: Bearer <token>.' : 'Unknown token.',
      )
      return
    }
    // What the SDK's bearer middleware would set; startHTTP reads it and binds the session.
    ;(req as IncomingMessage & { auth?: unknown }).auth = {
      token,
      clientId: user,
      scopes: ['notes'],
      extra: { sub: user },
    }
    await server.startHTTP({ url, httpPath: '/mcp', req, res })
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen({ port: options.port ?? 0, host: '127.0.0.1' }, () => {
      httpServer.off('error', reject)
      resolve()
    })
  })
  const { port } = httpServer.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    server,
    store,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()))
        await server.close()
        httpServer.closeAllConnections()
        await stopped
      })()
      return closing
    },
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  if (typeof header !== 'string') return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

function sendUnauthorized(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({
    error: { code: status === 401 ? 'UNAUTHORIZED' : 'INTERNAL', message },
  })
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 401 ? { 'www-authenticate': 'Bearer realm="mcpkit-demo-notes"' } : {}),
  })
  res.end(body)
}
