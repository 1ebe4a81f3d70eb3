import { describe, expect, it } from 'vitest'
import { containsInitialize, jsonRpcPayloadProblem } from './json-rpc.js'
import { DEFAULT_MAX_BODY_BYTES, RequestGuard } from './security.js'

describe('RequestGuard', () => {
  it('allows loopback hosts on any port by default, and their http(s) origins', () => {
    const guard = new RequestGuard({})
    expect(guard.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES)
    for (const host of [
      'localhost',
      'localhost:3000',
      '127.0.0.1:1',
      '[::1]',
      '[::1]:8080',
      'LocalHost:3000',
    ]) {
      expect(guard.check(host, undefined), host).toBeUndefined()
    }
    expect(guard.check('localhost:3000', 'http://localhost:3000')).toBeUndefined()
    expect(guard.check('localhost:3000', 'https://127.0.0.1')).toBeUndefined()
    for (const host of [
      'evil.example.com',
      'localhost.evil.example.com',
      '127.0.0.1.nip.io',
      'localhost:abc',
      '[::1',
      '',
      undefined,
    ]) {
      expect(guard.check(host, undefined)?.status, String(host)).toBe(403)
    }
    for (const origin of [
      'http://evil.example.com',
      'null',
      'file://',
      'ftp://localhost',
      'http://localhost.evil.com',
    ]) {
      expect(guard.check('localhost', origin)?.status, origin).toBe(403)
    }
  })

  it('matches configured hosts with or without port, and exact origins', () => {
    const guard = new RequestGuard({
      allowedHosts: ['mcp.example.com', 'api.example.com:8443', '::1'],
      allowedOrigins: ['https://App.example.com/'],
    })
    expect(guard.check('mcp.example.com:1234', undefined)).toBeUndefined()
    expect(guard.check('api.example.com:8443', undefined)).toBeUndefined()
    expect(guard.check('[::1]:80', undefined)).toBeUndefined()
    expect(guard.check('api.example.com', undefined)?.status).toBe(403)
    expect(guard.check('localhost', undefined)?.status).toBe(403)
    expect(guard.check('mcp.example.com', 'https://app.example.com')).toBeUndefined()
    expect(guard.check('mcp.example.com', 'https://mcp.example.com')?.status).toBe(403)
  })

  it('false turns the checks off; allowedHosts false also drops the derived Origin check', () => {
    expect(
      new RequestGuard({ allowedHosts: false }).check(
        'evil.example.com',
        'http://evil.example.com',
      ),
    ).toBeUndefined()
    const originsOnly = new RequestGuard({
      allowedHosts: false,
      allowedOrigins: ['https://app.example.com'],
    })
    expect(originsOnly.check('anything', 'https://evil.example.com')?.status).toBe(403)
    const hostsOnly = new RequestGuard({ allowedOrigins: false })
    expect(hostsOnly.check('localhost', 'http://evil.example.com')).toBeUndefined()
    expect(hostsOnly.check('evil.example.com', undefined)?.status).toBe(403)
  })

  it('rejects malformed options with INVALID_CONFIGURATION', () => {
    for (const options of [
      { allowedHosts: ['not a host'] },
      { allowedHosts: 'localhost' as never },
      { allowedOrigins: ['localhost'] },
      { maxBodyBytes: -1 },
      { maxBodyBytes: Number.NaN },
    ]) {
      expect(() => new RequestGuard(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
      )
    }
  })
})

describe('jsonRpcPayloadProblem', () => {
  it('accepts what the SDK accepts', () => {
    for (const message of [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 'a', method: 'x', params: { _meta: { progressToken: 3 } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 1, error: { code: -1, message: 'no' } },
      { jsonrpc: '2.0', error: { code: -1, message: 'no', data: 1 } },
      [
        { jsonrpc: '2.0', method: 'a' },
        { jsonrpc: '2.0', id: 2, method: 'b' },
      ],
    ]) {
      expect(jsonRpcPayloadProblem(message), JSON.stringify(message)).toBeUndefined()
    }
  })

  it('names what is wrong otherwise', () => {
    for (const message of [
      null,
      'text',
      [],
      Array.from({ length: 101 }, () => ({ jsonrpc: '2.0', method: 'a' })),
      { id: 1, method: 'x' },
      { jsonrpc: '2.0', id: null, method: 'x' },
      { jsonrpc: '2.0', id: 1, method: 3 },
      { jsonrpc: '2.0', id: 1, method: 'x', params: [1] },
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 1.5 } } },
      { jsonrpc: '2.0', id: 1, method: 'x', other: 1 },
      { jsonrpc: '2.0', id: 1, result: 'x' },
      { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'y' } },
      { jsonrpc: '2.0', id: null, error: { code: 1, message: 'y' } },
      { jsonrpc: '2.0', id: 1 },
      [{ jsonrpc: '2.0', method: 'a' }, 5],
    ]) {
      expect(jsonRpcPayloadProblem(message), JSON.stringify(message)).toEqual(expect.any(String))
    }
  })

  it('finds initialize alone or in a batch', () => {
    expect(containsInitialize({ jsonrpc: '2.0', id: 1, method: 'initialize' })).toBe(true)
    expect(containsInitialize([{ jsonrpc: '2.0', id: 1, method: 'initialize' }])).toBe(true)
    expect(containsInitialize({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe(false)
  })
})
