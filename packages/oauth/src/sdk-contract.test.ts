// The SDK behaviours `sdk-contract.ts` relies on, checked against the installed SDK. A failure
// here after an SDK upgrade means one of them changed: read the JSDoc of the function named in
// the test, then adapt the package (not this test) to the new behaviour.
import { createRequire } from 'node:module'
import {
  auth,
  OAuthError as ClientOAuthError,
  discoverAuthorizationServerMetadata,
  type OAuthClientProvider,
  OAuthErrorCode,
  type OAuthTokens,
} from '@modelcontextprotocol/client'
import { OAuthError as ServerOAuthError } from '@modelcontextprotocol/server'
import { describe, expect, it } from 'vitest'
import {
  beginAuthRun,
  fetchTokenWithoutReadingTokens,
  isOAuthError,
  refusingDiscoveryState,
  schemaIssues,
  vetDiscoveryState,
} from './sdk-contract.js'
import { fakeNetwork, ISSUER, RESOURCE } from './test-support.js'

const require = createRequire(import.meta.url)

function baseProvider(overrides: Partial<OAuthClientProvider>): OAuthClientProvider {
  return {
    redirectUrl: undefined,
    clientMetadata: { redirect_uris: [], grant_types: ['client_credentials'] },
    clientInformation: () => ({ client_id: 'machine', client_secret: 'secret', issuer: ISSUER }),
    tokens: () => undefined,
    saveTokens: () => {},
    redirectToAuthorization: () => {
      throw new Error('no redirect expected')
    },
    saveCodeVerifier: () => {},
    codeVerifier: () => '',
    prepareTokenRequest: () => new URLSearchParams({ grant_type: 'client_credentials' }),
    ...overrides,
  }
}

describe('isOAuthError()', () => {
  it('recognizes an OAuthError from the client package and from a CommonJS copy of the server package', () => {
    const serverCjs = require('@modelcontextprotocol/server') as {
      OAuthError: typeof ServerOAuthError
    }
    const clientCjs = require('@modelcontextprotocol/client') as {
      OAuthError: typeof ClientOAuthError
    }
    expect(serverCjs.OAuthError).not.toBe(ServerOAuthError)
    expect(ClientOAuthError as unknown).not.toBe(ServerOAuthError)
    for (const OAuthErrorClass of [
      ServerOAuthError,
      ClientOAuthError,
      serverCjs.OAuthError,
      clientCjs.OAuthError,
    ]) {
      const error = new OAuthErrorClass(OAuthErrorCode.InvalidToken, 'expired')
      expect(isOAuthError(error)).toBe(true)
      expect(error.code).toBe('invalid_token')
    }
    // A subclass keeps the brand.
    class Custom extends ServerOAuthError {}
    expect(isOAuthError(new Custom(OAuthErrorCode.InvalidToken, 'x'))).toBe(true)
    expect(isOAuthError(Object.assign(new Error('x'), { code: 'invalid_token' }))).toBe(false)
  })
})

describe('schemaIssues()', () => {
  it('lists the fields of an invalid authorization server metadata document', async () => {
    const { fetchFn } = fakeNetwork({ metadata: { authorization_endpoint: 42 } })
    const error = await discoverAuthorizationServerMetadata(ISSUER, { fetchFn }).catch(
      (caught: unknown) => caught,
    )
    expect(schemaIssues(error)).toMatch(/^authorization_endpoint: /)
    expect(schemaIssues(new Error('plain'))).toBeUndefined()
  })
})

describe('fetchTokenWithoutReadingTokens()', () => {
  it('gets a client_credentials token without calling tokens()', async () => {
    const { fetchFn, requests } = fakeNetwork()
    const saved: OAuthTokens[] = []
    const provider = baseProvider({
      tokens: () => {
        throw new Error('auth() read tokens() on its non-interactive path')
      },
      saveTokens: (tokens) => {
        saved.push(tokens)
      },
    })
    const result = await fetchTokenWithoutReadingTokens(provider, { serverUrl: RESOURCE, fetchFn })
    expect(result).toBe('AUTHORIZED')
    expect(saved[0]?.access_token).toBe('access-1')
    expect(requests.map((request) => `${request.method} ${request.url}`)).toContain(
      `POST ${ISSUER}/token`,
    )
  })
})

describe('refusingDiscoveryState()', () => {
  it('stops auth() before any request', async () => {
    const { fetchFn, requests } = fakeNetwork()
    const refusal = new Error('static token refused')
    const provider = baseProvider({
      redirectUrl: 'https://app.example.com/callback',
      ...refusingDiscoveryState(() => refusal),
    })
    await expect(
      fetchTokenWithoutReadingTokens(provider, { serverUrl: RESOURCE, fetchFn }),
    ).rejects.toBe(refusal)
    expect(requests).toEqual([])
  })
})

describe('vetDiscoveryState()', () => {
  it('sees every fresh discovery result before registration, redirect or token request', async () => {
    const { fetchFn, requests } = fakeNetwork()
    const refusal = new Error('unsafe authorization server')
    let vetted = 0
    for (const interactive of [false, true]) {
      const provider = baseProvider({
        ...(interactive
          ? {
              redirectUrl: 'https://app.example.com/callback',
              clientInformation: () => undefined,
              saveClientInformation: () => {},
            }
          : {}),
        saveDiscoveryState: (state) =>
          vetDiscoveryState(
            state,
            () => {
              vetted++
              throw refusal
            },
            async () => {},
          ),
      })
      await expect(
        fetchTokenWithoutReadingTokens(provider, { serverUrl: RESOURCE, fetchFn }),
      ).rejects.toBe(refusal)
    }
    expect(vetted).toBe(2)
    // Only public metadata was read: nothing POSTed (no registration, no token request).
    expect(requests.filter((request) => request.method !== 'GET')).toEqual([])
  })
})

describe('beginAuthRun()', () => {
  it('runs first in every auth() run, before anything is saved, asked or redirected', async () => {
    const { fetchFn } = fakeNetwork()
    const calls: string[] = []
    const record = (name: string) => () => {
      calls.push(name)
    }
    const common: Partial<OAuthClientProvider> = {
      discoveryState: () =>
        beginAuthRun(
          async () => undefined,
          () => calls.push('begin'),
        ),
      saveDiscoveryState: record('saveDiscoveryState'),
      saveTokens: record('saveTokens'),
    }
    const machine = baseProvider({
      ...common,
      prepareTokenRequest: () => {
        calls.push('prepareTokenRequest')
        return new URLSearchParams({ grant_type: 'client_credentials' })
      },
    })
    const { prepareTokenRequest: _none, ...interactive } = baseProvider({
      ...common,
      redirectUrl: 'https://app.example.com/callback',
      redirectToAuthorization: record('redirectToAuthorization'),
    })
    for (const provider of [machine, interactive as OAuthClientProvider]) {
      calls.length = 0
      await auth(provider, { serverUrl: RESOURCE, fetchFn })
      expect(calls[0]).toBe('begin')
      expect(calls.filter((call) => call === 'begin')).toHaveLength(1)
      expect(calls.length).toBeGreaterThan(2)
    }
  })
})
