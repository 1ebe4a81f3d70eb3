import { MCPClientError, type ServerAuthorizationRequest, safeLog } from '@mcpkit/types'
import {
  auth,
  createFetchWithInit,
  type FetchLike,
  isStrictScopeSuperset,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client'
import { describeAuthFailure, trackingFetch } from './auth-failure.js'
import { checkErrorResponseIssuer } from './authorization-callback.js'
import { authorizationDeadline, untilAborted } from './authorization-deadline.js'
import { callbackDiscovery, endPendingAuthorization } from './discovery-record.js'
import { flowProviders } from './flow-providers.js'
import {
  type AuthorizationResponse,
  type LoopbackCallback,
  loopbackRedirect,
  startLoopbackCallback,
} from './loopback-callback.js'
import { providerContextOf } from './provider-context.js'
import { probeServerChallenge } from './server-challenge.js'
import { heldScope } from './token-renewal.js'

const DEFAULT_TIMEOUT_MS = 5 * 60_000

/**
 * Providers that went through the loopback flow in this process: a command-line program with
 * a browser at hand, whose step-up (403 `insufficient_scope`) runs that flow again.
 */
const loopbackProviders = new WeakSet<object>()

/** Whether `provider` authorizes through `authorizeServer()`'s loopback flow in this process. */
export function authorizesThroughLoopback(provider: object): boolean {
  return loopbackProviders.has(provider)
}

/**
 * OAuth for command-line programs (RFC 8252), as `MCPClient.authenticate()` runs it: first the
 * server's challenge (a request without credentials: its `WWW-Authenticate` names the
 * protected-resource metadata and the scope to ask for), then the SDK's `auth()` with the
 * server definition's `authProvider`, discovery run afresh from that challenge, the
 * authorization response received on a loopback server on 127.0.0.1, and the code exchanged.
 * A provider that is not bound to a server yet is bound to the definition's `url`. The
 * provider's redirect URL must be
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
  const context = providerContextOf(provider)
  if (context) {
    // The provider of this definition: bound to its URL now if it was not (used without an
    // MCPClient), refused if it belongs to another server.
    const attach = (provider as unknown as { attachToServer(server: object): void }).attachToServer
    try {
      attach.call(provider, { serverName, url: serverUrl })
    } catch {
      throw misconfigured(
        `the authProvider is for ${context.settings.serverUrl}, but the server's url is ${serverUrl.href}. Give each server its own provider.`,
      )
    }
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
  let started = false
  try {
    if (!options.force) {
      const tokens = await step((async () => provider.tokens())(), 'Reading the stored tokens')
      const held = context ? await heldScope(context.store) : tokens?.scope
      const wider = options.scope !== undefined && isStrictScopeSuperset(options.scope, held)
      if (tokens?.access_token && !wider) {
        if (hasLoopbackRedirect(provider)) loopbackProviders.add(provider)
        log('debug', 'authenticate(): the auth provider already has an access token')
        return
      }
    }

    // Refused before anything is sent: a redirect that cannot come back to this process.
    const redirect = provider.redirectUrl
      ? loopbackRedirect(String(provider.redirectUrl), misconfigured)
      : undefined

    // The spec's discovery starts from the server's answer to a request without credentials:
    // its challenge may name protected-resource metadata that no well-known URL serves, and
    // the scope to ask for.
    const challenge = await step(probeServerChallenge(serverUrl, fetchFn), 'Asking the server')
    if (challenge.resourceMetadataUrl || challenge.scope) {
      log(
        'debug',
        `authenticate(): the server's challenge names ${challenge.resourceMetadataUrl ? `resource metadata ${challenge.resourceMetadataUrl.href}` : 'no resource metadata'} and ${challenge.scope ? `scope "${challenge.scope}"` : 'no scope'}`,
      )
    } else {
      log(
        'debug',
        `authenticate(): the server answered ${challenge.status} without a challenge; discovering from its well-known URLs`,
      )
    }
    const fromChallenge = {
      ...(challenge.resourceMetadataUrl
        ? { resourceMetadataUrl: challenge.resourceMetadataUrl }
        : {}),
      ...(options.scope === undefined && challenge.scope ? { scope: challenge.scope } : scope),
    }

    if (!redirect) {
      // A machine client (client_credentials, jwt-bearer): no user, no browser.
      const { start } = flowProviders(provider, {})
      const result = await step(
        auth(start, { serverUrl, fetchFn, ...fromChallenge }),
        'Getting a token',
      )
      if (result !== 'AUTHORIZED') throw fail('UNAUTHORIZED', 'no token was issued.')
      return
    }

    loopbackProviders.add(provider)
    loopback = await startLoopbackCallback(redirect, { fail: misconfigured, log })
    const callbackUrl = loopback.redirectUrl
    // The hook may drive the browser to the end (a headless login does): the loopback server
    // answers that browser only after the code exchange, so the hook is not awaited here; if it
    // fails, the wait for the callback fails with it.
    let hookFailed: Promise<never> | undefined
    const flow = flowProviders(provider, {
      redirectUrl: callbackUrl,
      onAuthorizationUrl: async (authorizationUrl) => {
        started = true
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

    const result = await step(
      auth(flow.start, {
        serverUrl,
        fetchFn,
        ...fromChallenge,
        // A refresh cannot sign in someone else or widen the scope: `force` (or a wider
        // `scope` than the tokens hold) skips it.
        ...(options.force || options.scope !== undefined ? { forceReauthorization: true } : {}),
      }),
      'Starting the authorization',
    )
    // A refresh token did the job: no browser needed.
    if (result === 'AUTHORIZED') return

    const exchange = async ({ params, answer }: AuthorizationResponse): Promise<void> => {
      const iss = params.get('iss') ?? undefined
      const error = params.get('error')
      if (error) {
        const discovery = context
          ? await callbackDiscovery(context.store)
          : await flow.exchange.discoveryState?.()
        await step(checkErrorResponseIssuer(discovery, iss), 'Finishing the authorization').catch(
          (mismatch: unknown) => {
            answer(400, 'This authorization response does not come from the expected server.')
            throw mismatch
          },
        )
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
          auth(flow.exchange, {
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
    // Whatever happened, this authorization is over: nothing it started steers the next one.
    if (started && context) await endPendingAuthorization(context.store).catch(() => {})
  }
}

function hasLoopbackRedirect(provider: OAuthClientProvider): boolean {
  if (!provider.redirectUrl) return false
  try {
    loopbackRedirect(
      String(provider.redirectUrl),
      (message) => new MCPClientError('INVALID_CONFIGURATION', message),
    )
    return true
  } catch {
    return false
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return `: ${reason.message}`
  if (typeof reason === 'string' && reason) return `: ${reason}`
  return ''
}
