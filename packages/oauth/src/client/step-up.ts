import { InsufficientScopeClientError, type ScopeStepUpRequest, safeLog } from '@mcpkit/types'
import {
  auth,
  computeScopeUnion,
  createFetchWithInit,
  type FetchLike,
  isStrictScopeSuperset,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client'
import { isOAuthError } from '../sdk-contract.js'
import { describeAuthFailure, trackingFetch } from './auth-failure.js'
import { authorizeServer, authorizesThroughLoopback } from './authorize-server.js'
import { flowProviders } from './flow-providers.js'
import { providerContextOf } from './provider-context.js'
import { isStaticTokenProvider } from './simple-token-provider.js'
import { heldScope } from './token-renewal.js'

/**
 * Scope step-up after a 403 `insufficient_scope` (the MCP authorization spec's "Step-Up
 * Authorization Flow", SEP-2350), as `MCPClient` runs it when the server definition's
 * `authProvider` passed the answer up (`onInsufficientScope: 'throw'`). The scope to ask for is
 * the union of what the tokens hold and what the challenge requires. Then, by provider:
 * - one that went through `MCPClient.authenticate()` in this process (a command-line program):
 *   one new loopback authorization for that scope, the browser opened as before;
 * - a machine client (no `redirectUrl`, e.g. `clientCredentials()`): a new token for that scope;
 * - any other (a service, whose user is elsewhere), a static token, or a challenge that names no
 *   scope or none beyond what the tokens hold: an `InsufficientScopeClientError` carrying the
 *   required scope and the scope to ask for, with nothing sent anywhere.
 *
 * Resolves when the provider holds the wider token: `MCPClient` then sends the request once
 * more (the server refused it before running it).
 */
export async function stepUpServer(request: ScopeStepUpRequest): Promise<void> {
  const { serverName, definition, challenge } = request
  const log = safeLog(request.log)
  const provider = definition.authProvider as unknown as OAuthClientProvider | undefined
  const required = challenge.requiredScope || undefined
  const context = providerContextOf(provider)
  const held = context
    ? await heldScope(context.store)
    : ((await provider?.tokens())?.scope ?? undefined)
  const scope = computeScopeUnion(held, required)
  const refuse = (why: string, cause?: unknown) =>
    new InsufficientScopeClientError(
      `Server "${serverName}" refused the request for lack of scope (403 insufficient_scope${challenge.errorDescription ? `: ${challenge.errorDescription}` : ''}); ${why}`,
      { requiredScope: required, scope, serverName, cause },
    )
  if (!provider) throw refuse('the server definition has no authProvider.')
  if (isStaticTokenProvider(provider)) {
    throw refuse(
      `a static token (createSimpleTokenProvider) cannot be widened: supply a token that also grants "${required ?? '(unnamed)'}".`,
    )
  }
  if (!required) {
    throw refuse('the challenge names no scope, so no authorization could satisfy it.')
  }
  if (!isStrictScopeSuperset(scope, held)) {
    throw refuse(
      `the token already holds "${required}": a new authorization would not change the answer. The server's scope rules or the authorization server's grant need fixing.`,
    )
  }

  if (authorizesThroughLoopback(provider)) {
    log('info', `step-up: authorizing scope "${scope}" in the browser`)
    await authorizeServer({
      serverName,
      definition,
      options: { force: true, ...(scope ? { scope } : {}) },
      log: request.log,
    })
    return
  }

  if (!provider.redirectUrl) {
    log('info', `step-up: getting a token for scope "${scope}"`)
    const baseFetch: FetchLike = definition.fetch
      ? (url, init) => definition.fetch!(url, init, null)
      : (url, init) => fetch(url, init)
    const tracking = trackingFetch(createFetchWithInit(baseFetch, definition.requestInit))
    const resourceMetadataUrl = challenge.resourceMetadataUrl
      ? new URL(challenge.resourceMetadataUrl)
      : undefined
    let result: string
    try {
      result = await auth(flowProviders(provider, {}).start, {
        serverUrl: new URL(definition.url),
        fetchFn: tracking.fetch,
        ...(scope ? { scope } : {}),
        ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
      })
    } catch (cause) {
      const failure = describeAuthFailure(cause, {
        subject: `Server "${serverName}": getting a token for scope "${scope}"`,
        lastUrl: tracking.lastUrl(),
        serverName,
      })
      // A refused grant is the answer to the step-up; anything else (the network, an issuer
      // the credentials do not belong to) is reported as it is.
      if (!isOAuthError(cause)) throw failure
      throw refuse(`the authorization server did not grant it: ${failure.message}`, failure)
    }
    if (result !== 'AUTHORIZED') throw refuse('the authorization server issued no token.')
    return
  }

  throw refuse(
    `ask the user to grant "${scope}" (for MCPOAuthClientProvider: redirect them to await provider.authorizationUrl({ scope: error.scope }) and finish with finishAuthorization()), then send the request again.`,
  )
}
