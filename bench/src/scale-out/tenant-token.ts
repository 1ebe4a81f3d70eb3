import { createHmac } from 'node:crypto'

/** A tenant's bearer token: `<tenant>.<HMAC-SHA256 of the tenant with key>`, base64url. */
export function tenantToken(tenant: string, key: string): string {
  return `${tenant}.${createHmac('sha256', key).update(tenant).digest('base64url')}`
}
