import { MCPServerError, ToolInputValidationError } from '@mcpkit/types'
import type { CallToolResult } from '@modelcontextprotocol/server'
import type { ServerCatalog } from './catalog.js'
import type { RequestExtra } from './request-extra.js'
import { unknownToolMessage } from './unknown-tool.js'

/**
 * `MCPServer.executeTool()`: a tool run in-process, its input validated as a remote call's
 * would be, its result the `CallToolResult` a client would get. No client session is involved:
 * questions to the client (elicitation, sampling, roots, `suspend()`) reject, `log` and
 * `progress` do nothing.
 */
export async function executeTool(
  catalog: ServerCatalog,
  toolName: string,
  args: unknown,
  context: { signal?: AbortSignal },
): Promise<CallToolResult> {
  const entry = catalog.tools.get(toolName)
  if (!entry) {
    throw new MCPServerError('TOOL_NOT_FOUND', unknownToolMessage(toolName, catalog.tools.keys()))
  }
  const checked = await entry.checkInput(args ?? {})
  if ('error' in checked) {
    throw new ToolInputValidationError({ toolName, issues: [{ path: '', message: checked.error }] })
  }
  const noSession = (what: string) => () =>
    Promise.reject(
      new MCPServerError(
        'INVALID_CONFIGURATION',
        `executeTool() has no client session to ${what}.`,
      ),
    )
  const extra: RequestExtra = {
    signal: context.signal ?? new AbortController().signal,
    requestId: 0,
    sendNotification: async () => {},
    sendRequest: noSession('send requests to') as RequestExtra['sendRequest'],
  }
  return entry.run(checked.data, {
    extra,
    elicitation: { sendRequest: noSession('elicit from') },
    sampling: { createMessage: noSession('ask for sampling') },
    roots: { list: noSession('ask for roots') },
    suspend: noSession('answer suspend()'),
    log: async () => {},
    progress: async () => {},
  })
}
