import type { ServerDefinition } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { validateServerDefinition } from './definition.js'

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (error) {
    return error as { code: string; message: string }
  }
  throw new Error('expected a throw')
}

describe('validateServerDefinition', () => {
  it('resolves stdio and http definitions', () => {
    expect(validateServerDefinition('a', { command: 'node' }).kind).toBe('stdio')
    const http = validateServerDefinition('b', { url: 'http://127.0.0.1:3000/mcp' })
    expect(http.kind === 'http' && http.url.href).toBe('http://127.0.0.1:3000/mcp')
  })

  it('rejects both or neither of command and url, naming the server', () => {
    const both = codeOf(() =>
      validateServerDefinition('x', {
        command: 'node',
        url: 'http://h',
      } as unknown as ServerDefinition),
    )
    expect(both.code).toBe('INVALID_DEFINITION')
    expect(both.message).toContain('Server "x"')
    expect(both.message).toContain('both')
    const neither = codeOf(() => validateServerDefinition('y', {} as ServerDefinition))
    expect(neither.code).toBe('INVALID_DEFINITION')
    expect(neither.message).toContain('needs `command`')
  })

  it('rejects a url that is not a URL, or not http(s)', () => {
    expect(codeOf(() => validateServerDefinition('u', { url: 'not a url' })).message).toContain(
      'not a valid URL',
    )
    expect(codeOf(() => validateServerDefinition('u', { url: 'ftp://h/x' })).code).toBe(
      'INVALID_DEFINITION',
    )
  })

  it('rejects bad timeouts and transports', () => {
    expect(
      codeOf(() => validateServerDefinition('t', { command: 'node', timeout: -1 })).message,
    ).toContain('`timeout`')
    expect(
      codeOf(() =>
        validateServerDefinition('t', { url: 'http://h', transport: 'ws' as unknown as 'sse' }),
      ).message,
    ).toContain('`transport`')
  })
})
