// Isolation under load: 200 users × 20 chat requests at concurrency 50 through the demo's HTTP
// API, every response checked to hold only its own user's notes; then close() leaves no
// pooled client and no child process behind.
import type { AgentReply, DemoUser } from '@mcpkit/demo'
import { createDemo, RuleBasedProvider } from '@mcpkit/demo'
import { describe, expect, it } from 'vitest'
import { isProcessAlive, runningChildren, waitFor } from '../support/processes.js'

const USERS = 200
const REQUESTS_PER_USER = 20
const CONCURRENCY = 50
/** The whole load must finish within this, or the test fails instead of hanging. */
const LOAD_DEADLINE_MS = 120_000

describe('demo isolation under load', () => {
  it(`${USERS} users × ${REQUESTS_PER_USER} requests at concurrency ${CONCURRENCY}: zero leaks, nothing survives close()`, async () => {
    const childrenBefore = new Set(runningChildren())
    // Room for every user: users take turns, so a smaller LRU would evict each client just
    // before its user's next request (eviction itself is tested in tests/client/pool).
    const demo = await createDemo({
      provider: new RuleBasedProvider(),
      userCount: USERS,
      poolMax: USERS,
    })
    let closed = false
    try {
      const utilitiesPid = await demo.utilitiesPid()
      expect(isProcessAlive(utilitiesPid)).toBe(true)

      const deadline = Date.now() + LOAD_DEADLINE_MS
      const semaphore = new Semaphore(CONCURRENCY)
      let inFlight = 0
      let maxInFlight = 0
      let checked = 0
      let leaks = 0
      const problems: string[] = []
      const note = (problem: string): void => {
        if (problems.length < 20) problems.push(problem)
      }

      // Each user's requests run in order (so a list follows its adds); users run at once.
      const runUser = async (user: DemoUser): Promise<void> => {
        const added: string[] = []
        for (let index = 0; index < REQUESTS_PER_USER; index++) {
          await semaphore.acquire()
          try {
            inFlight += 1
            if (Date.now() > deadline) {
              note(`${user.name} #${index}: not sent, the load ran past its deadline`)
              return
            }
            maxInFlight = Math.max(maxInFlight, inFlight)
            const isAdd = index % 2 === 0
            const text = `[owner:${user.name}] note ${index}`
            const response = await fetch(new URL('/api/chat', demo.url), {
              method: 'POST',
              headers: {
                authorization: `Bearer ${user.token}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ message: isAdd ? `add note ${text}` : 'list notes' }),
            })
            const reply = (await response.json()) as AgentReply
            if (response.status !== 200) {
              note(`${user.name} #${index}: HTTP ${response.status} ${JSON.stringify(reply)}`)
              continue
            }
            checked += 1
            // Every note text names its owner; any other owner in a response is a leak.
            const owners = [...JSON.stringify(reply).matchAll(/\[owner:([a-z0-9-]+)\]/g)].map(
              (match) => match[1],
            )
            const foreign = owners.filter((owner) => owner !== user.name)
            leaks += foreign.length
            if (foreign.length > 0)
              note(`${user.name} #${index} saw notes of ${foreign.join(', ')}`)
            if (owners.length === 0) note(`${user.name} #${index}: no note in the response`)
            const call = reply.toolCalls[0]
            if (isAdd) {
              added.push(text)
              const saved = (call?.result as { note?: { text: string } } | undefined)?.note
              if (saved?.text !== text)
                note(`${user.name} #${index}: add returned ${JSON.stringify(call)}`)
            } else {
              const texts = (
                (call?.result as { notes?: { text: string }[] } | undefined)?.notes ?? []
              ).map((each) => each.text)
              if (JSON.stringify(texts) !== JSON.stringify(added)) {
                note(
                  `${user.name} #${index}: listed ${JSON.stringify(texts)}, added ${JSON.stringify(added)}`,
                )
              }
            }
          } finally {
            inFlight -= 1
            semaphore.release()
          }
        }
      }

      const started = Date.now()
      await Promise.all(demo.users.map(runUser))
      const seconds = (Date.now() - started) / 1000

      expect(problems).toEqual([])
      expect(leaks).toBe(0)
      expect(checked).toBe(USERS * REQUESTS_PER_USER)
      expect(maxInFlight).toBeLessThanOrEqual(CONCURRENCY)
      expect(maxInFlight).toBeGreaterThan(CONCURRENCY / 2)
      const stats = demo.pool.stats()
      // One client per user, made once and reused for its other requests.
      expect(stats.misses).toBe(USERS)
      expect(stats.hits).toBe(USERS * (REQUESTS_PER_USER - 1))
      expect(stats.size).toBe(USERS)
      expect(stats.inUse).toBe(0)
      console.log(
        `demo load: ${checked} responses in ${seconds.toFixed(1)} s (${Math.round(checked / seconds)}/s), pool ${JSON.stringify(stats)}`,
      )

      await demo.close()
      closed = true
      expect(demo.pool.stats().size).toBe(0)
      expect(demo.pool.stats().inUse).toBe(0)
      expect(await waitFor(() => !isProcessAlive(utilitiesPid), { timeoutMs: 5000 })).toBe(true)
      expect(
        await waitFor(() => runningChildren().every((pid) => childrenBefore.has(pid)), {
          timeoutMs: 5000,
        }),
      ).toBe(true)
      await expect(fetch(demo.url)).rejects.toThrow()
      await expect(fetch(demo.notes.url, { method: 'POST' })).rejects.toThrow()
    } finally {
      if (!closed) await demo.close()
    }
  }, 180_000)
})

/** At most `limit` holders at once; waiters are served in arrival order. */
class Semaphore {
  #available: number
  readonly #waiting: (() => void)[] = []

  constructor(limit: number) {
    this.#available = limit
  }

  async acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available -= 1
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#available += 1
  }
}
