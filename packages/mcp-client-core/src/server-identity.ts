import type { ServerDefinition } from '@mcpkit/types'
import { nodeCrypto } from './node-crypto.js'

/**
 * A server's identity for era verdicts and response-cache entries: an HTTP endpoint's URL
 * (without its fragment), or a stdio server's command line, directory and environment (hashed:
 * the environment may hold secrets).
 */
export function serverKeyOf(definition: ServerDefinition): string {
  if (definition.url !== undefined) {
    const url = new URL(String(definition.url))
    url.hash = ''
    return `url:${url.href}`
  }
  const { command, args = [], cwd, env = {} } = definition
  const environment = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const digest = nodeCrypto()
    .createHash('sha256')
    .update(JSON.stringify([command, args, cwd ?? null, environment]))
    .digest('base64url')
  return `stdio:${digest}`
}

/** `server.address` and `server.port` of an HTTP server (the port its scheme implies if none). */
export function serverAddressOf(definition: ServerDefinition): Record<string, string | number> {
  if (definition.url === undefined) return {}
  const url = new URL(String(definition.url))
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
  return { 'server.address': url.hostname.replace(/^\[|\]$/g, ''), 'server.port': port }
}
