import type { ResourceAuthDenial, ResourceAuthInfo } from '@mcpkit/types'
import { configurationError } from './configuration-error.js'

/** RFC 6749 `scope-token`: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** `scopes` checked as a list of RFC 6749 scope tokens (deduplicated); throws at startup. */
export function scopeList(name: string, scopes: unknown): string[] {
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    throw configurationError(`\`${name}\` must be an array of scope strings.`)
  }
  for (const scope of scopes as string[]) {
    if (!SCOPE_TOKEN.test(scope)) {
      throw configurationError(
        `\`${name}\`: ${JSON.stringify(scope)} is not a scope (no spaces, quotes or backslashes).`,
      )
    }
    // These lists become the challenge's `scope` and the metadata's `scopes_supported`.
    if (scope === 'offline_access') {
      throw configurationError(
        `\`${name}\`: offline_access is not a scope of this resource: refresh tokens are between the client and the authorization server, and the MCP authorization spec asks servers not to name it in WWW-Authenticate or scopes_supported. Leave it out.`,
      )
    }
  }
  return [...new Set(scopes as string[])]
}

/** The scopes of `needed` that `granted` lacks. */
export function missingScopes(needed: readonly string[], granted: readonly string[]): string[] {
  const have = new Set(granted)
  return needed.filter((scope) => !have.has(scope))
}

/**
 * Which scopes a request needs: `requiredScopes` for every request, plus each tool's own for a
 * `tools/call` of it.
 */
export class ToolScopes {
  readonly required: readonly string[]
  readonly #perTool: ReadonlyMap<string, readonly string[]>

  constructor(options: { requiredScopes?: unknown; toolScopes?: unknown }) {
    this.required = scopeList('requiredScopes', options.requiredScopes ?? [])
    const perTool = new Map<string, readonly string[]>()
    const { toolScopes } = options
    if (toolScopes !== undefined) {
      if (toolScopes === null || typeof toolScopes !== 'object') {
        throw configurationError(
          '`toolScopes` must map tool names to scope arrays, e.g. { delete_note: ["notes:write"] }.',
        )
      }
      for (const [tool, scopes] of Object.entries(toolScopes)) {
        perTool.set(tool, scopeList(`toolScopes.${tool}`, scopes))
      }
    }
    this.#perTool = perTool
  }

  /** Every scope some tool or request needs, for `scopes_supported`. */
  get all(): string[] {
    return [...new Set([...this.required, ...[...this.#perTool.values()].flat()])]
  }

  /** Whether `authInfo` may call `toolName`: `undefined`, or why not. */
  authorize(request: {
    toolName: string
    authInfo: ResourceAuthInfo | undefined
  }): ResourceAuthDenial | undefined {
    const own = this.#perTool.get(request.toolName) ?? []
    const needed = [...new Set([...this.required, ...own])]
    if (needed.length === 0) return undefined
    if (!request.authInfo) {
      return {
        message: `Tool \`${request.toolName}\` needs an OAuth access token with the scopes ${needed.join(' ')}; the request carried none.`,
        requiredScopes: needed,
      }
    }
    const lacking = missingScopes(needed, request.authInfo.scopes)
    if (lacking.length === 0) return undefined
    return {
      message: `Tool \`${request.toolName}\` needs the scopes ${needed.join(' ')}; the access token lacks ${lacking.join(' ')}.`,
      requiredScopes: needed,
    }
  }

  /** The tool calls in a JSON-RPC body (or batch) the token may not make, as one denial. */
  denialForBody(body: unknown, authInfo: ResourceAuthInfo): ResourceAuthDenial | undefined {
    if (this.#perTool.size === 0 || body === null || typeof body !== 'object') return undefined
    const messages: unknown[] = Array.isArray(body) ? body : [body]
    const needed = new Set<string>()
    const refused: ResourceAuthDenial[] = []
    for (const message of messages) {
      const toolName = toolCallName(message)
      if (toolName === undefined) continue
      const denial = this.authorize({ toolName, authInfo })
      if (denial) {
        refused.push(denial)
        for (const scope of denial.requiredScopes) needed.add(scope)
      }
    }
    if (refused.length === 0) return undefined
    if (refused.length === 1) return refused[0]
    return {
      message: refused.map((denial) => denial.message).join(' '),
      requiredScopes: [...needed],
    }
  }
}

/** The tool a JSON-RPC message calls, if it is a `tools/call` request. */
function toolCallName(message: unknown): string | undefined {
  if (message === null || typeof message !== 'object') return undefined
  const { method, params } = message as { method?: unknown; params?: unknown }
  if (method !== 'tools/call' || params === null || typeof params !== 'object') return undefined
  const name = (params as { name?: unknown }).name
  return typeof name === 'string' ? name : undefined
}
