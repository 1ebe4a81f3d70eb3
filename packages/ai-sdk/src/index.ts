export { isCallToolResult, type ToolResultOutput, toModelOutput } from './model-output.js'
export {
  type AdaptableTool,
  type AISDKTools,
  type ToAISDKToolsOptions,
  toAISDKTools,
} from './to-ai-sdk-tools.js'
