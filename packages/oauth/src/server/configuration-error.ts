import { MCPServerError } from '@mcpkit/types'

/** A protected resource or verifier that cannot work as configured: thrown at startup. */
export function configurationError(message: string): MCPServerError {
  return new MCPServerError('INVALID_CONFIGURATION', message)
}
