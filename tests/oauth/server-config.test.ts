// Fail-closed configuration and the verifier variants: no verifier is a startup error (never
// "accept any token"), a local key set, a key set that cannot be fetched (503, not 200), JWKS
// caching, custom verifiers (mcpkit's shape and the SDK's), and the checks applied to whatever a
// custom verifier returns.
import { MCPServer } from '@mcpkit/mcp-server-core'
import {
  createProtectedResource,
  InvalidTokenError,
  introspectionVerifier,
  jwtVerifier,
  type TokenVerifier,
} from '@mcpkit/oauth'
import type { LogMessage } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError, refusedPort } from '../support/helpers.js'
import { bearerChallenge } from '../support/oauth-host.js'
import { hostProtected, notesTools, type ProtectedHost } from '../support/oauth-server.js'
import { startTestIssuer, type TestIssuer } from '../support/oauth-tokens.js'
import {
  initializeBody,
  mcpPostHeaders,
  openRawSession,
  rawRequest,
} from '../support/server-host.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('configuration fails closed', () => {
  const base = {
    resource: 'https://mcp.example.com/mcp',
    authorizationServers: ['https://auth.example.com'],
  }
  const verifier = jwtVerifier({
    jwksUrl: 'https://auth.example.com/jwks',
    issuer: 'https://auth.example.com',
  })

  it('refuses a protected resource without a verifier', async () => {
    const error = await expectMCPError(
      () => createProtectedResource({ ...base } as Parameters<typeof createProtectedResource>[0]),
      'INVALID_CONFIGURATION',
    )
    expect(error.message).toMatch(/verifier.*required/)
    expect(error.message).toMatch(/never accepts a token it has not verified/)
    await expectMCPError(
      () => createProtectedResource({ ...base, verifier: {} as TokenVerifier }),
      'INVALID_CONFIGURATION',
    )
  })

  it('refuses bad resources, missing authorization servers and bad scopes', async () => {
    for (const resource of [
      'not a url',
      'ftp://x.example/mcp',
      'https://x.example/mcp#a',
      'https://x.example/mcp?a=1',
    ]) {
      await expectMCPError(
        () => createProtectedResource({ ...base, resource, verifier }),
        'INVALID_CONFIGURATION',
      )
    }
    await expectMCPError(
      () => createProtectedResource({ ...base, authorizationServers: [], verifier }),
      'INVALID_CONFIGURATION',
    )
    await expectMCPError(
      () => createProtectedResource({ ...base, verifier, toolScopes: { x: ['a b'] } }),
      'INVALID_CONFIGURATION',
    )
    // Refresh tokens are no resource's scope (2026-07-28: servers do not name offline_access in
    // challenges or scopes_supported).
    for (const scopes of [
      { requiredScopes: ['notes:read', 'offline_access'] },
      { toolScopes: { x: ['offline_access'] } },
      { scopesSupported: ['offline_access'] },
    ]) {
      const error = await expectMCPError(
        () => createProtectedResource({ ...base, verifier, ...scopes }),
        'INVALID_CONFIGURATION',
      )
      expect(error.message).toMatch(/offline_access is not a scope of this resource/)
    }
  })

  it('refuses verifiers that could not check anything', async () => {
    await expectMCPError(
      () =>
        jwtVerifier({ jwksUrl: 'https://auth.example.com/jwks' } as Parameters<
          typeof jwtVerifier
        >[0]),
      'INVALID_CONFIGURATION',
    )
    await expectMCPError(
      () => jwtVerifier({ issuer: 'https://auth.example.com' }),
      'INVALID_CONFIGURATION',
    )
    await expectMCPError(
      () =>
        jwtVerifier({
          issuer: 'https://a.example',
          jwksUrl: 'https://a.example/jwks',
          algorithms: ['none'],
        }),
      'INVALID_CONFIGURATION',
    )
    await expectMCPError(
      () =>
        introspectionVerifier({ endpoint: 'https://a.example/introspect' } as Parameters<
          typeof introspectionVerifier
        >[0]),
      'INVALID_CONFIGURATION',
    )
  })

  it('refuses an MCPServer whose auth is not a protected resource', async () => {
    const error = await expectMCPError(
      () =>
        new MCPServer({
          name: 'x',
          version: '1.0.0',
          auth: {} as never,
        }),
      'INVALID_CONFIGURATION',
    )
    expect(error.message).toMatch(/createProtectedResource/)
  })
})

describe('verifiers over real HTTP', () => {
  let issuer: TestIssuer
  const hosts: ProtectedHost[] = []
  const logs: LogMessage[] = []

  beforeAll(async () => {
    issuer = await startTestIssuer()
  })

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((host) => host.close()))
    logs.length = 0
  })

  afterAll(async () => {
    await issuer?.close()
  })

  /** Serves the notes server with `verifier` (given the resource URL) on node:http. */
  async function serve(
    verifier: (resource: string) => Parameters<typeof createProtectedResource>[0]['verifier'],
  ) {
    let resource = ''
    const host = await hostProtected((origin) => {
      resource = `${origin}/mcp`
      return new MCPServer({
        name: 'notes',
        version: '1.0.0',
        tools: notesTools,
        logger: (message) => logs.push(message),
        auth: createProtectedResource({
          resource,
          authorizationServers: [issuer.issuer],
          verifier: verifier(resource),
        }),
      })
    }, 'node')
    hosts.push(host)
    return { host, resource }
  }

  const send = (host: ProtectedHost, token: string) =>
    rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(), ...bearer(token) },
      body: initializeBody(),
    })

  it('verifies against a local key set', async () => {
    const { host, resource } = await serve(() =>
      jwtVerifier({ jwks: { keys: [issuer.key.publicJwk as never] }, issuer: issuer.issuer }),
    )
    const sessionId = await openRawSession(
      host.mcpUrl,
      bearer(issuer.mint({ sub: 'alice', audience: resource })),
    )
    expect(sessionId).toBeTruthy()
    const wrong = await send(
      host,
      issuer.mint({ sub: 'alice', audience: 'https://elsewhere.example' }),
    )
    expect(wrong.status).toBe(401)
  })

  it('fetches the JWKS once and caches it', async () => {
    const before = issuer.jwksFetches
    const { host, resource } = await serve(() =>
      jwtVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer }),
    )
    for (let index = 0; index < 5; index++) {
      await openRawSession(
        host.mcpUrl,
        bearer(issuer.mint({ sub: `user-${index}`, audience: resource })),
      )
    }
    expect(issuer.jwksFetches - before).toBe(1)
  })

  it('answers 503 (never 200) when the key set cannot be fetched, and keeps serving', async () => {
    const port = await refusedPort()
    const { host, resource } = await serve(() =>
      jwtVerifier({
        jwksUrl: `http://127.0.0.1:${port}/jwks`,
        issuer: issuer.issuer,
        jwksTimeoutMs: 2000,
      }),
    )
    const token = issuer.mint({ sub: 'alice', audience: resource })
    const first = await send(host, token)
    expect(first.status).toBe(503)
    expect(first.json).toMatchObject({ error: 'temporarily_unavailable' })
    expect(first.headers['retry-after']).toBeDefined()
    const second = await send(host, token)
    expect(second.status).toBe(503)
  })

  it('accepts a custom verifier and still checks what it returns', async () => {
    const { host, resource } = await serve((resourceUrl) => ({
      async verify(token) {
        if (token === 'revoked') throw new InvalidTokenError('The access token was revoked.')
        if (token === 'broken') throw new Error('database down')
        const base = { token, clientId: 'app', scopes: [] as string[] }
        if (token === 'other-resource')
          return { ...base, resource: new URL('https://other.example/mcp'), extra: { sub: 'x' } }
        if (token === 'expired')
          return { ...base, expiresAt: Math.floor(Date.now() / 1000) - 600, extra: { sub: 'x' } }
        if (token === 'nobody') return { ...base, clientId: '' }
        return { ...base, resource: new URL(resourceUrl), extra: { sub: token } }
      },
    }))
    expect(resource).toContain('/mcp')
    expect((await send(host, 'alice')).status).toBe(200)

    const cases: Array<[string, number, RegExp]> = [
      ['revoked', 401, /revoked/],
      ['other-resource', 401, /another resource/],
      ['expired', 401, /expired/],
      ['nobody', 401, /neither a subject/],
    ]
    for (const [token, status, reason] of cases) {
      const response = await send(host, token)
      expect(response.status, token).toBe(status)
      expect(
        bearerChallenge(response.headers['www-authenticate']).error_description,
        token,
      ).toMatch(reason)
    }
    const broken = await send(host, 'broken')
    expect(broken.status, 'a verifier that throws must not let the request through').toBe(500)
    expect(
      logs.some((line) => line.level === 'error' && line.message.includes('database down')),
    ).toBe(true)
  })

  it("accepts the SDK's OAuthTokenVerifier shape", async () => {
    const { host } = await serve(() => ({
      async verifyAccessToken(token: string) {
        if (token !== 'good') throw new InvalidTokenError('Unknown token.')
        return { token, clientId: 'sdk-app', scopes: [], extra: { sub: 'sdk-user' } }
      },
    }))
    expect((await send(host, 'good')).status).toBe(200)
    const bad = await send(host, 'bad')
    expect(bad.status).toBe(401)
    expect(bearerChallenge(bad.headers['www-authenticate']).error_description).toBe(
      'Unknown token.',
    )
  })
})
