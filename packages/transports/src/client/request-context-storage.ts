import type { RequestContext } from '@mcpkit/types'
import { LazyAsyncStorage } from './lazy-storage.js'

/** Enabled only while a call runs in it: only a custom `fetch` reads it. */
const storage = new LazyAsyncStorage<RequestContext | null>()

/**
 * Runs `fn` so that every HTTP request it causes passes `requestContext` to the server
 * definition's custom `fetch`. `MCPClient` wraps each tool call and list call in this; the
 * handshake runs with `null`.
 */
export function runWithRequestContext<Result>(
  requestContext: RequestContext | null,
  fn: () => Result,
): Result {
  return storage.run(requestContext, fn)
}

/** The request context of the call being served, or `null` outside any call. */
export function currentRequestContext(): RequestContext | null {
  return storage.getStore() ?? null
}
