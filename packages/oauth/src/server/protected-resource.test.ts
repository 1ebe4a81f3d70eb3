import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import { describe, expect, it } from 'vitest'
import { challengeHeader } from './challenge.js'
import { createProtectedResource } from './protected-resource.js'
import { audienceSpellings, scopesOf, type TokenVerifier } from './token-verifier.js'

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
