import { createRequire } from 'node:module'
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server'
import { describe, expect, it } from 'vitest'
import { challengeHeader } from './challenge.js'
import {
  InsufficientScopeError,
  InvalidTokenError,
  TemporarilyUnavailableError,
} from './oauth-errors.js'
import { createProtectedResource } from './protected-resource.js'
import { audienceSpellings, scopesOf } from './token-claims.js'
import type { TokenVerifier } from './token-verifier.js'

const verifier: TokenVerifier = {
  async verify(token, context) {
    if (token === 'bad') throw new InvalidTokenError('The access token is "odd"\\.')
    const [sub = '', scope = ''] = token.split('.')
    return {
      token,
      clientId: 'app',
      scopes: scope.split('+').filter(Boolean),
      resource: context.resource,
      extra: { sub },
    }
  },
}

function resourceAt(resource: string) {
  return createProtectedResource({
    resource,
    authorizationServers: ['https://auth.example.com/'],
    verifier,
    requiredScopes: ['read'],
    toolScopes: { remove: ['write'] },
  })
}

const post = (url: string, token?: string) =>
  new Request(url, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })

describe('createProtectedResource', () => {
  it('puts the metadata where the SDK looks for it, trailing slash or not', () => {
    const slashed = resourceAt('https://mcp.example.com/tenants/a/mcp/')
    expect(slashed.metadataPath).toBe('/.well-known/oauth-protected-resource/tenants/a/mcp')
    expect(slashed.metadata.resource).toBe('https://mcp.example.com/tenants/a/mcp/')
  })

  it('refuses extra metadata fields of the wrong type', () => {
    expect(() =>
      createProtectedResource({
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://auth.example.com'],
        verifier,
        metadata: { jwks_uri: 'not a url', dpop_bound_access_tokens_required: 'yes' },
      }),
    ).toThrow(/jwks_uri: must be an absolute URL; dpop_bound_access_tokens_required/)
  })

  it('puts the metadata at the path-aware well-known URL', () => {
    const nested = resourceAt('https://mcp.example.com/tenants/a/mcp')
    expect(nested.metadataPath).toBe('/.well-known/oauth-protected-resource/tenants/a/mcp')
    expect(nested.resourceMetadataUrl).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/tenants/a/mcp',
    )
    const root = resourceAt('https://mcp.example.com')
    expect(root.metadataPath).toBe('/.well-known/oauth-protected-resource')
    expect(root.metadata.resource).toBe('https://mcp.example.com')
    expect(root.metadata.authorization_servers).toEqual(['https://auth.example.com'])
    expect(root.metadata.scopes_supported).toEqual(['read', 'write'])
  })

  it('keeps quotes and backslashes out of the challenge', async () => {
    const resource = resourceAt('https://mcp.example.com/mcp')
    const refused = await resource.authenticate(post('https://mcp.example.com/mcp', 'bad'))
    expect(refused).toBeInstanceOf(Response)
    const header = (refused as Response).headers.get('www-authenticate') ?? ''
    expect(header).toBe(
      `Bearer error="invalid_token", error_description="The access token is 'odd''.", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`,
    )
    expect(await (refused as Response).json()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is "odd"\\.',
    })
  })

  it('checks required and per-tool scopes, in single messages and batches', async () => {
    const resource = resourceAt('https://mcp.example.com/mcp')
    const url = 'https://mcp.example.com/mcp'
    const call = (name: string) => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name },
    })
    expect(await resource.authenticate(post(url, 'ann.read'), call('list'))).toMatchObject({
      extra: { sub: 'ann' },
    })
    const noRead = (await resource.authenticate(post(url, 'ann.write'))) as Response
    expect(noRead.status).toBe(403)
    const batch = (await resource.authenticate(post(url, 'ann.read'), [
      call('list'),
      call('remove'),
    ])) as Response
    expect(batch.status).toBe(403)
    expect(batch.headers.get('www-authenticate')).toContain('scope="read write"')
    expect(
      await resource.authenticate(post(url, 'ann.read+write'), [call('remove')]),
    ).not.toBeInstanceOf(Response)
    expect(
      resource.authorizeToolCall({ toolName: 'remove', authInfo: undefined })?.requiredScopes,
    ).toEqual(['read', 'write'])
  })

  it('reads tool calls from a copy of the body in protect(), leaving the request readable', async () => {
    const resource = resourceAt('https://mcp.example.com/mcp')
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'remove' },
    })
    const request = new Request('https://mcp.example.com/mcp', {
      method: 'POST',
      headers: { authorization: 'Bearer ann.read', 'content-type': 'application/json' },
      body,
    })
    const refused = (await resource.protect(request)) as Response
    expect(refused.status).toBe(403)
    expect(await request.text()).toBe(body)
    const metadata = await resource.protect(
      new Request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp'),
    )
    expect(await (metadata as Response).json()).toMatchObject({
      resource: 'https://mcp.example.com/mcp',
    })
  })
})

describe('what a verifier throws', () => {
  /** A resource whose verifier throws what `thrown(token)` returns. */
  function throwing(thrown: (token: string) => unknown) {
    return createProtectedResource({
      resource: 'https://mcp.example.com/mcp',
      authorizationServers: ['https://auth.example.com'],
      requiredScopes: ['read'],
      verifier: {
        async verify(token) {
          throw thrown(token)
        },
      },
    })
  }
  const request = post('https://mcp.example.com/mcp', 'token')

  it("answers the app's own SDK copy's OAuthError(InvalidToken) with 401, never 500", async () => {
    // A separate copy of @modelcontextprotocol/server, as an app that bundles its own has.
    const appCopy = createRequire(import.meta.url)('@modelcontextprotocol/server') as {
      OAuthError: typeof OAuthError
    }
    expect(appCopy.OAuthError).not.toBe(OAuthError)
    const refused = (await throwing(
      () => new appCopy.OAuthError(OAuthErrorCode.InvalidToken, 'Revoked by the admin.'),
    ).authenticate(request)) as Response
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await refused.json()).toMatchObject({ error_description: 'Revoked by the admin.' })
  })

  it('classifies any OAuthError by its code', async () => {
    const cases: Array<[unknown, number, string]> = [
      [new InvalidTokenError('bad'), 401, 'invalid_token'],
      [new OAuthError(OAuthErrorCode.InvalidToken, 'bad'), 401, 'invalid_token'],
      [new OAuthError(OAuthErrorCode.InvalidRequest, 'odd'), 401, 'invalid_token'],
      [new InsufficientScopeError('needs admin'), 403, 'insufficient_scope'],
      [new TemporarilyUnavailableError('keys down'), 503, 'temporarily_unavailable'],
      [
        new OAuthError(OAuthErrorCode.TemporarilyUnavailable, 'down'),
        503,
        'temporarily_unavailable',
      ],
    ]
    for (const [error, status, code] of cases) {
      const refused = (await throwing(() => error).authenticate(request)) as Response
      expect(refused.status, code).toBe(status)
      expect(await refused.json(), code).toMatchObject({ error: code })
    }
    const unavailable = (await throwing(() => new TemporarilyUnavailableError('down')).authenticate(
      request,
    )) as Response
    expect(unavailable.headers.get('retry-after')).toBe('5')
    const forbidden = (await throwing(() => new InsufficientScopeError('x')).authenticate(
      request,
    )) as Response
    expect(forbidden.headers.get('www-authenticate')).toContain('scope="read"')
  })

  it('keeps the v1 class names as OAuthErrors with the right code', () => {
    expect(new InvalidTokenError('x')).toMatchObject({
      code: 'invalid_token',
      name: 'InvalidTokenError',
    })
    expect(new InsufficientScopeError('x').code).toBe('insufficient_scope')
    expect(new TemporarilyUnavailableError('x').code).toBe('temporarily_unavailable')
    expect(OAuthError.isInstance(new InvalidTokenError('x'))).toBe(true)
  })

  it('lets nothing through for server_error or a plain Error: the request fails (500)', async () => {
    for (const error of [
      new OAuthError(OAuthErrorCode.ServerError, 'db down'),
      new Error('db down'),
      Object.assign(new Error('looks like one'), { code: 'invalid_token' }),
    ]) {
      await expect(throwing(() => error).authenticate(request)).rejects.toBe(error)
    }
  })
})

describe('token helpers', () => {
  it('reads scopes from scope or scp', () => {
    expect(scopesOf({ scope: 'a  b' })).toEqual(['a', 'b'])
    expect(scopesOf({ scp: ['a', 1, 'c'] })).toEqual(['a', 'c'])
    expect(scopesOf({})).toEqual([])
  })

  it('accepts a resource with and without its trailing slash as audience', () => {
    expect(audienceSpellings(new URL('https://x.example'))).toEqual([
      'https://x.example/',
      'https://x.example',
    ])
    expect(audienceSpellings(new URL('https://x.example/mcp'))).toEqual([
      'https://x.example/mcp',
      'https://x.example/mcp/',
    ])
  })

  it('omits the error code when no credentials were sent (RFC 6750 §3.1)', () => {
    expect(
      challengeHeader({
        status: 401,
        description: 'x',
        scopes: ['a'],
        resourceMetadataUrl: 'https://m',
      }),
    ).toBe('Bearer scope="a", resource_metadata="https://m"')
  })
})
