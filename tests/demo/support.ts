import type { AgentReply, Demo, DemoUser } from '@mcpkit/demo'
import { waitFor } from '../support/processes.js'

/** A JSON API answer: status and parsed body. */
export interface ApiAnswer<Body = Record<string, unknown>> {
  status: number
  headers: Headers
  body: Body
}

/** Calls the demo API as `user` (no credential when `user` is `null`, a raw header when a string). */
export async function api<Body = Record<string, unknown>>(
  demo: Demo,
  path: string,
  options: {
    user?: DemoUser | null
    authorization?: string
    method?: string
    body?: unknown
    rawBody?: string
  } = {},
): Promise<ApiAnswer<Body>> {
  const headers: Record<string, string> = {}
  if (options.user) headers.authorization = `Bearer ${options.user.token}`
  if (options.authorization !== undefined) headers.authorization = options.authorization
  let body: string | undefined = options.rawBody
  if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(new URL(path, demo.url), {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  })
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new Error(`${path} answered HTTP ${response.status} with non-JSON: ${text.slice(0, 200)}`)
  }
  return { status: response.status, headers: response.headers, body: parsed as Body }
}

/** `POST /api/chat` as `user`; fails the test unless it answers 200. */
export async function chat(demo: Demo, user: DemoUser, message: string): Promise<AgentReply> {
  const answer = await api<AgentReply>(demo, '/api/chat', { user, body: { message } })
  if (answer.status !== 200) {
    throw new Error(`chat "${message}" answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

/** Waits until `user` has a pending approval and returns it. */
export async function waitForPending(
  demo: Demo,
  user: DemoUser,
): Promise<{ id: string; toolName: string; args: Record<string, unknown> }> {
  let found: { id: string; toolName: string; args: Record<string, unknown> } | undefined
  await waitFor(
    async () => {
      const answer = await api<{ pending: NonNullable<typeof found>[] }>(demo, '/api/approvals', {
        user,
      })
      found = answer.body.pending[0]
      return found !== undefined
    },
    { timeoutMs: 5000, intervalMs: 20 },
  )
  if (!found) throw new Error(`no pending approval for ${user.name}`)
  return found
}
