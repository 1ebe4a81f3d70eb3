// The challenge authenticate() starts from: a request without credentials, and its answer.
import { describe, expect, it } from 'vitest'
import { probeServerChallenge } from './server-challenge.js'

const SERVER = new URL('https://mcp.example.com/mcp')

function answering(status: number, headers: Record<string, string> = {}) {
  const sent: { url: string; init: RequestInit | undefined }[] = []
  const fetchFn = async (url: string | URL, init?: RequestInit) => {
    sent.push({ url: String(url), init })
    return new Response('{}', { status, headers })
  }
  return { fetchFn, sent }
}

describe('probeServerChallenge()', () => {
  it('reads resource_metadata and scope from a 401, sending a harmless request without credentials', async () => {
    const { fetchFn, sent } = answering(401, {
      'www-authenticate':
        'Bearer resource_metadata="https://mcp.example.com/meta.json", scope="files:read files:write"',
    })
    const challenge = await probeServerChallenge(SERVER, fetchFn)
    expect(challenge).toEqual({
      status: 401,
      resourceMetadataUrl: new URL('https://mcp.example.com/meta.json'),
      scope: 'files:read files:write',
    })
    expect(sent).toHaveLength(1)
    const headers = new Headers(sent[0]?.init?.headers)
    expect(headers.has('authorization')).toBe(false)
    expect(JSON.parse(String(sent[0]?.init?.body))).toMatchObject({ method: 'ping' })
  })

  it('finds no challenge in other answers', async () => {
    for (const status of [200, 400, 404, 405]) {
      const { fetchFn } = answering(status)
      expect(await probeServerChallenge(SERVER, fetchFn)).toEqual({ status })
    }
    const { fetchFn } = answering(401)
    expect(await probeServerChallenge(SERVER, fetchFn)).toEqual({ status: 401 })
  })
})
