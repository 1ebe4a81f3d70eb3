export {
  type AgentMessage,
  type AgentReply,
  type AgentTool,
  type ApprovalRecord,
  type ModelProvider,
  type ModelRequest,
  type ModelTurn,
  type RunAgentOptions,
  runAgent,
  type ToolCallReport,
  type ToolCallRequest,
  type ToolDescription,
  type ToolOutcome,
} from './agent.js'
export { ExpressionError, evaluate } from './calculator.js'
export {
  type ApprovalCounts,
  createDemo,
  DEFAULT_NOTES_PROTOCOL_VERSION,
  type Demo,
  type DemoOptions,
  type ServerEra,
} from './demo.js'
export {
  createNotesServer,
  type Note,
  type NotesService,
  type NotesServiceOptions,
  NotesStore,
  startNotesService,
} from './notes-service.js'
export {
  ModelProviderError,
  OpenAICompatibleProvider,
  type OpenAICompatibleProviderOptions,
  providerFromEnvironment,
} from './openai-provider.js'
export {
  type RoundRobinProxy,
  type RoundRobinProxyOptions,
  startRoundRobinProxy,
} from './round-robin-proxy.js'
export { RULE_BASED_COMMANDS, RuleBasedProvider } from './rule-based-provider.js'
export { createScaledDemo, type ScaledDemo, type ScaledDemoOptions } from './scaled-demo.js'
export {
  formatScenarioReport,
  type LatencySummary,
  runScenario,
  type ScenarioCheck,
  type ScenarioOptions,
  type ScenarioReport,
} from './scenario.js'
export { type DemoUser, demoUserNames, UserDirectory } from './users.js'
export { createUtilitiesServer } from './utilities-server.js'
