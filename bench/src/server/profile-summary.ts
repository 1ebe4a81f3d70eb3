/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): where the CPU time went, by package
 * and by function (self time, and inclusive time for the functions that matter).
 *
 *   node --import tsx src/server/profile-summary.ts <file.cpuprofile> [top] [requests served]
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** A short home for a script URL: the npm package, the mcpkit package, node internals… */
export function packageOf(url: string): string {
  if (!url) return '(native/VM)'
  if (url.startsWith('node:')) return 'node internals'
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)
  if (pnpm?.[1]) return pnpm[1]
  const plain = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)
  if (plain?.[1]) return plain[1]
  const workspace = url.match(/\/packages\/([^/]+)\//)
  if (workspace?.[1]) return `@mcpkit/${workspace[1]}`
  if (url.includes('/bench/')) return 'bench'
  return url
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/')
    .replace(/^.*\/bench\//, 'bench/')
}

/**
 * `requests`: how many requests the profiled process served; adds a µs-per-request column
 * (busy time includes start-up, so the smallest entries are slightly overstated).
 */
export function summariseProfile(
  file: string,
  options: { top?: number; requests?: number } = {},
): string {
  const top = options.top ?? 25
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)

  const selfMicros = new Map<number, number>()
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  const label = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url ? `${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : ''}`.trim()

  let total = 0
  let idle = 0
  const selfByFunction = new Map<string, number>()
  const selfByPackage = new Map<string, number>()
  const inclusiveByFunction = new Map<string, number>()
  const inclusiveByPackage = new Map<string, number>()
  // Owner: node internals and native frames charged to the nearest package frame that called
  // them (so a socket write counts for the code that wrote, not for `writev`).
  const ownedByFunction = new Map<string, number>()
  const ownedByPackage = new Map<string, number>()
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)
    if (!node) continue
    const name = node.callFrame.functionName
    if (name === '(idle)') {
      idle += micros
      continue
    }
    total += micros
    const key = label(node)
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + micros)
    const home = name.startsWith('(') ? name : packageOf(node.callFrame.url)
    selfByPackage.set(home, (selfByPackage.get(home) ?? 0) + micros)
    // Inclusive: every distinct function and package on this sample's stack, counted once.
    const seenFunctions = new Set<string>()
    const seenPackages = new Set<string>()
    for (
      let current: number | undefined = id;
      current !== undefined;
      current = parent.get(current)
    ) {
      const frame = byId.get(current)
      if (!frame || frame.callFrame.functionName === '(root)') continue
      seenFunctions.add(label(frame))
      if (frame.callFrame.url) seenPackages.add(packageOf(frame.callFrame.url))
    }
    let owner: ProfileNode | undefined
    for (
      let current: number | undefined = id;
      current !== undefined;
      current = parent.get(current)
    ) {
      const frame = byId.get(current)
      const url = frame?.callFrame.url ?? ''
      if (frame && url && !url.startsWith('node:')) {
        owner = frame
        break
      }
    }
    const ownerKey = owner ? label(owner) : home
    const ownerPackage = owner ? packageOf(owner.callFrame.url) : home
    ownedByFunction.set(ownerKey, (ownedByFunction.get(ownerKey) ?? 0) + micros)
    ownedByPackage.set(ownerPackage, (ownedByPackage.get(ownerPackage) ?? 0) + micros)
    for (const key of seenFunctions)
      inclusiveByFunction.set(key, (inclusiveByFunction.get(key) ?? 0) + micros)
    for (const key of seenPackages)
      inclusiveByPackage.set(key, (inclusiveByPackage.get(key) ?? 0) + micros)
  }

  const percent = (micros: number) => `${((micros / total) * 100).toFixed(1).padStart(5)}%`
  const perRequest = (micros: number) =>
    options.requests ? `  ${(micros / options.requests).toFixed(1).padStart(6)} µs/req` : ''
  const list = (map: Map<string, number>, count: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(
        ([key, micros]) =>
          `    ${percent(micros)}  ${(micros / 1000).toFixed(0).padStart(6)} ms${perRequest(micros)}  ${key}`,
      )
      .join('\n')
  return [
    `  busy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms (percentages are of busy time)${options.requests ? `; ${options.requests} requests served, ${(total / options.requests).toFixed(0)} µs busy per request` : ''}`,
    '  self time by package:',
    list(selfByPackage, 12),
    '  inclusive time by package (a package counted once per sample):',
    list(inclusiveByPackage, 12),
    '  time by owner package (node internals and native code charged to the package that called them):',
    list(ownedByPackage, 12),
    `  time by owner function, top ${top}:`,
    list(ownedByFunction, top),
    `  self time, top ${top} functions:`,
    list(selfByFunction, top),
    `  inclusive time, top ${top} functions:`,
    list(inclusiveByFunction, top),
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2]
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top]')
    process.exit(1)
  }
  const requests = Number(process.argv[4])
  console.log(
    summariseProfile(file, {
      top: Number(process.argv[3] ?? 25),
      ...(requests > 0 ? { requests } : {}),
    }),
  )
}
