import { describe, expect, it } from 'vitest'
import { isMCPKitError, MCPClientError, ToolInputValidationError } from './errors.js'

describe('errors', () => {
  it('carry a stable code, the server name and the cause', () => {
    const cause = new Error('socket hang up')
    const error = new MCPClientError('CONNECTION_FAILED', 'nope', { serverName: 'docs', cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('MCPClientError')
    expect(error.code).toBe('CONNECTION_FAILED')
    expect(error.serverName).toBe('docs')
    expect(error.cause).toBe(cause)
    expect(isMCPKitError(error, 'CONNECTION_FAILED')).toBe(true)
    expect(isMCPKitError(error, 'SERVER_ERROR')).toBe(false)
    expect(isMCPKitError(cause)).toBe(false)
  })

  it('name every invalid field of tool input', () => {
    const error = new ToolInputValidationError({
      toolName: 'add',
      issues: [
        { path: '/a', message: 'must be number' },
        { path: '/b', message: 'is required' },
      ],
    })
    expect(error.code).toBe('INVALID_TOOL_INPUT')
    expect(error.message).toBe(
      'Invalid arguments for tool "add": /a: must be number; /b: is required',
    )
  })
})
