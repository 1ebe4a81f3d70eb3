/**
 * What `@mcpkit/oauth` relies on in the MCP SDK beyond its documented contract, in one place.
 * Everything here is true of the SDK version in the lockfile and checked by
 * `sdk-contract.test.ts` against the installed SDK: when an upgrade changes one of these, that
 * test fails and names the assumption, instead of a provider silently misbehaving.
 *
 * The rest of the package uses the SDK only through its documented API (`auth()`,
 * `refreshAuthorization()`, `OAuthClientProvider`, `OAuthError` + `OAuthErrorCode`, …).
 */

import { formatIssues } from '@mcpkit/types'
import {
  type AuthResult,
  auth,
  type FetchLike,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from '@modelcontextprotocol/client'
import { OAuthError } from '@modelcontextprotocol/server'

/**
 * Whether `error` is an SDK `OAuthError`, from any copy of the SDK: this package's, the
 * client package's, or the one an app bundles with its own `@modelcontextprotocol/server`.
 *
 * Relies on: the SDK's error brand (`OAuthError.isInstance`) matching across separately
 * bundled copies of the same major version. The upgrade guide states it for `instanceof`
 * ("brand-match … across separately bundled copies") but also warns that client and server
 * "each bundle their own copy"; the test checks both directions, CommonJS copies included.
 */
export function isOAuthError(error: unknown): error is OAuthError {
  return OAuthError.isInstance(error)
}

/**
 * The fields an OAuth document (discovery metadata, a token or registration response) failed
 * on, as `path: message; …`, or `undefined` when `error` is not such a failure.
 *
 * Relies on: the SDK validating those documents with its bundled zod and throwing the zod
 * error as it is (an `Error` with an `issues` array of `{ path, message }`). The SDK documents
 * no error type for this; without the issues, users would get a JSON dump of them.
 */
export function schemaIssues(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  const issues = (error as { issues?: unknown }).issues
  if (!Array.isArray(issues) || issues.length === 0) return undefined
  return formatIssues(issues, 5)
}

/**
 * Gets a new token for a provider without `redirectUrl` (`client_credentials`, or any grant
 * its `prepareTokenRequest()` builds) through the SDK's `auth()`.
 *
 * Relies on: `auth()` taking its non-interactive path without calling `provider.tokens()`.
 * `MCPOAuthClientProvider` renews inside `tokens()`, single-flight per storage: a `tokens()`
 * call from inside the renewal would wait for the renewal itself, forever.
 */
export function fetchTokenWithoutReadingTokens(
  provider: OAuthClientProvider,
  options: { serverUrl: string | URL; fetchFn: FetchLike },
): Promise<AuthResult> {
  return auth(provider, { serverUrl: options.serverUrl, fetchFn: options.fetchFn })
}

/**
 * The `discoveryState` member of a provider that must never start an authorization (a static
 * token): it throws `refusal()`, and with it every `auth()` call, the transports' 401 retry and
 * 403 step-up included, fails before any request leaves the process.
 *
 * Relies on: `auth()` reading `provider.discoveryState()` before any discovery request,
 * registration or redirect.
 */
export function refusingDiscoveryState(
  refusal: () => Error,
): Required<Pick<OAuthClientProvider, 'discoveryState'>> {
  return {
    discoveryState: () => {
      throw refusal()
    },
  }
}

/**
 * Runs `check` on a discovery result that `auth()` hands to `saveDiscoveryState()`, then
 * `save`s it. A `check` that throws stops the flow with nothing sent to that authorization
 * server.
 *
 * Relies on: `auth()` calling `saveDiscoveryState()` with every fresh discovery result before
 * it registers a client, redirects the user, or sends a code, a secret or a refresh token,
 * and propagating what it throws. (Discovery's own GETs of public metadata come first.)
 */
export async function vetDiscoveryState(
  state: OAuthDiscoveryState,
  check: (state: OAuthDiscoveryState) => void,
  save: (state: OAuthDiscoveryState) => Promise<void>,
): Promise<void> {
  check(state)
  await save(state)
}

/**
 * Reads the discovery result for one run of `auth()` and starts that run's flow state with it
 * (`begin`): the provider keeps in memory what the run discovers and asks for, and stores it
 * only once the run hands the user an authorization URL or yields tokens.
 *
 * Relies on: `auth()` calling `provider.discoveryState()` once at the start of every run,
 * before it calls `saveDiscoveryState()`, `prepareTokenRequest()`,
 * `redirectToAuthorization()` or `saveTokens()`. (The SDK documents what `discoveryState()`
 * returns, not when it is called.)
 */
export async function beginAuthRun<State>(
  read: () => Promise<State>,
  begin: (state: State) => void,
): Promise<State> {
  const state = await read()
  begin(state)
  return state
}
