import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { argsDigest } from './digest.js'

const nodeSha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

describe('argsDigest', () => {
  it('is the SHA-256 hex of the canonical JSON', async () => {
    expect(await argsDigest({ b: 2, a: 1 })).toBe(nodeSha256('{"a":1,"b":2}'))
    expect(await argsDigest({})).toBe(nodeSha256('{}'))
  })

  it('is equal for equal arguments in any key order and differs otherwise', async () => {
    const first = await argsDigest({ id: 'n1', options: { force: true, dry: false } })
    const second = await argsDigest({ options: { dry: false, force: true }, id: 'n1' })
    const other = await argsDigest({ id: 'n2', options: { dry: false, force: true } })
    expect(first).toBe(second)
    expect(first).not.toBe(other)
    expect(first).toMatch(/^[0-9a-f]{64}$/)
  })

  it('rejects (does not throw synchronously) for arguments JSON cannot represent', async () => {
    const pending = argsDigest({ n: 1n })
    await expect(pending).rejects.toThrow(TypeError)
  })
})
