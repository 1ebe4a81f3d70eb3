// finishAuthorization(): the pending `state` (used once), error responses, and the RFC 9207
// `iss` check before any code is sent. The authorization server is `fakeNetwork()`.
import { isMCPKitError } from '@mcpkit/types'
import { auth } from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { errorOf, fakeNetwork, ISSUER, RESOURCE } from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'

const SERVER = 'https://mcp.example.com/mcp'
const REDIRECT = 'https://app.example.com/callback'

function provider(options: Partial<ConstructorParameters<typeof MCPOAuthClientProvider>[0]> = {}) {
  return new MCPOAuthClientProvider({ serverUrl: SERVER, redirectUrl: REDIRECT, ...options })
}

describe('finishAuthorization()', () => {
  it('refuses a callback when nothing is pending, or when its state differs', async () => {
    const built = provider()
    const nothingPending = await errorOf(() =>
      built.finishAuthorization(`${REDIRECT}?code=c&state=s`),
    )
    expect(isMCPKitError(nothingPending, 'UNAUTHORIZED')).toBe(true)
    const state = await built.state()
    const wrong = await errorOf(() => built.finishAuthorization({ code: 'c', state: `${state}x` }))
    expect(wrong.message).toMatch(/state/)
    const garbage = await errorOf(() => built.finishAuthorization('just-a-code'))
    expect(isMCPKitError(garbage, 'UNAUTHORIZED')).toBe(true)
  })

  it('reports an error callback with the matching state', async () => {
    const built = provider()
    const state = await built.state()
    const denied = await errorOf(() =>
      built.finishAuthorization(`${REDIRECT}?error=access_denied&state=${state}`),
    )
    expect(denied.message).toMatch(/access_denied/)
    // The state is used up.
    const again = await errorOf(() => built.finishAuthorization({ code: 'c', state }))
    expect(again.message).toMatch(/No authorization is pending/)
  })
})

describe('finishAuthorization() with the SDK (authorization started by auth())', () => {
  /** A provider that went through `auth()` up to the redirect, and the URL it was sent to. */
  async function redirected(metadata: Record<string, unknown> = {}) {
    const network = fakeNetwork({ metadata })
    const redirects: URL[] = []
    const built = provider({
      fetch: network.fetchFn,
      onRedirectToAuthorization: (url) => {
        redirects.push(url)
      },
    })
    // As the transport does on a 401.
    expect(await auth(built, { serverUrl: RESOURCE, fetchFn: network.fetchFn })).toBe('REDIRECT')
    const authorizationUrl = redirects[0]!
    const callback = (params: Record<string, string>) => {
      const url = new URL(REDIRECT)
      url.searchParams.set('state', authorizationUrl.searchParams.get('state')!)
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
      return url
    }
    return { network, built, authorizationUrl, callback }
  }

  it('exchanges the code with PKCE and `resource`, checking `iss`', async () => {
    const { network, built, authorizationUrl, callback } = await redirected({
      authorization_response_iss_parameter_supported: true,
    })
    expect(authorizationUrl.searchParams.get('resource')).toBe(RESOURCE)
    await built.finishAuthorization(callback({ code: 'the-code', iss: ISSUER }))
    const [exchange] = network.tokenRequests()
    expect(exchange?.params).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: REDIRECT,
      resource: RESOURCE,
    })
    expect(exchange?.params.code_verifier).toMatch(/^[\w.~-]{43,128}$/)
    expect((await built.tokens())?.issuer).toBe(ISSUER)
    // The verifier is used once.
    await expect(built.codeVerifier()).rejects.toThrow(/No PKCE code verifier/)
  })

  it('refuses a code from another issuer, or without `iss` when the server always sends one', async () => {
    for (const params of [
      { code: 'stolen', iss: 'https://evil.example.com' },
      { code: 'stolen' },
    ]) {
      const { network, built, callback } = await redirected({
        authorization_response_iss_parameter_supported: true,
      })
      const error = await errorOf(() => built.finishAuthorization(callback(params)))
      expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
      expect(error.message).toMatch(/RFC 9207/)
      expect(network.tokenRequests()).toEqual([])
    }
  })

  it('does not repeat the error text of a response from another issuer', async () => {
    const { built, callback } = await redirected()
    const error = await errorOf(() =>
      built.finishAuthorization(
        callback({
          error: 'access_denied',
          error_description: 'Call +1 555 0100 to unlock',
          iss: 'https://evil.example.com',
        }),
      ),
    )
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toContain('evil.example.com')
    expect(error.message).not.toContain('555')
  })
})
