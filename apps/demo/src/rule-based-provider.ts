import type {
  AgentMessage,
  ModelProvider,
  ModelRequest,
  ModelTurn,
  ToolCallRequest,
  ToolDescription,
  ToolOutcome,
} from './agent.js'

/** The commands the rule-based agent understands, for its help text and the page. */
export const RULE_BASED_COMMANDS = [
  'add note <text>',
  'list notes',
  'delete note <id>',
  'what time is it [in <time zone>]',
  'calculate <expression>',
] as const

interface Intent {
  /** The tool's name on its server; matched against `<server>_<name>` ids. */
  toolName: string
  /** Used when the tool is not listed (its server is down): the agent reports that. */
  fallbackId: string
  args: Record<string, unknown>
}

/**
 * A deterministic agent: maps a few phrasings to tool calls and turns the results into a
 * reply. No API key, no network, the same answer every time — what the demo, its tests and the
 * scenario run on.
 */
export class RuleBasedProvider implements ModelProvider {
  readonly name = 'rule-based'

  async generate(request: ModelRequest): Promise<ModelTurn> {
    const { messages, tools } = request
    const lastUser = findLastIndex(messages, (message) => message.role === 'user')
    const results = messages
      .slice(lastUser + 1)
      .filter((message): message is Extract<AgentMessage, { role: 'tool' }> => {
        return message.role === 'tool'
      })
    if (results.length > 0) return { type: 'text', text: results.map(summarize).join('\n') }

    const text = lastUser >= 0 ? messages[lastUser]!.content : ''
    const intent = parse(text)
    if (!intent) return { type: 'text', text: help(text) }
    const call: ToolCallRequest = {
      id: `call-${messages.length}`,
      tool: resolveToolId(tools, intent),
      args: intent.args,
    }
    return { type: 'tool-calls', calls: [call] }
  }
}

function parse(input: string): Intent | undefined {
  const text = input.trim()
  let match = /^(?:please\s+)?(?:add|new|create|save)\s+(?:a\s+)?note\s*[:-]?\s+(.+)$/is.exec(text)
  if (match) return intent('add_note', { text: match[1]!.trim() })
  if (
    /^(?:please\s+)?(?:list|show)(?:\s+me)?(?:\s+(?:all\s+)?my)?\s+notes\??$|^(?:my\s+)?notes\??$|^what are my notes\??$/i.test(
      text,
    )
  ) {
    return intent('list_notes', {})
  }
  match = /^(?:please\s+)?(?:delete|remove)\s+(?:the\s+)?note\s+([\w-]+)\.?$/i.exec(text)
  if (match) return intent('delete_note', { id: match[1]! })
  match =
    /^(?:what(?:'s| is) the time|what time is it|(?:current )?time)(?: now)?(?: in ([\w/+-]+))?\??$/i.exec(
      text,
    )
  if (match) {
    const timeZone = match[1]
    return intent('current_time', timeZone === undefined ? {} : { timeZone })
  }
  match = /^(?:calculate|calc|compute|evaluate|what(?:'s| is))\s+(.+?)\s*[?=]?$/i.exec(text)
  if (match && /\d/.test(match[1]!)) return intent('calculate', { expression: match[1]! })
  return undefined
}

function intent(toolName: string, args: Record<string, unknown>): Intent {
  const server = toolName.endsWith('_note') || toolName.endsWith('_notes') ? 'notes' : 'utilities'
  return { toolName, fallbackId: `${server}_${toolName}`, args }
}

function resolveToolId(tools: readonly ToolDescription[], intent: Intent): string {
  const exact = tools.find((tool) => tool.name === intent.fallbackId)
  if (exact) return exact.name
  const bySuffix = tools.find((tool) => tool.name.endsWith(`_${intent.toolName}`))
  return bySuffix?.name ?? intent.fallbackId
}

function help(text: string): string {
  const intro = text.trim() === '' ? 'Say something.' : `I did not understand "${text.trim()}".`
  return `${intro} I am the demo's rule-based agent; try: ${RULE_BASED_COMMANDS.map((command) => `"${command}"`).join(', ')}.`
}

function summarize(message: Extract<AgentMessage, { role: 'tool' }>): string {
  const toolName = message.tool.replace(/^[^_]+_/, '')
  const outcome: ToolOutcome = message.outcome
  if (!outcome.ok) {
    const approval = outcome.approval
    if (approval?.outcome === 'denied') {
      return `I did not run ${toolName}: the approval was denied${approval.reason ? ` (${approval.reason})` : ''}.`
    }
    if (approval?.outcome === 'expired') {
      return `I did not run ${toolName}: nobody approved it in time, so it was denied.`
    }
    return `The tool ${message.tool} failed: ${outcome.error}`
  }
  const result = outcome.result as Record<string, unknown> | undefined
  const approved = outcome.approval?.outcome === 'approved' ? ' (approved)' : ''
  switch (toolName) {
    case 'add_note': {
      const note = result?.note as { id: string; text: string } | undefined
      return note ? `Added note ${note.id}: "${note.text}".` : 'Added the note.'
    }
    case 'list_notes': {
      const notes = (result?.notes as { id: string; text: string }[] | undefined) ?? []
      if (notes.length === 0) return 'You have no notes.'
      const lines = notes.map((note) => `- ${note.id}: ${note.text}`)
      return `You have ${notes.length} note${notes.length === 1 ? '' : 's'}:\n${lines.join('\n')}`
    }
    case 'delete_note': {
      const deleted = result?.deleted as { id: string; text: string } | undefined
      return deleted
        ? `Deleted note ${deleted.id} ("${deleted.text}")${approved}.`
        : `Deleted the note${approved}.`
    }
    case 'current_time':
      return `It is ${String(result?.formatted ?? result?.iso ?? 'unknown')}.`
    case 'calculate':
      return `${String(result?.expression)} = ${String(result?.value)}`
    default:
      return `${message.tool} returned ${message.content}`
  }
}

function findLastIndex<Item>(items: readonly Item[], predicate: (item: Item) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) {
    if (predicate(items[index]!)) return index
  }
  return -1
}
