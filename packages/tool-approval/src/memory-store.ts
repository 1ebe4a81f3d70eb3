import type { ApprovalRequest } from '@mcpkit/types'
import type {
  ApprovalRecord,
  ApprovalSettlement,
  ApprovalSettleResult,
  ApprovalStore,
} from './store.js'

/**
 * `ApprovalStore` in process memory: the default of `ApprovalQueue`. Every method is
 * synchronous, which makes `settle` atomic by construction. Records are lost on restart and
 * not shared between processes; for several instances, implement `ApprovalStore` over a
 * shared database.
 */
export class MemoryApprovalStore implements ApprovalStore {
  readonly #records = new Map<string, ApprovalRecord>()
  /** Pending ids per principal, so a user's inbox is listed without scanning everyone's. */
  readonly #pendingByPrincipal = new Map<string, Set<string>>()

  add(request: ApprovalRequest): void {
    if (this.#records.has(request.id)) {
      throw new Error(`An approval request with id "${request.id}" already exists`)
    }
    this.#records.set(request.id, {
      request,
      status: 'pending',
      settledAt: undefined,
      decidedBy: undefined,
      reason: undefined,
    })
    let ids = this.#pendingByPrincipal.get(request.principal)
    if (!ids) {
      ids = new Set()
      this.#pendingByPrincipal.set(request.principal, ids)
    }
    ids.add(request.id)
  }

  get(id: string): ApprovalRecord | undefined {
    return this.#records.get(id)
  }

  settle(id: string, settlement: ApprovalSettlement): ApprovalSettleResult {
    const record = this.#records.get(id)
    if (record?.status !== 'pending') return { settled: false, record }
    if (settlement.principal !== undefined && settlement.principal !== record.request.principal) {
      return { settled: false, record }
    }
    if (settlement.status !== 'expired' && settlement.at >= record.request.expiresAt) {
      const expired = this.#replace(record, {
        status: 'expired',
        settledAt: record.request.expiresAt,
        decidedBy: undefined,
        reason: 'expired',
      })
      return { settled: false, record: expired }
    }
    const settled = this.#replace(record, {
      status: settlement.status,
      settledAt: settlement.at,
      decidedBy: settlement.by,
      reason: settlement.reason,
    })
    return { settled: true, record: settled }
  }

  listPending(filter: { principal?: string | undefined; at: number }): ApprovalRequest[] {
    const ids =
      filter.principal === undefined
        ? [...this.#pendingByPrincipal.values()].flatMap((set) => [...set])
        : [...(this.#pendingByPrincipal.get(filter.principal) ?? [])]
    const requests: ApprovalRequest[] = []
    for (const id of ids) {
      const request = this.#records.get(id)?.request
      if (request && request.expiresAt > filter.at) requests.push(request)
    }
    return requests.sort((a, b) => a.createdAt - b.createdAt)
  }

  prune(olderThan: number): number {
    let removed = 0
    for (const [id, record] of this.#records) {
      const endedAt = record.settledAt ?? record.request.expiresAt
      if (endedAt < olderThan) {
        this.#records.delete(id)
        this.#forgetPending(record.request)
        removed++
      }
    }
    return removed
  }

  /** How many records (pending and settled) the store holds; for tests and dashboards. */
  get size(): number {
    return this.#records.size
  }

  #replace(
    record: ApprovalRecord,
    change: Pick<ApprovalRecord, 'status' | 'settledAt' | 'decidedBy' | 'reason'>,
  ): ApprovalRecord {
    const next: ApprovalRecord = { request: record.request, ...change }
    this.#records.set(record.request.id, next)
    this.#forgetPending(record.request)
    return next
  }

  #forgetPending(request: ApprovalRequest): void {
    const ids = this.#pendingByPrincipal.get(request.principal)
    if (!ids) return
    ids.delete(request.id)
    if (ids.size === 0) this.#pendingByPrincipal.delete(request.principal)
  }
}
