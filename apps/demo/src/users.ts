import { randomBytes } from 'node:crypto'

/** A demo user and the bearer token that identifies them to the demo API and the notes server. */
export interface DemoUser {
  readonly name: string
  readonly token: string
}

const NAMED_USERS = ['alice', 'bob', 'carol', 'dave', 'erin']

/**
 * The demo's user directory. Tokens are random per run: a real service would get them from its
 * identity provider, and would never list them (`GET /api/users` exists only for the demo).
 */
export class UserDirectory {
  readonly users: readonly DemoUser[]
  readonly #byToken: Map<string, DemoUser>

  constructor(names: readonly string[]) {
    const unique = new Set(names)
    if (unique.size !== names.length) throw new Error('Demo user names must be unique.')
    for (const name of names) {
      if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) {
        throw new Error(
          `Invalid demo user name "${name}": use 1-32 lowercase letters, digits and "-".`,
        )
      }
    }
    this.users = names.map((name) => ({
      name,
      token: `demo-${name}-${randomBytes(18).toString('base64url')}`,
    }))
    this.#byToken = new Map(this.users.map((user) => [user.token, user]))
  }

  /** The user a token belongs to, or `undefined` for unknown tokens. */
  byToken(token: string): DemoUser | undefined {
    return this.#byToken.get(token)
  }

  byName(name: string): DemoUser | undefined {
    return this.users.find((user) => user.name === name)
  }
}

/**
 * Names for `count` demo users: the five named ones first, then `user-006`, `user-007`, …
 * (the load test and the scenario use hundreds).
 */
export function demoUserNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new Error(`userCount must be an integer from 1 to 10000, got ${count}.`)
  }
  const names = NAMED_USERS.slice(0, count)
  for (let index = names.length + 1; index <= count; index++) {
    names.push(`user-${String(index).padStart(3, '0')}`)
  }
  return names
}
