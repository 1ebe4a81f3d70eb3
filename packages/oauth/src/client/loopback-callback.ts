import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Log, MCPClientError } from '@mcpkit/types'

/** Where the browser comes back to: the provider's redirect URL, on this machine. */
export interface LoopbackRedirect {
  hostname: string
  /** `0` for an ephemeral port. */
  port: number
  pathname: string
  /** The redirect URL as configured, used as is when the port is fixed. */
  configured: string
}

/** An authorization response that reached the loopback server with the expected `state`. */
export interface AuthorizationResponse {
  /** Its query: `code` or `error` (+ `error_description`), `state`, `iss`. */
  params: URLSearchParams
  /** Answers the browser (once). */
  answer(status: number, text: string): void
}

/** The loopback server of one authorization (RFC 8252 §7.3). */
export interface LoopbackCallback {
  /** The redirect URL to send, with the port actually listened on. */
  readonly redirectUrl: string
  /** The first response with the expected `state` and a `code` or an `error`. */
  readonly response: Promise<AuthorizationResponse>
  /** The `state` a response must carry; none is accepted before this is called. */
  expectState(state: string | undefined): void
  /** Stops listening and drops open connections. */
  close(): Promise<void>
}

type ConfigurationFailure = (message: string) => MCPClientError

/**
 * `value` (the provider's redirect URL) as a loopback redirect: `http://127.0.0.1:<port>/<path>`
 * or `localhost`; anything else cannot come back to this process.
 */
export function loopbackRedirect(value: string, fail: ConfigurationFailure): LoopbackRedirect {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail(`the auth provider's redirectUrl ${value} is not a URL.`)
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw fail(
      `authenticate() receives the authorization on a loopback server, so the auth provider's redirectUrl must be http://127.0.0.1:<port>/<path> (or localhost); it is ${value}.`,
    )
  }
  return {
    hostname: url.hostname,
    port: Number(url.port || 0),
    pathname: url.pathname,
    configured: url.href,
  }
}

/**
 * Listens on 127.0.0.1 (the redirect's port, or an ephemeral one) for the browser coming back.
 * A response whose `state` is not the expected one is answered 400 and ignored: its code is
 * never used, and the wait goes on for the real one.
 */
export async function startLoopbackCallback(
  redirect: LoopbackRedirect,
  options: { fail: ConfigurationFailure; log: Log },
): Promise<LoopbackCallback> {
  // Loaded here, not at the top: the package's main entry stays importable off Node.
  const { createServer } = await import('node:http')
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: redirect.port }, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch((error: NodeJS.ErrnoException) => {
    throw options.fail(
      `cannot receive the authorization on 127.0.0.1:${redirect.port} (${error.code ?? error.message}). Free the port, or use a redirectUrl without a port for an ephemeral one.`,
    )
  })
  const { port } = server.address() as AddressInfo
  const redirectUrl =
    redirect.port === 0
      ? `http://${redirect.hostname}:${port}${redirect.pathname}`
      : redirect.configured

  let expectedState: string | undefined
  let settle: ((response: AuthorizationResponse) => void) | undefined
  const response = new Promise<AuthorizationResponse>((resolve) => {
    settle = resolve
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const answer = (status: number, text: string) => {
      if (res.headersSent) return
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'close',
      })
      res.end(`${text}\n`)
    }
    let url: URL
    try {
      url = new URL(req.url ?? '/', redirectUrl)
    } catch {
      return answer(400, 'Bad request.')
    }
    if (url.pathname !== redirect.pathname) return answer(404, 'Not found.')
    if (req.method !== 'GET') return answer(405, 'Method not allowed.')
    const params = url.searchParams
    if (
      expectedState === undefined ||
      settle === undefined ||
      params.get('state') !== expectedState
    ) {
      options.log('warning', 'authenticate(): refused a callback whose `state` does not match')
      return answer(400, 'This authorization response does not match the request (state).')
    }
    if (!params.get('error') && !params.get('code')) {
      return answer(400, 'The authorization response has no code.')
    }
    const resolve = settle
    settle = undefined
    resolve({ params, answer })
  })
  return {
    redirectUrl,
    response,
    expectState(state) {
      expectedState = state
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
