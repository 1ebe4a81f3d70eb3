import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
} from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { requestError } from './request-errors.js'

const operation = { what: 'tools/call "x"', idempotent: false, requestContext: null }

describe('requestError', () => {
  it('says a request the negotiated era cannot express is NOT_SUPPORTED_BY_PROTOCOL, naming the era', () => {
    const error = requestError(
      'modern',
      operation,
      new SdkError(SdkErrorCode.MethodNotSupportedByProtocolVersion, 'no such method'),
      { timeout: 1000, failure: undefined, era: 'modern' },
    )
    expect(error.code).toBe('NOT_SUPPORTED_BY_PROTOCOL')
    expect(error.message).toContain('2026-07-28')
    expect(error.serverName).toBe('modern')
  })

  it('says a capability the server needs and the client did not announce is CAPABILITY_NOT_SUPPORTED', () => {
    const error = requestError(
      'modern',
      operation,
      new ProtocolError(ProtocolErrorCode.MissingRequiredClientCapability, 'sampling'),
      { timeout: 1000, failure: undefined, era: 'modern' },
    )
    expect(error.code).toBe('CAPABILITY_NOT_SUPPORTED')
    expect(error.message).toContain('sampling.onRequest')
  })

  it('says a server that keeps asking for input past the limit is a SERVER_ERROR', () => {
    const error = requestError(
      'modern',
      operation,
      new SdkError(SdkErrorCode.InputRequiredRoundsExceeded, 'rounds'),
      { timeout: 1000, failure: undefined, era: 'modern' },
    )
    expect(error.code).toBe('SERVER_ERROR')
    expect(error.message).toContain('input_required')
  })
})
