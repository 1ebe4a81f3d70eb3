import { MCPKitError } from '@mcpkit/types'

/** The codes an `ApprovalError` can carry. */
export type ApprovalErrorCode = 'APPROVAL_NOT_FOUND' | 'APPROVAL_EXPIRED' | 'APPROVAL_FORBIDDEN'

const STATUS = {
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_EXPIRED: 410,
  APPROVAL_FORBIDDEN: 403,
} as const satisfies Record<ApprovalErrorCode, number>

/**
 * Why `ApprovalQueue.approve` / `deny` refused: the id is unknown or already settled
 * (`APPROVAL_NOT_FOUND`, 404), the request expired (`APPROVAL_EXPIRED`, 410), or it belongs to
 * another principal (`APPROVAL_FORBIDDEN`, 403). `status` is the HTTP status an API should answer.
 */
export class ApprovalError extends MCPKitError {
  declare readonly code: ApprovalErrorCode
  readonly requestId: string
  readonly status: 403 | 404 | 410

  constructor(options: { code: ApprovalErrorCode; requestId: string; message?: string }) {
    super(options.code, options.message ?? defaultMessage(options.code, options.requestId))
    this.requestId = options.requestId
    this.status = STATUS[options.code]
  }
}

function defaultMessage(code: ApprovalErrorCode, requestId: string): string {
  switch (code) {
    case 'APPROVAL_NOT_FOUND':
      return `No pending approval request "${requestId}": it does not exist or was already approved or denied. Nothing was changed; list pending requests to see what is waiting.`
    case 'APPROVAL_EXPIRED':
      return `Approval request "${requestId}" expired before anyone answered, so its call was denied and will not run. Ask for the call to be made again.`
    case 'APPROVAL_FORBIDDEN':
      return `Approval request "${requestId}" belongs to another principal; only the user the call was made for can approve or deny it.`
  }
}
