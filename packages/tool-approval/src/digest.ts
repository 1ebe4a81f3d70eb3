import { canonicalJson } from '@mcpkit/types'

type NodeCrypto = {
  createHash(algorithm: 'sha256'): { update(text: string): { digest(encoding: 'hex'): string } }
}

/**
 * Node's own `crypto` when the runtime has one: hashing synchronously costs microseconds,
 * where a Web Crypto round trip through the thread pool costs a quarter millisecond, on every
 * gated call. Reached through `process.getBuiltinModule`, so bundles for other runtimes do not
 * import `node:crypto`.
 */
let nodeCrypto: NodeCrypto | null | undefined

/** Looked up on the first hash, not on import: loading `node:crypto` costs ~15 ms. */
function loadNodeCrypto(): NodeCrypto | null {
  nodeCrypto ??=
    ((
      globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }
    ).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined) ?? null
  return nodeCrypto
}

/** SHA-256 of `text` (UTF-8) as lowercase hex, on any runtime with Web Crypto. */
export async function sha256Hex(text: string): Promise<string> {
  const node = loadNodeCrypto()
  if (node) return node.createHash('sha256').update(text).digest('hex')
  const subtle = globalThis.crypto?.subtle
  if (!subtle) {
    throw new Error(
      'Web Crypto (globalThis.crypto.subtle) is not available: use Node 20+, a browser, or an edge runtime',
    )
  }
  const hash = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(text)))
  let hex = ''
  for (const byte of hash) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/**
 * SHA-256 (lowercase hex) of the canonical JSON of tool arguments: sorted keys at every
 * depth, no whitespace. Equal arguments give equal digests whatever their key order, so
 * audit logs and reviewers can tell calls apart without storing the arguments.
 */
export function argsDigest(args: Record<string, unknown>): Promise<string> {
  try {
    return sha256Hex(canonicalJson(args))
  } catch (error) {
    return Promise.reject(error)
  }
}
