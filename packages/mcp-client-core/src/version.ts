import packageJson from '../package.json' with { type: 'json' }

/** How this client introduces itself in `initialize`. */
export const CLIENT_INFO = { name: 'mcpkit', version: packageJson.version } as const
