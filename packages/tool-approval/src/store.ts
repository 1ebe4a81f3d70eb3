import type { ApprovalRequest } from '@mcpkit/types'

/** Where an approval request stands. `'expired'`: nobody answered before `expiresAt`. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired'

/** A request and its status, as an `ApprovalStore` keeps it. Replaced, never mutated. */
export interface ApprovalRecord {
  readonly request: ApprovalRequest
  readonly status: ApprovalStatus
  /** Epoch milliseconds the request left `'pending'`; `undefined` while pending. */
  readonly settledAt: number | undefined
  /** Who approved or denied it, when they said. */
  readonly decidedBy: string | undefined
  readonly reason: string | undefined
}

/** What `ApprovalStore.settle` is asked to do. */
export interface ApprovalSettlement {
  status: 'approved' | 'denied' | 'expired'
  /** Epoch milliseconds of the decision; compared with the request's `expiresAt`. */
  at: number
  /** Settle only if the request belongs to this principal. */
  principal?: string | undefined
  by?: string | undefined
  reason?: string | undefined
}

/** The answer of `ApprovalStore.settle`. */
export type ApprovalSettleResult =
  /** The record moved from `'pending'` to the requested status; `record` is the new one. */
  | { settled: true; record: ApprovalRecord }
  /** Nothing was settled. `record` is the record as it is now, or `undefined` if unknown. */
  | { settled: false; record: ApprovalRecord | undefined }

/** A value or a promise of it: stores may be synchronous (memory) or not (a database). */
export type MaybePromise<Value> = Value | Promise<Value>

/**
 * Persistence of approval requests for `ApprovalQueue`. Implement it over a database to keep
 * pending requests where several processes can list them; `MemoryApprovalStore` is the default.
 *
 * `settle` must be atomic (one compare-and-set: a transaction, `UPDATE … WHERE status =
 * 'pending'`, a Lua script), because it is what guarantees that a request is settled once.
 */
export interface ApprovalStore {
  /** Stores a new `'pending'` record. Must throw if a record with that id exists. */
  add(request: ApprovalRequest): MaybePromise<void>
  /** The record with that id, whatever its status; `undefined` if unknown or pruned. */
  get(id: string): MaybePromise<ApprovalRecord | undefined>
  /**
   * Atomically settles a request, only if it is `'pending'` and, when `principal` is given,
   * belongs to that principal. For `'approved'` and `'denied'`, a pending request whose
   * `expiresAt <= at` is not settled as asked: it becomes `'expired'` (with `settledAt =
   * expiresAt`) and the result is `{ settled: false, record: <the expired record> }`.
   */
  settle(id: string, settlement: ApprovalSettlement): MaybePromise<ApprovalSettleResult>
  /**
   * Pending requests not yet expired at `at`, oldest first; only those of `principal` when
   * given.
   */
  listPending(filter: {
    principal?: string | undefined
    at: number
  }): MaybePromise<ApprovalRequest[]>
  /**
   * Forgets records settled before `olderThan`, and pending ones whose `expiresAt` is before
   * it. Until then a settled id answers "already settled" or "expired"; afterwards "unknown".
   * Returns how many records were removed.
   */
  prune(olderThan: number): MaybePromise<number>
  /**
   * Optional, for stores shared by several processes: calls `listener` with each record that
   * leaves `'pending'` through this store, in any process (pub/sub, a change feed), so the
   * `ApprovalQueue` whose call waits for it is released. Records settled by the listening
   * process itself may be reported too (they are ignored). `options.waiting` lists the ids
   * the listening queue holds calls for: a store whose feed can miss messages (a pub/sub
   * connection that dropped) reads those records again once it is back and reports the
   * settled ones. Returns the unsubscribe function.
   */
  watch?(
    listener: (record: ApprovalRecord) => void,
    options?: { waiting?: () => Iterable<string> },
  ): () => void
}
