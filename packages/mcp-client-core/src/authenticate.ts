import {
  type AuthenticateOptions,
  type HttpServerDefinition,
  InsufficientScopeClientError,
  type Log,
  MCPClientError,
  type ScopeChallenge,
  type ScopeStepUpRequest,
  type ServerAuthorizationRequest,
  type ServerDefinition,
} from '@mcpkit/types'
import { InsufficientScopeError } from '@modelcontextprotocol/client'

/** What this package uses of `@mcpkit/oauth`: the contract lives in `@mcpkit/types`. */
interface OAuthModule {
  authorizeServer(request: ServerAuthorizationRequest): Promise<void>
  stepUpServer(request: ScopeStepUpRequest): Promise<void>
}

/**
 * A 403 `insufficient_scope` the transport passed up (the `authProvider` said
 * `onInsufficientScope: 'throw'`): `@mcpkit/oauth` widens the authorization, and the request
 * is then sent once more, or it throws what the caller gets (`InsufficientScopeClientError`).
 * Without `@mcpkit/oauth`, `false`: the failure is reported as it is.
 */
export async function stepUpScope(request: {
  serverName: string
  definition: ServerDefinition
  challenge: ScopeChallenge
  log: Log
}): Promise<boolean> {
  const { definition, log } = request
  if (!('url' in definition) || definition.url === undefined) return false
  const oauth = await loadOAuth()
  if (!oauth) return false
  await oauth.stepUpServer({
    ...request,
    definition: definition as HttpServerDefinition,
    log: (level, message) => log(level, message),
  })
  return true
}

/**
 * The step-up of one request: a 403 `insufficient_scope` refused it before it ran. Once the
 * auth provider holds a wider token (`stepUpScope`), `true`: send it once more. Refused again,
 * it throws `InsufficientScopeClientError`; any other error gives `false`.
 */
export function scopeStepUp(request: {
  serverName: string
  definition: ServerDefinition
  log: Log
  /** The operation, as errors name it. */
  what: string
}): (error: unknown) => Promise<boolean> {
  const { serverName, definition, log, what } = request
  // Only an `authProvider` passes a 403 `insufficient_scope` up: without one, nothing to step up.
  if (!('authProvider' in definition) || !definition.authProvider) return noStepUp
  let steppedUp = false
  return async (error) => {
    const challenge = scopeChallengeOf(error)
    if (!challenge) return false
    if (steppedUp) {
      throw new InsufficientScopeClientError(
        `Server "${serverName}": ${what} was refused for lack of scope "${challenge.requiredScope ?? ''}" again after a new authorization: the authorization server did not grant it.`,
        { requiredScope: challenge.requiredScope, serverName, cause: error },
      )
    }
    steppedUp = true
    return stepUpScope({ serverName, definition, challenge, log })
  }
}

const noStepUp = (): Promise<boolean> => Promise.resolve(false)

/** The challenge of a 403 `insufficient_scope` the transport passed up (also inside a connect error). */
function scopeChallengeOf(error: unknown): ScopeChallenge | undefined {
  const found = InsufficientScopeError.isInstance(error)
    ? error
    : error instanceof MCPClientError && InsufficientScopeError.isInstance(error.cause)
      ? error.cause
      : undefined
  if (!found) return undefined
  return {
    requiredScope: found.requiredScope,
    resourceMetadataUrl: found.resourceMetadataUrl?.href,
    errorDescription: found.errorDescription,
  }
}

/**
 * `MCPClient.authenticate()`: checks the server can be authorized, then hands the flow to
 * `@mcpkit/oauth` (an optional peer, loaded on first use), which owns all OAuth code.
 */
export async function authenticate(request: {
  serverName: string
  definition: ServerDefinition
  options: AuthenticateOptions
  log: Log
}): Promise<void> {
  const { serverName, definition, options, log } = request
  const refuse = (message: string) =>
    new MCPClientError('INVALID_CONFIGURATION', `Server "${serverName}": ${message}`, {
      serverName,
    })
  if (!('url' in definition) || definition.url === undefined) {
    throw refuse(
      'authenticate() needs an HTTP server (`url`) with an `authProvider`; this is a stdio server, which has no OAuth.',
    )
  }
  if (!definition.authProvider) {
    throw refuse(
      'authenticate() needs an `authProvider` on the server definition (e.g. an MCPOAuthClientProvider).',
    )
  }
  const oauth = await loadOAuth()
  if (!oauth) {
    throw refuse(
      'authenticate() runs the OAuth flow of @mcpkit/oauth: install it (npm i @mcpkit/oauth).',
    )
  }
  await oauth.authorizeServer({
    serverName,
    definition: definition as HttpServerDefinition,
    options,
    log: (level, message) => log(level, message),
  })
}

/** `@mcpkit/oauth`, loaded on first use; `undefined` when it is not installed. */
async function loadOAuth(): Promise<OAuthModule | undefined> {
  try {
    return (await import('@mcpkit/oauth')) satisfies OAuthModule
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error
    return undefined
  }
}
