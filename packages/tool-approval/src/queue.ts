import type {
  ApprovalDecider,
  ApprovalDecision,
  ApprovalHandlerContext,
  ApprovalRequest,
} from '@mcpkit/types'
import { ApprovalError } from './approval-error.js'
import { MemoryApprovalStore } from './memory-store.js'
import type { ApprovalRecord, ApprovalSettleResult, ApprovalStore, MaybePromise } from './store.js'

/** What `ApprovalQueue` tells subscribers: a request is waiting, or it was settled. */
export type ApprovalQueueChange =
  | { type: 'pending'; request: ApprovalRequest }
  | { type: 'settled'; request: ApprovalRequest; outcome: 'approved' | 'denied' | 'expired' }

/** Options of `ApprovalQueue`. */
export interface ApprovalQueueOptions {
  /** Where requests are kept. Default: a new `MemoryApprovalStore`. */
  store?: ApprovalStore
  /** Called on every change, like a listener added with `subscribe`. */
  onChange?: (change: ApprovalQueueChange) => void
  /**
   * Milliseconds a settled or expired request is remembered, so a late `approve` answers
   * "already settled" (404) or "expired" (410) rather than "unknown". Default 3600000 (1 h).
   */
  retention?: number
}

/** A call waiting in this process for its decision. */
interface Waiter {
  readonly request: ApprovalRequest
  /** Settles the call's `decide` promise and removes the abort listener. */
  finish(decision: ApprovalDecision): void
  /** Resolved once the store holds the request; `undefined` when it was stored synchronously. */
  stored: Promise<void> | undefined
}

const DEFAULT_RETENTION = 3_600_000
const MAX_PRUNE_INTERVAL = 60_000

/**
 * Human-in-the-loop approvals: each call that needs approval waits here as a pending request
 * until someone calls `approve(id)` or `deny(id)`, or it expires. Give it to `createApprovalGate`
 * / `withApproval` / `MCPClient` as the `handler`, and list `pending()` in your UI.
 *
 * A decision settles exactly one request, once: the store settles atomically, a request can
 * only be approved by its own principal (when the caller says who is acting), and an expired
 * request can no longer be approved. Decisions reach calls waiting in this process, and, with a
 * store that has `watch` (such as `@mcpkit/redis`), calls waiting in other processes.
 */
export class ApprovalQueue implements ApprovalDecider {
  readonly #store: ApprovalStore
  readonly #retention: number
  readonly #waiters = new Map<string, Waiter>()
  readonly #listeners = new Set<(change: ApprovalQueueChange) => void>()
  #lastPrune = 0
  #unwatch: (() => void) | undefined

  constructor(options: ApprovalQueueOptions = {}) {
    this.#store = options.store ?? new MemoryApprovalStore()
    const retention = options.retention ?? DEFAULT_RETENTION
    if (!Number.isFinite(retention) || retention < 0) {
      throw new TypeError(
        `ApprovalQueue retention must be a non-negative number of milliseconds; got ${retention}`,
      )
    }
    this.#retention = retention
    if (options.onChange) this.#listeners.add(options.onChange)
    // A store shared by several processes reports decisions made through the others.
    this.#unwatch = this.#store.watch?.((record) => this.#settledElsewhere(record), {
      waiting: () => this.#waiters.keys(),
    })
  }

  /**
   * Stops listening to the store's settlements (only stores with `watch`, such as a Redis one,
   * listen). Calls still waiting here are then released only by this queue or their expiry.
   */
  close(): void {
    this.#unwatch?.()
    this.#unwatch = undefined
  }

  /**
   * Stores the request as pending and resolves with the decision of `approve`/`deny`, or with
   * a denial when `context.signal` aborts (the call was aborted, or the request expired).
   */
  decide(request: ApprovalRequest, context: ApprovalHandlerContext): Promise<ApprovalDecision> {
    const { signal } = context
    if (signal.aborted || Date.now() >= request.expiresAt) {
      return Promise.resolve({ approved: false, reason: abandonReason(request, Date.now()) })
    }
    if (this.#waiters.has(request.id)) {
      return Promise.reject(
        new Error(`Approval request "${request.id}" is already waiting for a decision`),
      )
    }
    this.#pruneNow(Date.now(), false)
    return new Promise<ApprovalDecision>((resolve, reject) => {
      const onAbort = () => this.#abandon(request.id)
      const waiter: Waiter = {
        request,
        stored: undefined,
        finish: (decision) => {
          signal.removeEventListener('abort', onAbort)
          if (this.#waiters.get(request.id) === waiter) this.#waiters.delete(request.id)
          resolve(decision)
        },
      }
      const fail = (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        if (this.#waiters.get(request.id) === waiter) this.#waiters.delete(request.id)
        reject(error)
      }
      this.#waiters.set(request.id, waiter)
      signal.addEventListener('abort', onAbort, { once: true })
      let added: MaybePromise<void>
      try {
        added = this.#store.add(request)
      } catch (error) {
        fail(error)
        return
      }
      if (isPromise(added)) {
        waiter.stored = added.then(
          () => {
            if (this.#waiters.get(request.id) === waiter) this.#emit({ type: 'pending', request })
          },
          (error: unknown) => fail(error),
        )
      } else {
        this.#emit({ type: 'pending', request })
      }
    })
  }

  /** Pending requests, oldest first; only `principal`'s when given (a user's own inbox). */
  async pending(filter: { principal?: string } = {}): Promise<ApprovalRequest[]> {
    return this.#store.listPending({ principal: filter.principal, at: Date.now() })
  }

  /**
   * A pending request by id; `undefined` if it is unknown, settled, expired, or (when
   * `principal` is given) someone else's.
   */
  async get(
    id: string,
    options: { principal?: string } = {},
  ): Promise<ApprovalRequest | undefined> {
    const record = await this.#store.get(id)
    if (record?.status !== 'pending' || record.request.expiresAt <= Date.now()) {
      return undefined
    }
    if (options.principal !== undefined && options.principal !== record.request.principal) {
      return undefined
    }
    return record.request
  }

  /**
   * Approves request `id`: its call runs. Pass `principal` (the acting user) from any
   * user-facing API: the request must belong to them. Throws `ApprovalError`:
   * `APPROVAL_NOT_FOUND` (unknown or already settled), `APPROVAL_EXPIRED`, `APPROVAL_FORBIDDEN`.
   */
  async approve(id: string, options: { principal?: string; by?: string } = {}): Promise<void> {
    await this.#settle(id, { approved: true, by: options.by }, options.principal)
  }

  /** Denies request `id`: its call does not run, and the agent reads `reason`. Throws as `approve`. */
  async deny(
    id: string,
    options: { principal?: string; reason?: string; by?: string } = {},
  ): Promise<void> {
    await this.#settle(
      id,
      { approved: false, reason: options.reason ?? 'denied by the reviewer', by: options.by },
      options.principal,
    )
  }

  /** Listens to changes (for a UI or a server-sent-events stream); returns the unsubscribe. */
  subscribe(listener: (change: ApprovalQueueChange) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * Forgets requests settled or expired longer than `retention` ago; returns how many. The
   * queue also does this on its own, at most once a minute, when new requests arrive.
   */
  async prune(): Promise<number> {
    return this.#pruneNow(Date.now(), true) ?? 0
  }

  async #settle(
    id: string,
    decision: ApprovalDecision,
    principal: string | undefined,
  ): Promise<void> {
    const result: ApprovalSettleResult = await this.#store.settle(id, {
      status: decision.approved ? 'approved' : 'denied',
      at: Date.now(),
      principal,
      by: decision.by,
      reason: decision.approved ? undefined : decision.reason,
    })
    if (!result.settled) throw refusal(id, result.record, principal)
    const { request } = result.record
    this.#waiters.get(id)?.finish(decision)
    this.#emit({ type: 'settled', request, outcome: decision.approved ? 'approved' : 'denied' })
  }

  /**
   * A record settled through the shared store, possibly by another process: releases the call
   * waiting here for it, once (a settlement made here has already removed its waiter).
   */
  #settledElsewhere(record: ApprovalRecord): void {
    const waiter = this.#waiters.get(record.request.id)
    if (!waiter || record.status === 'pending') return
    // Released only for the very request this process holds: same principal, same arguments.
    const held = waiter.request
    if (
      record.request.principal !== held.principal ||
      record.request.argsDigest !== held.argsDigest
    ) {
      return
    }
    const outcome = record.status
    waiter.finish(
      outcome === 'approved'
        ? { approved: true, by: record.decidedBy }
        : {
            approved: false,
            reason: outcome === 'expired' ? 'expired' : (record.reason ?? 'denied by the reviewer'),
            by: record.decidedBy,
          },
    )
    this.#emit({ type: 'settled', request: held, outcome })
  }

  /** The call stopped waiting (aborted, or expired): record that, so nobody can approve it later. */
  #abandon(id: string): void {
    const waiter = this.#waiters.get(id)
    if (!waiter) return
    const at = Date.now()
    const reason = abandonReason(waiter.request, at)
    const status = reason === 'expired' ? 'expired' : 'denied'
    waiter.finish({ approved: false, reason })
    const record = () => {
      let result: MaybePromise<ApprovalSettleResult>
      try {
        result = this.#store.settle(id, { status, at, reason })
      } catch {
        return
      }
      const announce = (settled: ApprovalSettleResult) => {
        // An approve that arrived after expiresAt may have marked it expired already; announce
        // that here, where the expiry is known to be final.
        const final = settled.record?.status
        if (settled.settled || final === 'expired') {
          if (final === 'approved' || final === 'denied' || final === 'expired') {
            this.#emit({ type: 'settled', request: waiter.request, outcome: final })
          }
        }
      }
      if (isPromise(result)) result.then(announce, () => {})
      else announce(result)
    }
    // Settle synchronously when the store allows it, so no approve can slip in after expiry.
    if (waiter.stored) waiter.stored.then(record, () => {})
    else record()
  }

  #pruneNow(now: number, force: boolean): Promise<number> | undefined {
    const interval = Math.min(this.#retention, MAX_PRUNE_INTERVAL)
    if (!force && now - this.#lastPrune < interval) return undefined
    this.#lastPrune = now
    try {
      const removed = this.#store.prune(now - this.#retention)
      const promise = Promise.resolve(removed)
      // Background pruning must never surface as an unhandled rejection.
      if (!force) promise.catch(() => {})
      return promise
    } catch (error) {
      return force ? Promise.reject(error) : undefined
    }
  }

  #emit(change: ApprovalQueueChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change)
      } catch {
        // A broken UI listener must not break approvals.
      }
    }
  }
}

function abandonReason(request: ApprovalRequest, at: number): 'expired' | 'aborted' {
  return at >= request.expiresAt ? 'expired' : 'aborted'
}

function refusal(
  id: string,
  record: ApprovalRecord | undefined,
  principal: string | undefined,
): ApprovalError {
  if (record && principal !== undefined && record.request.principal !== principal) {
    return new ApprovalError({ code: 'APPROVAL_FORBIDDEN', requestId: id })
  }
  if (record?.status === 'expired')
    return new ApprovalError({ code: 'APPROVAL_EXPIRED', requestId: id })
  return new ApprovalError({ code: 'APPROVAL_NOT_FOUND', requestId: id })
}

function isPromise<Value>(value: MaybePromise<Value>): value is Promise<Value> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
