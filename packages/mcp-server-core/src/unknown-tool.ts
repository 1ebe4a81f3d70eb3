/** Longest part of a requested name echoed back in an error. */
const MAX_ECHOED_NAME = 64
/** Most tool names listed in an error. */
const MAX_LISTED_TOOLS = 100

/**
 * The message for a call of a tool that does not exist: the requested name, cut to 64
 * characters (a client sent it: a 1 MB name must not come back as a 1 MB answer), and the
 * first 100 tools that exist, with how many more there are.
 */
export function unknownToolMessage(name: unknown, tools: Iterable<string>): string {
  const text = typeof name === 'string' ? name : String(name)
  const shown =
    text.length > MAX_ECHOED_NAME
      ? `${JSON.stringify(text.slice(0, MAX_ECHOED_NAME)).slice(0, -1)}…" (${text.length} characters)`
      : JSON.stringify(text)
  const names = [...tools]
  const listed = names.slice(0, MAX_LISTED_TOOLS).join(', ')
  const more = names.length > MAX_LISTED_TOOLS ? ` and ${names.length - MAX_LISTED_TOOLS} more` : ''
  return `Unknown tool ${shown}. Available tools: ${listed || '(none)'}${more}`
}
