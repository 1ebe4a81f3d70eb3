/** One problem a schema found: a Standard Schema issue, or a zod issue (the same shape). */
export interface SchemaIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/**
 * The issues of a failed validation as one line naming the fields:
 * `city: expected string; days: too small`. An issue at the root is its message alone. With
 * `limit`, the rest is counted (`…; and 3 more`).
 */
export function formatIssues(issues: readonly SchemaIssue[], limit = Infinity): string {
  if (issues.length === 0) return 'invalid'
  const listed = issues.slice(0, limit).map((issue) => {
    const path = (issue.path ?? []).map((segment) =>
      String(typeof segment === 'object' ? segment.key : segment),
    )
    const message = typeof issue.message === 'string' ? issue.message : 'invalid'
    return path.length ? `${path.join('.')}: ${message}` : message
  })
  const more = issues.length > listed.length ? `; and ${issues.length - listed.length} more` : ''
  return `${listed.join('; ')}${more}`
}
