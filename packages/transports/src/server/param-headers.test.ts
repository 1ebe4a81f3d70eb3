import { describe, expect, it } from 'vitest'
import { paramHeaderProblem } from './param-headers.js'

const schema = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    count: { type: 'integer', 'x-mcp-header': 'Count' },
    dry: { type: 'boolean', 'x-mcp-header': 'Dry' },
    nested: {
      type: 'object',
      properties: { tenant: { type: 'string', 'x-mcp-header': 'Tenant' } },
    },
    note: { type: 'string' },
  },
}

const base64 = (text: string) => `=?base64?${Buffer.from(text).toString('base64')}?=`

describe('paramHeaderProblem', () => {
  it('accepts headers that mirror the arguments, plain or Base64, numbers numerically', () => {
    const headers = new Headers({
      'Mcp-Param-Region': 'us-west1',
      'mcp-param-count': '42.0',
      'Mcp-Param-Dry': 'false',
      'Mcp-Param-Tenant': base64('Zürich'),
    })
    const args = { region: 'us-west1', count: 42, dry: false, nested: { tenant: 'Zürich' } }
    expect(paramHeaderProblem(schema, args, headers)).toBeUndefined()
  })

  it('expects no header for an absent or null argument, and ignores unmarked ones', () => {
    expect(paramHeaderProblem(schema, { region: null, note: 'x' }, new Headers())).toBeUndefined()
  })

  it.each([
    ['a missing header', { region: 'eu' }, {}, /Mcp-Param-Region is missing/],
    ['a different value', { region: 'eu' }, { 'Mcp-Param-Region': 'us' }, /does not match/],
    ['a header without argument', {}, { 'Mcp-Param-Region': 'us' }, /is sent but/],
    [
      'bad Base64 padding',
      { region: 'Hello' },
      { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' },
      /malformed/,
    ],
    [
      'bad Base64 characters',
      { region: 'Hello' },
      { 'Mcp-Param-Region': '=?base64?SGVs!!!bG8=?=' },
      /malformed/,
    ],
    ['a non-number', { count: 1 }, { 'Mcp-Param-Count': 'one' }, /does not match/],
    [
      'a nested mismatch',
      { nested: { tenant: 'a' } },
      { 'Mcp-Param-Tenant': 'b' },
      /nested.tenant/,
    ],
  ])('refuses %s', (_case, args, headers, problem) => {
    expect(paramHeaderProblem(schema, args, new Headers(headers))).toMatch(problem)
  })

  it('takes a value that only looks like the sentinel literally', () => {
    const literal = '=?base64?SGVsbG8='
    expect(
      paramHeaderProblem(schema, { region: literal }, new Headers({ 'Mcp-Param-Region': literal })),
    ).toBeUndefined()
  })
})
