import { MCPClientError, type ServerAuthorizationRequest, safeLog } from '@mcpkit/types'
import {
  auth,
  createFetchWithInit,
  type FetchLike,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client'
import { sameUrlUpToTrailingSlash } from '../shared/canonical-url.js'
import { describeAuthFailure, trackingFetch } from './auth-failure.js'
import { checkErrorResponseIssuer } from './authorization-callback.js'
import { authorizationDeadline, untilAborted } from './authorization-deadline.js'
import {
  type AuthorizationResponse,
  type LoopbackCallback,
  loopbackRedirect,
  startLoopbackCallback,
} from './loopback-callback.js'
import { loopbackFlowProvider } from './loopback-flow-provider.js'

const DEFAULT_TIMEOUT_MS = 5 * 60_000

/**
 * OAuth for command-line programs (RFC 8252), as `MCPClient.authenticate()` runs it: the SDK's
 * `auth()` with the server definition's `authProvider`, the authorization response received on
 * a loopback server on 127.0.0.1, and the code exchanged. The provider's redirect URL must be
 * `http://127.0.0.1:<port>/<path>` (or `localhost`); without a port (or port 0) an ephemeral
 * port is used and the authorization server must accept any loopback port, as RFC 8252 §7.3
 * requires. A callback whose `state` is not the one sent is answered 400 and ignored: its code
 * is never exchanged, and the wait goes on for the real one until `timeout`. A provider without
 * `redirectUrl` (a machine client) just gets its token; one that has an access token already is
 * left alone unless `force`. The loopback server is closed in every outcome.
 *
 * Fails with `MCPClientError`: `INVALID_CONFIGURATION` (no HTTP server, no `authProvider`, a
 * provider for another URL, a non-loopback redirect URL, a taken port), `UNAUTHORIZED` (refused,
 * invalid metadata, failed exchange), `CONNECTION_FAILED`, `REQUEST_TIMEOUT`, `ABORTED`.
 */
export async function authorizeServer(request: ServerAuthorizationRequest): Promise<void> {
  const { serverName, definition, options } = request
  const log = safeLog(request.log)
  const fail = (code: 'INVALID_CONFIGURATION' | 'UNAUTHORIZED', message: string) =>
    new MCPClientError(code, `Server "${serverName}": ${message}`, { serverName })
  const misconfigured = (message: string) => fail('INVALID_CONFIGURATION', message)
  if (
    definition === null ||
    typeof definition !== 'object' ||
    !('url' in definition) ||
    definition.url === undefined
  ) {
    throw misconfigured(
      'authenticate() needs an HTTP server (`url`) with an `authProvider`; this is a stdio server, which has no OAuth.',
    )
  }
  const provider = definition.authProvider as unknown as OAuthClientProvider | undefined
  if (!provider) {
    throw misconfigured(
      'authenticate() needs an `authProvider` on the server definition (e.g. an MCPOAuthClientProvider).',
    )
  }
  const serverUrl = new URL(definition.url)
  const bound = (provider as { serverUrl?: unknown }).serverUrl
  if (typeof bound === 'string' && !sameUrlUpToTrailingSlash(bound, serverUrl)) {
    throw misconfigured(
      `the authProvider is for ${bound}, but the server's url is ${serverUrl.href}. Give the provider this server's URL.`,
    )
  }
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw misconfigured('`timeout` must be a positive number of milliseconds.')
  }

  let loopback: LoopbackCallback | undefined
  let waitingForCallback = false
  const deadline = authorizationDeadline({
    timeout,
    signal: options.signal,
    timeoutError: () =>
      new MCPClientError(
        'REQUEST_TIMEOUT',
        waitingForCallback
          ? `Server "${serverName}": no authorization came back to ${loopback?.redirectUrl} within ${timeout} ms. Run authenticate() again and finish the login in the browser.`
          : `Server "${serverName}": the authorization did not complete within ${timeout} ms.`,
        { serverName },
      ),
    abortError: (reason) =>
      new MCPClientError(
        'ABORTED',
        `Server "${serverName}": the authorization was aborted${reasonText(reason)}.`,
        { serverName, cause: reason },
      ),
  })
  const baseFetch: FetchLike = definition.fetch
    ? (url, init) => definition.fetch!(url, init, null)
    : (url, init) => fetch(url, init)
  const withInit = createFetchWithInit(baseFetch, definition.requestInit)
  const tracking = trackingFetch((url, init) => withInit(url, { ...init, signal: deadline.signal }))
  const fetchFn = tracking.fetch
  const scope = options.scope === undefined ? {} : { scope: options.scope }
  const step = <T>(promise: Promise<T>, action: string): Promise<T> =>
    untilAborted(promise, deadline.signal).catch((error: unknown) => {
      throw deadline.signal.aborted
        ? deadline.signal.reason
        : describeAuthFailure(error, {
            subject: `Server "${serverName}": ${action}`,
            lastUrl: tracking.lastUrl(),
            serverName,
          })
    })

  let hookSettled: Promise<unknown> = Promise.resolve()
  try {
    if (!options.force) {
      const tokens = await step((async () => provider.tokens())(), 'Reading the stored tokens')
      if (tokens?.access_token) {
        log('debug', 'authenticate(): the auth provider already has an access token')
        return
      }
    }

    if (!provider.redirectUrl) {
      // A machine client (client_credentials, jwt-bearer): no user, no browser.
      const result = await step(auth(provider, { serverUrl, fetchFn, ...scope }), 'Getting a token')
      if (result !== 'AUTHORIZED') throw fail('UNAUTHORIZED', 'no token was issued.')
      return
    }

    const redirect = loopbackRedirect(String(provider.redirectUrl), misconfigured)
    loopback = await startLoopbackCallback(redirect, { fail: misconfigured, log })
    const callbackUrl = loopback.redirectUrl
    // The hook may drive the browser to the end (a headless login does): the loopback server
    // answers that browser only after the code exchange, so the hook is not awaited here; if it
    // fails, the wait for the callback fails with it.
    let hookFailed: Promise<never> | undefined
    const flowProvider = loopbackFlowProvider(provider, {
      redirectUrl: callbackUrl,
      onAuthorizationUrl: async (authorizationUrl) => {
        loopback?.expectState(authorizationUrl.searchParams.get('state') ?? undefined)
        waitingForCallback = true
        log('info', `authenticate(): waiting for the authorization at ${callbackUrl}`)
        const hook =
          options.onAuthorizationUrl ?? ((url: URL) => provider.redirectToAuthorization(url))
        const running = (async () => hook(authorizationUrl))()
        hookSettled = running.catch(() => {})
        hookFailed = running.then(() => new Promise<never>(() => {}))
        hookFailed.catch(() => {})
      },
    })

    const started = await step(
      auth(flowProvider, {
        serverUrl,
        fetchFn,
        ...scope,
        // A refresh cannot sign in someone else or widen the scope: `force` skips it.
        ...(options.force ? { forceReauthorization: true } : {}),
      }),
      'Starting the authorization',
    )
    // A refresh token did the job: no browser needed.
    if (started === 'AUTHORIZED') return

    const exchange = async ({ params, answer }: AuthorizationResponse): Promise<void> => {
      const iss = params.get('iss') ?? undefined
      const error = params.get('error')
      if (error) {
        await step(
          checkErrorResponseIssuer(flowProvider, iss),
          'Finishing the authorization',
        ).catch((mismatch: unknown) => {
          answer(400, 'This authorization response does not come from the expected server.')
          throw mismatch
        })
        answer(200, `Authorization failed: ${error}. You can close this window.`)
        const description = params.get('error_description')
        throw fail(
          'UNAUTHORIZED',
          `the authorization server refused the authorization: ${error}${description ? ` (${description})` : ''}.`,
        )
      }
      const code = params.get('code') ?? ''
      try {
        const exchanged = await step(
          auth(flowProvider, {
            serverUrl,
            authorizationCode: code,
            ...(iss === undefined ? {} : { iss }),
            fetchFn,
          }),
          'Exchanging the authorization code',
        )
        if (exchanged !== 'AUTHORIZED') throw fail('UNAUTHORIZED', 'the code exchange failed.')
      } catch (failure) {
        answer(500, 'Authorization failed while exchanging the code. You can close this window.')
        throw failure
      }
      answer(200, 'Authorization complete. You can close this window.')
    }

    const response = await step(
      hookFailed ? Promise.race([loopback.response, hookFailed]) : loopback.response,
      'Opening the authorization URL',
    )
    waitingForCallback = false
    await exchange(response)
    log('info', 'authenticate(): authorized')
  } finally {
    // A hook that drives the browser sees the loopback server's answer before this returns.
    await untilAborted(hookSettled, deadline.signal).catch(() => {})
    deadline.dispose()
    if (loopback) await loopback.close()
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return `: ${reason.message}`
  if (typeof reason === 'string' && reason) return `: ${reason}`
  return ''
}
