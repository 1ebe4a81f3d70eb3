import { describe, expect, it } from 'vitest'
import { SecretBox } from './secret-box.js'

describe('SecretBox', () => {
  const box = new SecretBox('an app secret of at least 16 characters')

  it('opens what it sealed for the same key, and hides the plaintext', () => {
    const sealed = box.seal('{"access_token":"secret-token"}', 'tokens-of-alice')
    expect(sealed.startsWith('enc:v1:')).toBe(true)
    expect(sealed).not.toContain('secret-token')
    expect(box.open(sealed, 'tokens-of-alice')).toBe('{"access_token":"secret-token"}')
    // A fresh IV each time.
    expect(box.seal('same', 'k')).not.toBe(box.seal('same', 'k'))
  })

  it('refuses a value bound to another key, sealed with another secret, tampered, or plain', () => {
    const sealed = box.seal('value', 'tokens-of-alice')
    expect(() => box.open(sealed, 'tokens-of-bob')).toThrow()
    expect(() =>
      new SecretBox('another secret of 16+ chars').open(sealed, 'tokens-of-alice'),
    ).toThrow()
    const bytes = Buffer.from(sealed.slice('enc:v1:'.length), 'base64')
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1
    expect(() => box.open(`enc:v1:${bytes.toString('base64')}`, 'tokens-of-alice')).toThrow()
    expect(() => box.open('{"access_token":"x"}', 'tokens-of-alice')).toThrow()
  })

  it('takes 32 bytes or a string of 16+ characters as the key', () => {
    expect(() => new SecretBox('short')).toThrow(TypeError)
    expect(() => new SecretBox(new Uint8Array(16))).toThrow(TypeError)
    expect(
      new SecretBox(new Uint8Array(32)).open(new SecretBox(new Uint8Array(32)).seal('x', 'k'), 'k'),
    ).toBe('x')
  })
})
