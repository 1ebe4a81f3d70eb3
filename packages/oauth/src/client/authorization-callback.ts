import { MCPClientError } from '@mcpkit/types'
import {
  auth,
  type OAuthDiscoveryState,
  validateAuthorizationResponseIssuer,
} from '@modelcontextprotocol/client'
import { describeAuthFailure, trackingFetch } from './auth-failure.js'
import { callbackDiscovery, endPendingAuthorization } from './discovery-record.js'
import { flowProviders } from './flow-providers.js'
import type { ProviderContext } from './provider-context.js'
import { unattached } from './provider-store.js'

/** What finishes an authorization: the callback URL, or its `code` and `state` parameters. */
export type AuthorizationCallback =
  | string
  | URL
  | URLSearchParams
  | { code: string; state: string | null | undefined; iss?: string | null | undefined }

/** The parameters of an authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`). */
interface CallbackParameters {
  code: string | undefined
  state: string | undefined
  error: string | undefined
  errorDescription: string | undefined
  iss: string | undefined
}

/**
 * Finishes an authorization after the user came back to the redirect URL: the callback's
 * `state` must be the pending one (used once; a callback with another `state` is refused and
 * its code never used); an error response is reported once its `iss` checks out (RFC 9207);
 * then the SDK's `auth()` checks `iss` and exchanges the code (PKCE, `resource`) with the
 * discovery result the authorization was started with. Whatever the outcome, the pending
 * authorization is over.
 */
export async function finishAuthorization(
  context: ProviderContext,
  callback: AuthorizationCallback,
): Promise<void> {
  const { settings, store, provider } = context
  const { serverUrl, principal } = settings
  if (serverUrl === undefined) throw unattached()
  const refuse = (message: string) => new MCPClientError('UNAUTHORIZED', message)
  const { code, state, error, errorDescription, iss } = parseCallback(callback)
  const expected = await store.get('state')
  if (!expected) {
    throw refuse(
      `No authorization is pending for MCP server ${serverUrl} and principal "${principal}" (it was finished already, or started with another storage): the callback was not used.`,
    )
  }
  if (state !== expected) {
    throw refuse(
      `The authorization callback for MCP server ${serverUrl} has ${state ? 'a different' : 'no'} \`state\` than the request this provider sent: it was refused and its code not used.`,
    )
  }
  await store.delete('state')
  const tracking = trackingFetch(settings.fetch)
  const failure = (cause: unknown, action: string) =>
    describeAuthFailure(cause, {
      subject: `${action} for MCP server ${serverUrl}`,
      lastUrl: tracking.lastUrl(),
    })
  if (error) {
    try {
      await checkErrorResponseIssuer(await callbackDiscovery(store), iss)
    } catch (cause) {
      throw failure(cause, 'Finishing the authorization')
    } finally {
      await endPendingAuthorization(store)
    }
    throw refuse(
      `The authorization server refused the authorization for MCP server ${serverUrl}: ${error}${errorDescription ? ` (${errorDescription})` : ''}.`,
    )
  }
  if (!code) throw refuse(`The authorization callback for MCP server ${serverUrl} has no \`code\`.`)
  let result: string
  try {
    result = await auth(flowProviders(provider, {}).exchange, {
      serverUrl,
      authorizationCode: code,
      ...(iss === undefined ? {} : { iss }),
      fetchFn: tracking.fetch,
    })
  } catch (cause) {
    throw failure(cause, 'Exchanging the authorization code')
  } finally {
    await endPendingAuthorization(store)
  }
  if (result !== 'AUTHORIZED') {
    throw refuse(
      `Exchanging the authorization code for MCP server ${serverUrl} did not yield tokens.`,
    )
  }
}

/**
 * Checks the `iss` of an error response (RFC 9207) against the issuer recorded at discovery
 * (`discovery`, the pending authorization's), before its `error` is shown to anyone: in a
 * mix-up attack that text is the attacker's. Throws the SDK's `IssuerMismatchError`. (For a
 * response with a code, `auth()` makes the same check itself before the code is sent
 * anywhere.)
 */
export async function checkErrorResponseIssuer(
  discovery: OAuthDiscoveryState | undefined,
  iss: string | undefined,
): Promise<void> {
  const metadata = discovery?.authorizationServerMetadata
  validateAuthorizationResponseIssuer({
    iss,
    expectedIssuer: metadata?.issuer,
    issParameterSupported: metadata?.authorization_response_iss_parameter_supported === true,
  })
}

function parseCallback(callback: AuthorizationCallback): CallbackParameters {
  let params: URLSearchParams
  if (callback instanceof URLSearchParams) {
    params = callback
  } else if (callback instanceof URL) {
    params = callback.searchParams
  } else if (typeof callback === 'string') {
    let url: URL
    try {
      url = new URL(callback, 'http://callback.invalid')
    } catch {
      throw invalidCallback()
    }
    if (!url.searchParams.has('code') && !url.searchParams.has('error')) throw invalidCallback()
    params = url.searchParams
  } else if (callback && typeof callback === 'object' && typeof callback.code === 'string') {
    return {
      code: callback.code,
      state: callback.state ?? undefined,
      error: undefined,
      errorDescription: undefined,
      iss: callback.iss ?? undefined,
    }
  } else {
    throw invalidCallback()
  }
  return {
    code: params.get('code') ?? undefined,
    state: params.get('state') ?? undefined,
    error: params.get('error') ?? undefined,
    errorDescription: params.get('error_description') ?? undefined,
    iss: params.get('iss') ?? undefined,
  }
}

function invalidCallback(): MCPClientError {
  return new MCPClientError(
    'UNAUTHORIZED',
    'finishAuthorization() takes the callback URL (with `code` and `state`, or `error`), its query parameters, or `{ code, state }`.',
  )
}
