import { readFileSync } from 'node:fs'
import type { AgentReply } from './agent.js'
import { createDemo, type Demo } from './demo.js'
import { RuleBasedProvider } from './rule-based-provider.js'
import type { DemoUser } from './users.js'

/** Options of `runScenario`. */
export interface ScenarioOptions {
  /** Users in the session; default 20, at most 100 (the scenario is meant to be quick). */
  userCount?: number
  /** Concurrent API requests; default 10. */
  concurrency?: number
  /** Pooled and fresh latency samples per user; default 5 each. */
  samplesPerUser?: number
  /** Milliseconds before an unanswered approval is denied; default 1500. */
  approvalTimeout?: number
  /** Receives progress lines; default: nothing. */
  progress?: (line: string) => void
}

/** One row of the summary: what was checked, what came out, whether it holds. */
export interface ScenarioCheck {
  name: string
  detail: string
  ok: boolean
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  samples: number
  p50: number
  p95: number
}

/** What `runScenario` found. `ok` is true only if every check holds. */
export interface ScenarioReport {
  ok: boolean
  users: number
  requests: number
  latency: { api: LatencySummary; pooled: LatencySummary; fresh: LatencySummary }
  approvals: { approved: number; denied: number; expired: number }
  isolation: { responsesChecked: number; leaks: number }
  checks: ScenarioCheck[]
}

type Plan = 'approve' | 'deny' | 'expire'

/**
 * A scripted multi-user session against a demo it starts and stops itself: every user adds,
 * lists, calculates and asks the time through the HTTP API, then asks to delete a note and a
 * scripted reviewer approves, denies or ignores it; then pooled and fresh clients are timed.
 * Every response is checked to hold only its own user's notes.
 */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioReport> {
  const userCount = options.userCount ?? 20
  if (!Number.isInteger(userCount) || userCount < 2 || userCount > 100) {
    throw new Error(`userCount must be an integer from 2 to 100, got ${userCount}.`)
  }
  const concurrency = options.concurrency ?? 10
  const samplesPerUser = options.samplesPerUser ?? 5
  const progress = options.progress ?? (() => {})
  const checks: ScenarioCheck[] = []
  const check = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail })
  }

  const demo = await createDemo({
    userCount,
    provider: new RuleBasedProvider(),
    approvalTimeout: options.approvalTimeout ?? 1500,
  })
  const users = demo.users
  const apiLatencies: number[] = []
  const pooledLatencies: number[] = []
  const freshLatencies: number[] = []
  let requests = 0
  let failedRequests = 0
  let responsesChecked = 0
  let leaks = 0
  const wrongReplies: string[] = []
  const observedApprovals = { approved: 0, denied: 0, expired: 0 }
  let report: ScenarioReport | undefined

  // `timed: false` for chats that wait for a human: their latency is the reviewer's.
  const chat = async (
    user: DemoUser,
    message: string,
    { timed = true }: { timed?: boolean } = {},
  ): Promise<AgentReply | undefined> => {
    requests += 1
    const started = performance.now()
    const response = await fetch(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    }).catch(() => undefined)
    if (timed) apiLatencies.push(performance.now() - started)
    if (!response?.ok) {
      failedRequests += 1
      await response?.body?.cancel()
      return undefined
    }
    const reply = (await response.json()) as AgentReply
    responsesChecked += 1
    // Every note text carries its owner's marker, so any other marker is a leak.
    for (const [, owner] of JSON.stringify(reply).matchAll(/\[owner:([a-z0-9-]+)\]/g)) {
      if (owner !== user.name) leaks += 1
    }
    return reply
  }
  const expect = (user: DemoUser, what: string, condition: boolean): void => {
    if (!condition && wrongReplies.length < 10) wrongReplies.push(`${user.name}: ${what}`)
  }

  try {
    progress(`demo at ${demo.url} with ${userCount} users`)

    // 1. Everyday requests, many users at once.
    const firstNoteIds = new Map<string, string>()
    await forEachConcurrently(users, concurrency, async (user) => {
      const first = await chat(user, `add note [owner:${user.name}] first note`)
      const firstNote = (first?.toolCalls[0]?.result as { note?: { id: string } } | undefined)?.note
      expect(user, 'first add_note returns the note', firstNote !== undefined)
      if (firstNote) firstNoteIds.set(user.name, firstNote.id)
      await chat(user, `add note [owner:${user.name}] second note`)
      const listed = await chat(user, 'list notes')
      expect(user, 'list shows 2 notes', countNotes(listed) === 2)
      const sum = await chat(user, 'calculate 6 * (3 + 4)')
      expect(user, 'calculate answers 42', sum?.reply.includes('= 42') === true)
      const time = await chat(user, 'what time is it')
      expect(user, 'current_time answers', time?.toolCalls[0]?.error === undefined)
    })
    progress(`everyday requests done (${requests})`)

    // 2. Deletes wait for approval; a reviewer approves, denies, or lets them expire.
    const plans = new Map<string, Plan>(
      users.map((user, index) => {
        const slot = index % 10
        return [user.name, slot < 7 ? 'approve' : slot < 9 ? 'deny' : 'expire']
      }),
    )
    let crossUserStatus: number | undefined
    await forEachConcurrently(users, concurrency, async (user, index) => {
      const id = firstNoteIds.get(user.name)
      if (id === undefined) return
      const plan = plans.get(user.name)!
      const pending = chat(user, `delete note ${id}`, { timed: false })
      const request = await waitForPending(demo, user)
      if (request === undefined) {
        expect(user, 'delete shows a pending approval', false)
      } else {
        if (index === 0) {
          // Another user must not be able to settle this request.
          const other = users[1]!
          crossUserStatus = await settle(demo, other, request, 'approve')
        }
        if (plan === 'approve')
          expect(
            user,
            'approve answers 200',
            (await settle(demo, user, request, 'approve')) === 200,
          )
        if (plan === 'deny')
          expect(user, 'deny answers 200', (await settle(demo, user, request, 'deny')) === 200)
      }
      const reply = await pending
      const outcome = reply?.toolCalls[0]?.approval?.outcome
      if (outcome === 'approved' || outcome === 'denied' || outcome === 'expired') {
        observedApprovals[outcome] += 1
      }
      const expected = plan === 'approve' ? 'approved' : plan === 'deny' ? 'denied' : 'expired'
      expect(user, `delete was ${expected} (got ${outcome})`, outcome === expected)
      const after = await chat(user, 'list notes')
      expect(
        user,
        `${plan === 'approve' ? 1 : 2} note(s) left after the delete`,
        countNotes(after) === (plan === 'approve' ? 1 : 2),
      )
    })
    progress(`approvals done (${requests})`)

    // 3. Pooled vs fresh: listToolsets() + one list_notes call, per request.
    for (const user of users) {
      for (let sample = 0; sample < samplesPerUser; sample++) {
        let started = performance.now()
        await demo.withUserClient(user, async (client) => {
          const toolsets = await client.listToolsets()
          await toolsets.notes?.list_notes?.execute({})
        })
        pooledLatencies.push(performance.now() - started)

        started = performance.now()
        const client = demo.createUserClient(user)
        try {
          const toolsets = await client.listToolsets()
          await toolsets.notes?.list_notes?.execute({})
        } finally {
          await client.disconnect()
        }
        freshLatencies.push(performance.now() - started)
      }
    }
    progress('latency samples done')

    const counts = demo.approvalCounts()
    const expectedApprovals = { approved: 0, denied: 0, expired: 0 }
    for (const plan of plans.values()) {
      expectedApprovals[plan === 'approve' ? 'approved' : plan === 'deny' ? 'denied' : 'expired'] +=
        1
    }
    const utilitiesPid = await demo.utilitiesPid()
    const poolBeforeClose = demo.pool.stats()
    await demo.close()
    const poolAfterClose = demo.pool.stats()
    const childGone = await waitUntil(() => !isProcessAlive(utilitiesPid), 5000)
    const apiClosed = await fetch(demo.url).then(
      () => false,
      () => true,
    )

    const api = summarize(apiLatencies)
    const pooled = summarize(pooledLatencies)
    const fresh = summarize(freshLatencies)
    check(
      'requests',
      failedRequests === 0,
      `${requests} chat requests, ${requests - failedRequests} answered 200`,
    )
    check(
      'replies',
      wrongReplies.length === 0,
      wrongReplies.length === 0 ? 'every reply as scripted' : wrongReplies.join('; '),
    )
    check(
      'approvals',
      sameCounts(observedApprovals, expectedApprovals) &&
        counts.approved === expectedApprovals.approved &&
        counts.denied === expectedApprovals.denied &&
        counts.expired === expectedApprovals.expired,
      `approved ${counts.approved}/${expectedApprovals.approved}, denied ${counts.denied}/${expectedApprovals.denied}, expired ${counts.expired}/${expectedApprovals.expired}`,
    )
    check(
      'approval isolation',
      crossUserStatus === 403,
      `another user settling a request: HTTP ${crossUserStatus ?? 'not tried'} (want 403)`,
    )
    check(
      'note isolation',
      leaks === 0 && responsesChecked === requests,
      `${responsesChecked} responses checked, ${leaks} foreign notes seen`,
    )
    check(
      'pooled vs fresh',
      pooled.p50 < fresh.p50,
      `p50 ${format(pooled.p50)} vs ${format(fresh.p50)} ms (${(fresh.p50 / Math.max(pooled.p50, 0.001)).toFixed(1)}x faster pooled)`,
    )
    check(
      'cleanup',
      poolAfterClose.size === 0 && childGone && apiClosed,
      `pool ${poolBeforeClose.size} -> ${poolAfterClose.size} clients; stdio child ${childGone ? 'exited' : 'STILL RUNNING'}; API ${apiClosed ? 'closed' : 'STILL OPEN'}`,
    )
    report = {
      ok: checks.every((each) => each.ok),
      users: userCount,
      requests,
      latency: { api, pooled, fresh },
      approvals: {
        approved: counts.approved,
        denied: counts.denied,
        expired: counts.expired,
      },
      isolation: { responsesChecked, leaks },
      checks,
    }
    return report
  } finally {
    await demo.close()
  }
}

/** The report as a plain-text summary table. */
export function formatScenarioReport(report: ScenarioReport): string {
  const { api, pooled, fresh } = report.latency
  const metrics: [string, string][] = [
    ['users', String(report.users)],
    ['chat requests', String(report.requests)],
    [
      'API latency',
      `p50 ${format(api.p50)} ms, p95 ${format(api.p95)} ms (${api.samples} chats not waiting for approval)`,
    ],
    [
      'pooled client',
      `p50 ${format(pooled.p50)} ms, p95 ${format(pooled.p95)} ms (listToolsets + list_notes, ${pooled.samples} samples)`,
    ],
    [
      'fresh client',
      `p50 ${format(fresh.p50)} ms, p95 ${format(fresh.p95)} ms (create + listToolsets + list_notes + disconnect)`,
    ],
    [
      'approvals',
      `${report.approvals.approved} approved, ${report.approvals.denied} denied, ${report.approvals.expired} expired`,
    ],
    [
      'isolation',
      `${report.isolation.responsesChecked} responses checked, ${report.isolation.leaks} leaks`,
    ],
  ]
  const rows = [
    ['metric', 'value', 'check'],
    ...metrics.map(([name, value]) => [name, value, '']),
    ...report.checks.map((each) => [each.name, each.detail, each.ok ? 'ok' : 'FAILED']),
  ]
  const widths = [0, 1].map((column) =>
    Math.max(...rows.map((row) => row[column]!.length), column === 0 ? 5 : 6),
  )
  const line = (cells: string[]): string =>
    `| ${cells[0]!.padEnd(widths[0]!)} | ${cells[1]!.padEnd(widths[1]!)} | ${cells[2]!.padEnd(6)} |`
  const rule = `|${'-'.repeat(widths[0]! + 2)}|${'-'.repeat(widths[1]! + 2)}|--------|`
  return [
    `mcpkit demo scenario: ${report.users} users`,
    line(['metric', 'value', 'check']),
    rule,
    ...metrics.map(([name, value]) => line([name, value, ''])),
    rule,
    ...report.checks.map((each) => line([each.name, each.detail, each.ok ? 'ok' : 'FAILED'])),
    rule,
    `Result: ${report.ok ? 'every check holds' : 'SOME CHECKS FAILED'}`,
  ].join('\n')
}

async function waitForPending(demo: Demo, user: DemoUser): Promise<{ id: string } | undefined> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    const response = await fetch(new URL('/api/approvals', demo.url), {
      headers: { authorization: `Bearer ${user.token}` },
    })
    const { pending } = (await response.json()) as { pending: { id: string }[] }
    if (pending[0]) return pending[0]
    await sleep(20)
  }
  return undefined
}

async function settle(
  demo: Demo,
  user: DemoUser,
  request: { id: string },
  decision: 'approve' | 'deny',
): Promise<number> {
  const response = await fetch(
    new URL(`/api/approvals/${encodeURIComponent(request.id)}/${decision}`, demo.url),
    {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(decision === 'deny' ? { reason: 'not today' } : {}),
    },
  )
  await response.body?.cancel()
  return response.status
}

function countNotes(reply: AgentReply | undefined): number | undefined {
  const result = reply?.toolCalls[0]?.result as { notes?: unknown[] } | undefined
  return result?.notes?.length
}

async function forEachConcurrently<Item>(
  items: readonly Item[],
  limit: number,
  fn: (item: Item, index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      await fn(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (quantile: number): number =>
    sorted.length === 0
      ? 0
      : sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95) }
}

function sameCounts(
  a: Record<'approved' | 'denied' | 'expired', number>,
  b: Record<'approved' | 'denied' | 'expired', number>,
): boolean {
  return a.approved === b.approved && a.denied === b.denied && a.expired === b.expired
}

function format(milliseconds: number): string {
  return milliseconds < 10 ? milliseconds.toFixed(2) : milliseconds.toFixed(1)
}

/** Whether `pid` is a running process; a zombie (exited, not reaped) counts as gone. */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() >= deadline) return false
    await sleep(25)
  }
  return true
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
