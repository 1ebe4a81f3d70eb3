// The build writes the package version here (tsup `define`), so the bundle carries the version
// string and not the whole manifest; unbuilt sources (unit tests) say `0.0.0-dev`.
declare const __MCPKIT_VERSION__: string | undefined

/** How this client introduces itself in `initialize`. */
export const CLIENT_INFO = {
  name: 'mcpkit',
  version: typeof __MCPKIT_VERSION__ === 'string' ? __MCPKIT_VERSION__ : '0.0.0-dev',
} as const
