// stepUpServer(): what MCPClient gets after a 403 insufficient_scope, by kind of provider.
// The machine client's new token comes from `fakeNetwork()`; the browser step-up of a
// command-line program runs against oidc-provider in tests/oauth/client-step-up.test.ts.
import { InsufficientScopeClientError, type ScopeStepUpRequest } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { errorOf, fakeNetwork, ISSUER, machineProvider, RESOURCE } from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { createSimpleTokenProvider } from './simple-token-provider.js'
import { stepUpServer } from './step-up.js'

function request(
  authProvider: unknown,
  requiredScope: string | undefined,
  fetchFn?: ReturnType<typeof fakeNetwork>['fetchFn'],
): ScopeStepUpRequest {
  return {
    serverName: 'docs',
    definition: {
      url: RESOURCE,
      authProvider: authProvider as never,
      ...(fetchFn ? { fetch: (url, init) => fetchFn(url, init) } : {}),
    },
    challenge: { requiredScope, errorDescription: 'needs files:write' },
    log: () => {},
  }
}

async function typedError(action: () => unknown) {
  const error = await errorOf(action)
  expect(error).toBeInstanceOf(InsufficientScopeClientError)
  return error as InsufficientScopeClientError
}

describe('stepUpServer()', () => {
  it('gives a service the required scope and the union to ask for, sending nothing', async () => {
    const network = fakeNetwork()
    const provider = new MCPOAuthClientProvider({
      serverUrl: RESOURCE,
      redirectUrl: 'https://app.example.com/callback',
      onRedirectToAuthorization: () => {
        throw new Error('no redirect expected')
      },
    })
    await provider.saveTokens({
      access_token: 'a',
      token_type: 'Bearer',
      scope: 'files:read',
      issuer: ISSUER,
    })
    const error = await typedError(() =>
      stepUpServer(request(provider, 'files:write', network.fetchFn)),
    )
    expect(error.code).toBe('INSUFFICIENT_SCOPE')
    expect(error.serverName).toBe('docs')
    expect(error.requiredScope).toBe('files:write')
    expect(error.scope).toBe('files:read files:write')
    expect(error.message).toMatch(/needs files:write/)
    expect(error.message).toMatch(/authorizationUrl/)
    expect(network.requests).toEqual([])
  })

  it('says why nothing can help: a static token, no scope named, or a scope already held', async () => {
    const simple = await typedError(() =>
      stepUpServer(request(createSimpleTokenProvider('t'), 'files:write')),
    )
    expect(simple.message).toMatch(/static token/)
    const provider = new MCPOAuthClientProvider({
      serverUrl: RESOURCE,
      redirectUrl: 'https://app.example.com/callback',
    })
    await provider.saveTokens({ access_token: 'a', token_type: 'Bearer', scope: 'files:write' })
    expect((await typedError(() => stepUpServer(request(provider, undefined)))).message).toMatch(
      /names no scope/,
    )
    expect(
      (await typedError(() => stepUpServer(request(provider, 'files:write')))).message,
    ).toMatch(/already holds/)
  })

  it('gets a machine client a token for the union of scopes', async () => {
    const network = fakeNetwork()
    const machine = machineProvider()
    await machine.saveTokens({ access_token: 'a', token_type: 'Bearer', scope: 'files:read' })
    await stepUpServer(request(machine, 'files:write', network.fetchFn))
    expect(network.tokenRequests()).toHaveLength(1)
    expect(network.tokenRequests()[0]?.params).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'files:read files:write',
    })
    expect((await machine.tokens())?.access_token).toBe('access-1')
  })

  it('reports a machine client’s refused scope as INSUFFICIENT_SCOPE', async () => {
    const network = fakeNetwork({
      token: () => ({ status: 400, body: { error: 'invalid_scope' } }),
    })
    const machine = machineProvider()
    const error = await typedError(() =>
      stepUpServer(request(machine, 'files:admin', network.fetchFn)),
    )
    expect(error.message).toMatch(/invalid_scope/)
  })
})
