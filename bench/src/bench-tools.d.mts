import type { McpServer } from '@modelcontextprotocol/server'

/** Registers the bench's tools (`echo`, `add`, `get_time`) on `server` and returns it. */
export declare function registerBenchTools(server: McpServer): McpServer
