export { type LangChainContent, toLangChainContent } from './content.js'
export {
  type AdaptableTool,
  type ToLangChainToolsOptions,
  toLangChainTools,
} from './to-langchain-tools.js'
