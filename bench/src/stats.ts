/** Small numeric helpers for the bench. */

export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  // Nearest-rank: the smallest sample with at least q of the samples at or below it.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1] as number
}

export const median = (samples: readonly number[]) => quantile(samples, 0.5)
export const p95 = (samples: readonly number[]) => quantile(samples, 0.95)

export function nowMs(): number {
  return performance.now()
}

export function gc(times = 1): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect) for (let index = 0; index < times; index++) collect()
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`
}

export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return 'n/a'
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a'
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a'
  const sign = bytes < 0 ? '-' : ''
  const abs = Math.abs(bytes)
  if (abs >= 1024 * 1024) return `${sign}${(abs / 1024 / 1024).toFixed(2)} MiB`
  return `${sign}${(abs / 1024).toFixed(1)} KiB`
}

/** Renders rows as an aligned plain-text table (first row is the header). */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, [...cell].length)
    })
  }
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, index) => cell + ' '.repeat((widths[index] ?? 0) - [...cell].length)).join(' | ')} |`
  const [header, ...body] = rows
  if (!header) return ''
  const separator = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`
  return [line(header), separator, ...body.map(line)].join('\n')
}
