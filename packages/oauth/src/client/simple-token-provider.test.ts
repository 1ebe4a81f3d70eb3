// createSimpleTokenProvider(): a token you already have, and no authorization flow, ever.
import { isMCPKitError } from '@mcpkit/types'
import { auth } from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { errorOf, fakeNetwork, RESOURCE } from '../test-support.js'
import { createSimpleTokenProvider } from './simple-token-provider.js'

describe('createSimpleTokenProvider()', () => {
  it('hands out its token and refuses any authorization flow with UNAUTHORIZED', async () => {
    const simple = createSimpleTokenProvider('abc', { label: 'docs server' })
    expect(await simple.tokens()).toEqual({ access_token: 'abc', token_type: 'Bearer' })
    const error = await errorOf(() => simple.discoveryState?.())
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toMatch(/docs server/)
    const empty = await errorOf(() => createSimpleTokenProvider(''))
    expect(isMCPKitError(empty, 'INVALID_CONFIGURATION')).toBe(true)
    expect(simple.onInsufficientScope).toBe('throw')
  })

  it('stops the SDK’s auth() (a 401 retry, a 403 step-up) before any request', async () => {
    const { fetchFn, requests } = fakeNetwork()
    const simple = createSimpleTokenProvider('abc')
    for (const forceReauthorization of [false, true]) {
      const error = await errorOf(() =>
        auth(simple, { serverUrl: RESOURCE, fetchFn, scope: 'more', forceReauthorization }),
      )
      expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
      expect(error.message).toMatch(/refused the access token given to createSimpleTokenProvider/)
    }
    expect(requests).toEqual([])
  })
})
