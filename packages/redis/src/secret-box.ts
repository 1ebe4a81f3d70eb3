import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const VERSION = 'enc:v1:'

/**
 * AES-256-GCM for values at rest. The key is the app's (32 bytes, or any string, hashed with
 * SHA-256 to 32 bytes); each value gets a random 12-byte IV, and the storage key is bound as
 * additional data, so a ciphertext copied under another key (another user's) does not decrypt.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor(key: string | Uint8Array) {
    if (typeof key === 'string') {
      if (key.length < 16) {
        throw new TypeError('encryptionKey: a string key must have at least 16 characters')
      }
      this.#key = createHash('sha256').update(key).digest()
    } else {
      if (key.byteLength !== 32) {
        throw new TypeError(`encryptionKey: a binary key must be 32 bytes; got ${key.byteLength}`)
      }
      this.#key = Buffer.from(key)
    }
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(boundTo))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `${VERSION}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`
  }

  /** The plaintext, or throws when the value was not sealed with this key for `boundTo`. */
  open(sealed: string, boundTo: string): string {
    if (!sealed.startsWith(VERSION)) throw new Error('the value is not encrypted')
    const bytes = Buffer.from(sealed.slice(VERSION.length), 'base64')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, 12))
    decipher.setAAD(Buffer.from(boundTo))
    decipher.setAuthTag(bytes.subarray(12, 28))
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
  }
}
