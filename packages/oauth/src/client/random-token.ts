/**
 * 32 random bytes, base64url without padding (43 characters): an OAuth `state` no one can
 * guess. Web Crypto and `btoa`, so it runs wherever the package does.
 */
export function randomToken(): string {
  const bytes = new Uint8Array(32)
  globalThis.crypto.getRandomValues(bytes)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
