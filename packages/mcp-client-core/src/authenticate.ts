import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type HttpServerDefinition,
  type LoggingLevel,
  MCPClientError,
  MCPKitError,
  type ServerDefinition,
} from '@mcpkit/types'
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { createFetchWithInit, type FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'

const DEFAULT_AUTHENTICATE_TIMEOUT_MS = 5 * 60_000

/** Options of `MCPClient.authenticate()`. */
export interface AuthenticateOptions {
  /**
   * Milliseconds for the whole authorization, the user's login included. Default `300000`
   * (5 minutes); then it fails with `REQUEST_TIMEOUT`.
   */
  timeout?: number
  /** Abandons the authorization (it fails with `ABORTED`); the loopback server is closed. */
  signal?: AbortSignal
  /** The scope to request; default: what the server asks for, then `clientMetadata.scope`. */
  scope?: string
  /**
   * Run the browser authorization even when the provider has tokens: to sign in as someone
   * else, or to get a wider `scope` (a refresh token cannot widen it). Default `false`: a
   * provider that has an access token is left as it is.
   */
  force?: boolean
  /**
   * Receives the authorization URL: open the browser, or print it. Default: the provider's
   * own `redirectToAuthorization` (for `MCPOAuthClientProvider`, its `onRedirectToAuthorization`).
   */
  onAuthorizationUrl?: (authorizationUrl: URL) => void | Promise<void>
}

interface AuthenticateRequest {
  serverName: string
  definition: ServerDefinition
  options: AuthenticateOptions
  log: (level: LoggingLevel, message: string) => void
}

/** What the loopback server received that finishes the flow. */
interface Callback {
  code: string
  /** Answers the browser once the code is exchanged. */
  answer: (status: number, text: string) => void
}

/**
 * OAuth for command-line programs (RFC 8252): runs the SDK's `auth()` with the server's
 * `authProvider`, receives the authorization response on a loopback server on 127.0.0.1, and
 * exchanges the code. The redirect URL must be `http://127.0.0.1:<port>/<path>` (or
 * `localhost`); without a port (or port 0) an ephemeral port is used and the authorization
 * server must accept any loopback port, as RFC 8252 §7.3 requires. A callback whose `state`
 * is not the one sent is answered 400 and ignored: its code is never exchanged, and the wait
 * goes on for the real one until `timeout`.
 */
export async function authenticateServer(request: AuthenticateRequest): Promise<void> {
  const { serverName, definition, options, log } = request
  const fail = (code: 'INVALID_CONFIGURATION' | 'UNAUTHORIZED', message: string) =>
    new MCPClientError(code, `Server "${serverName}": ${message}`, { serverName })
  if (!('url' in definition) || definition.url === undefined) {
    throw fail(
      'INVALID_CONFIGURATION',
      'authenticate() needs an HTTP server (`url`) with an `authProvider`; this is a stdio server, which has no OAuth.',
    )
  }
  const httpDefinition = definition as HttpServerDefinition
  const provider = httpDefinition.authProvider as unknown as OAuthClientProvider | undefined
  if (!provider) {
    throw fail(
      'INVALID_CONFIGURATION',
      'authenticate() needs an `authProvider` on the server definition (e.g. an MCPOAuthClientProvider).',
    )
  }
  const serverUrl = new URL(httpDefinition.url)
  const bound = (provider as { serverUrl?: unknown }).serverUrl
  if (typeof bound === 'string' && !sameResource(bound, serverUrl.href)) {
    throw fail(
      'INVALID_CONFIGURATION',
      `the authProvider is for ${bound}, but the server's url is ${serverUrl.href}. Give the provider this server's URL.`,
    )
  }
  const timeout = options.timeout ?? DEFAULT_AUTHENTICATE_TIMEOUT_MS
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw fail('INVALID_CONFIGURATION', '`timeout` must be a positive number of milliseconds.')
  }

  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(timeoutError()), timeout)
  const onAbort = () =>
    deadline.abort(
      new MCPClientError(
        'ABORTED',
        `Server "${serverName}": the authorization was aborted${reasonText(options.signal?.reason)}.`,
        { serverName, cause: options.signal?.reason },
      ),
    )
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  let waitingForCallback = false
  let loopbackUrl = ''
  function timeoutError(): MCPClientError {
    return new MCPClientError(
      'REQUEST_TIMEOUT',
      waitingForCallback
        ? `Server "${serverName}": no authorization came back to ${loopbackUrl} within ${timeout} ms. Run authenticate() again and finish the login in the browser.`
        : `Server "${serverName}": the authorization did not complete within ${timeout} ms.`,
      { serverName },
    )
  }

  let lastUrl: string | undefined
  const baseFetch: FetchLike = httpDefinition.fetch
    ? (url, init) => httpDefinition.fetch!(url, init, null)
    : (url, init) => fetch(url, init)
  const withInit = createFetchWithInit(baseFetch, httpDefinition.requestInit)
  const fetchFn: FetchLike = (url, init) => {
    lastUrl = String(url)
    return withInit(url, { ...init, signal: deadline.signal })
  }
  const scope = options.scope === undefined ? {} : { scope: options.scope }
  const describeFailure = (error: unknown, action: string) =>
    deadline.signal.aborted
      ? (deadline.signal.reason as MCPClientError)
      : authError(error, { serverName, action, lastUrl })

  let loopback: Server | undefined
  let hookSettled: Promise<unknown> = Promise.resolve()
  try {
    if (!options.force) {
      const tokens = await untilAborted((async () => provider.tokens())(), deadline.signal).catch(
        (error: unknown) => {
          throw describeFailure(error, 'Reading the stored tokens')
        },
      )
      if (tokens?.access_token) {
        log('debug', 'authenticate(): the auth provider already has an access token')
        return
      }
    }

    if (!provider.redirectUrl) {
      // A machine client (client_credentials, jwt-bearer): no user, no browser.
      const result = await untilAborted(
        auth(provider, { serverUrl, fetchFn, ...scope }),
        deadline.signal,
      ).catch((error: unknown) => {
        throw describeFailure(error, 'Getting a token')
      })
      if (result !== 'AUTHORIZED') throw fail('UNAUTHORIZED', 'no token was issued.')
      return
    }

    const redirect = loopbackRedirect(String(provider.redirectUrl), fail)
    const started = await startLoopback(redirect, fail)
    loopback = started.server
    loopbackUrl = started.redirectUrl
    let expectedState: string | undefined
    let settle: ((callback: Callback) => void) | undefined
    let refuse: ((error: MCPClientError) => void) | undefined
    const callback = new Promise<Callback>((resolve, reject) => {
      settle = resolve
      refuse = reject
    })
    callback.catch(() => {})
    loopback.on('request', (req: IncomingMessage, res: ServerResponse) => {
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
        url = new URL(req.url ?? '/', loopbackUrl)
      } catch {
        return answer(400, 'Bad request.')
      }
      if (url.pathname !== redirect.pathname) return answer(404, 'Not found.')
      if (req.method !== 'GET') return answer(405, 'Method not allowed.')
      const state = url.searchParams.get('state')
      if (expectedState === undefined || settle === undefined || state !== expectedState) {
        log('warning', 'authenticate(): refused a callback whose `state` does not match')
        return answer(400, 'This authorization response does not match the request (state).')
      }
      const error = url.searchParams.get('error')
      if (error) {
        const description = url.searchParams.get('error_description')
        answer(200, `Authorization failed: ${error}. You can close this window.`)
        settle = undefined
        refuse?.(
          fail(
            'UNAUTHORIZED',
            `the authorization server refused the authorization: ${error}${description ? ` (${description})` : ''}.`,
          ),
        )
        return
      }
      const code = url.searchParams.get('code')
      if (!code) return answer(400, 'The authorization response has no code.')
      const resolve = settle
      settle = undefined
      resolve({ code, answer })
    })

    // The hook may drive the browser to the end (a headless login does): the loopback server
    // answers that browser only after the code exchange, so the hook is not awaited here; if it
    // fails, the wait for the callback fails with it.
    let hookDone: Promise<never> | undefined
    const flowProvider = withRedirect(provider, {
      redirectUrl: loopbackUrl,
      hideTokens: options.force === true,
      onAuthorizationUrl: async (authorizationUrl) => {
        expectedState = authorizationUrl.searchParams.get('state') ?? undefined
        waitingForCallback = true
        log('info', `authenticate(): waiting for the authorization at ${loopbackUrl}`)
        const hook =
          options.onAuthorizationUrl ?? ((url: URL) => provider.redirectToAuthorization(url))
        const running = (async () => hook(authorizationUrl))()
        hookSettled = running.catch(() => {})
        hookDone = running.then(() => new Promise<never>(() => {}))
        hookDone.catch(() => {})
      },
    })

    const result = await untilAborted(
      auth(flowProvider, { serverUrl, fetchFn, ...scope }),
      deadline.signal,
    ).catch((error: unknown) => {
      throw describeFailure(error, 'Starting the authorization')
    })
    // A refresh token did the job: no browser needed.
    if (result === 'AUTHORIZED') return

    const { code, answer } = await untilAborted(
      hookDone ? Promise.race([callback, hookDone]) : callback,
      deadline.signal,
    ).catch((error: unknown) => {
      throw describeFailure(error, 'Opening the authorization URL')
    })
    waitingForCallback = false
    try {
      const exchanged = await untilAborted(
        auth(flowProvider, { serverUrl, authorizationCode: code, fetchFn }),
        deadline.signal,
      )
      if (exchanged !== 'AUTHORIZED') throw fail('UNAUTHORIZED', 'the code exchange failed.')
    } catch (error) {
      answer(500, 'Authorization failed while exchanging the code. You can close this window.')
      throw describeFailure(error, 'Exchanging the authorization code')
    }
    answer(200, 'Authorization complete. You can close this window.')
    log('info', 'authenticate(): authorized')
  } finally {
    // A hook that drives the browser sees the loopback server's answer before this returns.
    await untilAborted(hookSettled, deadline.signal).catch(() => {})
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    if (loopback) await closeLoopback(loopback)
  }
}

interface LoopbackRedirect {
  hostname: string
  /** `0` for an ephemeral port. */
  port: number
  pathname: string
  /** The redirect URL as configured, used as is when the port is fixed. */
  configured: string
}

function loopbackRedirect(
  value: string,
  fail: (code: 'INVALID_CONFIGURATION', message: string) => MCPClientError,
): LoopbackRedirect {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail('INVALID_CONFIGURATION', `the auth provider's redirectUrl ${value} is not a URL.`)
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw fail(
      'INVALID_CONFIGURATION',
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

async function startLoopback(
  redirect: LoopbackRedirect,
  fail: (code: 'INVALID_CONFIGURATION', message: string) => MCPClientError,
): Promise<{ server: Server; redirectUrl: string }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: redirect.port }, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch((error: NodeJS.ErrnoException) => {
    throw fail(
      'INVALID_CONFIGURATION',
      `cannot receive the authorization on 127.0.0.1:${redirect.port} (${error.code ?? error.message}). Free the port, or use a redirectUrl without a port for an ephemeral one.`,
    )
  })
  const { port } = server.address() as AddressInfo
  const redirectUrl =
    redirect.port === 0
      ? `http://${redirect.hostname}:${port}${redirect.pathname}`
      : redirect.configured
  return { server, redirectUrl }
}

function closeLoopback(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/**
 * The provider as the SDK sees it during `authenticate()`: the loopback redirect URL (with
 * its real port), a `state` on every request, and the authorization URL handed to us first.
 * Everything else is the provider's own, called on the provider itself.
 */
function withRedirect(
  provider: OAuthClientProvider,
  overrides: {
    redirectUrl: string
    /** `auth()` then finds no refresh token and goes to the authorization endpoint. */
    hideTokens: boolean
    onAuthorizationUrl: (url: URL) => Promise<void>
  },
): OAuthClientProvider {
  const state = async () => (provider.state ? provider.state() : randomState())
  const noTokens = () => undefined
  return new Proxy(provider, {
    get(target, key) {
      if (key === 'redirectUrl') return overrides.redirectUrl
      if (key === 'state') return state
      if (key === 'tokens' && overrides.hideTokens) return noTokens
      if (key === 'redirectToAuthorization') return overrides.onAuthorizationUrl
      const value = Reflect.get(target, key, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function randomState(): string {
  const bytes = new Uint8Array(32)
  globalThis.crypto.getRandomValues(bytes)
  return Buffer.from(bytes).toString('base64url')
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  promise.catch(() => {})
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** An error of the SDK's `auth()` as an `MCPClientError` naming the server and the document. */
function authError(
  error: unknown,
  context: { serverName: string; action: string; lastUrl: string | undefined },
): MCPKitError {
  if (error instanceof MCPKitError) return error
  const { serverName, action, lastUrl } = context
  const message = error instanceof Error ? error.message : String(error)
  const issues = (error as { issues?: unknown } | null)?.issues
  if (Array.isArray(issues) && issues.length > 0) {
    const detail = issues
      .slice(0, 5)
      .map((issue: { path?: unknown[]; message?: string }) => {
        const path = issue.path?.length ? issue.path.join('.') : '(root)'
        return `${path}: ${issue.message ?? 'invalid'}`
      })
      .join('; ')
    return new MCPClientError(
      'UNAUTHORIZED',
      `Server "${serverName}": ${action} failed: the OAuth document at ${lastUrl ?? '(unknown URL)'} is invalid (${detail}).`,
      { serverName, cause: error },
    )
  }
  const oauthCode = (error as { errorCode?: unknown } | null)?.errorCode
  if (typeof oauthCode === 'string') {
    return new MCPClientError(
      'UNAUTHORIZED',
      `Server "${serverName}": ${action} was refused by the authorization server: ${oauthCode}${message ? ` (${message})` : ''}.`,
      { serverName, cause: error },
    )
  }
  if (error instanceof TypeError && lastUrl) {
    return new MCPClientError(
      'CONNECTION_FAILED',
      `Server "${serverName}": ${action} could not reach ${lastUrl}: ${message}.`,
      { serverName, cause: error },
    )
  }
  return new MCPClientError(
    'UNAUTHORIZED',
    `Server "${serverName}": ${action} failed: ${message}`,
    {
      serverName,
      cause: error,
    },
  )
}

function sameResource(a: string, b: string): boolean {
  const normalize = (value: string) => {
    try {
      const url = new URL(value)
      url.hash = ''
      return url.href
    } catch {
      return value
    }
  }
  return normalize(a) === normalize(b)
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return `: ${reason.message}`
  if (typeof reason === 'string' && reason) return `: ${reason}`
  return ''
}
