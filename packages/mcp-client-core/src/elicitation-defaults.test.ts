import { describe, expect, it } from 'vitest'
import { withSchemaDefaults } from './elicitation-defaults.js'

const request = {
  requestedSchema: {
    type: 'object' as const,
    properties: {
      name: { type: 'string' as const, default: 'John Doe' },
      age: { type: 'integer' as const, default: 30 },
      verified: { type: 'boolean' as const, default: true },
      status: { type: 'string' as const, enum: ['active', 'inactive'], default: 'active' },
      note: { type: 'string' as const },
    },
  },
}

describe('withSchemaDefaults (SEP-1034)', () => {
  it('fills the defaults of fields an accepted answer leaves out', () => {
    expect(withSchemaDefaults(request, { action: 'accept', content: { name: 'Ada' } })).toEqual({
      action: 'accept',
      content: { name: 'Ada', age: 30, verified: true, status: 'active' },
    })
    expect(withSchemaDefaults(request, { action: 'accept' })).toEqual({
      action: 'accept',
      content: { name: 'John Doe', age: 30, verified: true, status: 'active' },
    })
  })

  it('keeps what the user gave, even a falsy value, and leaves declines alone', () => {
    const given = { action: 'accept' as const, content: { age: 0, verified: false, name: '' } }
    expect(withSchemaDefaults(request, given).content).toMatchObject({
      age: 0,
      verified: false,
      name: '',
    })
    const declined = { action: 'decline' as const }
    expect(withSchemaDefaults(request, declined)).toBe(declined)
  })
})
