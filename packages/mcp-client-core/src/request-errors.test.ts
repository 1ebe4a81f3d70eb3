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
  it.each([
    [
      'a request the negotiated era cannot express',
      new SdkError(SdkErrorCode.MethodNotSupportedByProtocolVersion, 'no such method'),
      'NOT_SUPPORTED_BY_PROTOCOL',
      '2026-07-28',
    ],
    [
      'a capability the server needs and the client did not announce',
      new ProtocolError(ProtocolErrorCode.MissingRequiredClientCapability, 'sampling'),
      'CAPABILITY_NOT_SUPPORTED',
      'sampling.onRequest',
    ],
    [
      'a server that keeps asking for input past the limit',
      new SdkError(SdkErrorCode.InputRequiredRoundsExceeded, 'rounds'),
      'SERVER_ERROR',
      'input_required',
    ],
  ])('words %s as a typed error naming the server', (_case, error, code, mentions) => {
    const mapped = requestError('modern', operation, error, {
      timeout: 1000,
      failure: undefined,
      era: 'modern',
    })
    expect(mapped.code).toBe(code)
    expect(mapped.message).toContain(mentions)
    expect(mapped.serverName).toBe('modern')
  })
})
