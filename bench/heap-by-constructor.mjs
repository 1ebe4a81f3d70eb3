#!/usr/bin/env node
/**
 * Where the bytes of a V8 heap snapshot (`node:v8` `writeHeapSnapshot()`) go, by constructor:
 * count, shallow (self) size and retained size of each class of object. Retained size comes
 * from the dominator tree (edges of type `weak` do not retain), and is counted once per class:
 * an object dominated by another object of the same class is already inside that one's figure.
 *
 *   node bench/heap-by-constructor.mjs <snapshot> [--top 40]
 *   node bench/heap-by-constructor.mjs <before> <after> --per 200 [--top 40] [--sort self|retained]
 *   node bench/heap-by-constructor.mjs <before> <after> --per 200 --owners <key>   (who holds them)
 *   node bench/heap-by-constructor.mjs <before> <after> --per 200 --fields <key>   (what they hold)
 *   node bench/heap-by-constructor.mjs <before> <after> --per 200 --tree <key> [--depth 3] [--min 16]
 *                                                    (what they hold, as a tree of fields, in bytes ≥ min)
 *
 * With two snapshots it prints what grew from `before` to `after`, divided by `--per` (e.g. the
 * number of clients created in between): bytes per client by constructor. Keys: an object's
 * constructor name, `closure <function>`, `(string)`, `(array) <kind>`, `(code)`, `(system) <name>`.
 * Plain Node, no dependencies: it is a tool, not part of the bench's TypeScript.
 */
import { readFileSync } from 'node:fs'

function parseArguments(argv) {
  const files = []
  const options = {
    top: 40,
    per: 1,
    sort: 'self',
    owners: undefined,
    fields: undefined,
    tree: undefined,
    depth: 3,
    min: 16,
  }
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]
    if (argument === '--top') options.top = Number(argv[++index])
    else if (argument === '--per') options.per = Number(argv[++index])
    else if (argument === '--sort') options.sort = argv[++index]
    else if (argument === '--owners') options.owners = argv[++index]
    else if (argument === '--fields') options.fields = argv[++index]
    else if (argument === '--tree') options.tree = argv[++index]
    else if (argument === '--depth') options.depth = Number(argv[++index])
    else if (argument === '--min') options.min = Number(argv[++index])
    else files.push(argument)
  }
  if (files.length < 1 || files.length > 2) {
    console.error('usage: heap-by-constructor.mjs <snapshot> [<after-snapshot> --per N] [--top N]')
    process.exit(2)
  }
  return { files, options }
}

function keyOf(type, name) {
  switch (type) {
    case 'object':
      return name.startsWith('system / ') ? `(system) ${name.slice(9)}` : name
    case 'closure':
      return `closure ${name || '(anonymous)'}`
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)'
    case 'array':
      return `(array) ${name}`
    case 'code':
      return '(code)'
    case 'hidden':
      return `(system) ${name}`
    case 'number':
      return '(heap number)'
    case 'regexp':
      return 'RegExp'
    case 'native':
      return `(native) ${name}`
    default:
      return `(${type}) ${name}`
  }
}

/** Aggregates one snapshot: Map key → { count, self, retained }. */
function aggregate(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'))
  const { meta } = snapshot.snapshot
  const nodeFields = meta.node_fields
  const edgeFields = meta.edge_fields
  const nodeTypes = meta.node_types[0]
  const edgeTypes = meta.edge_types[0]
  const N = nodeFields.length
  const E = edgeFields.length
  const typeOffset = nodeFields.indexOf('type')
  const nameOffset = nodeFields.indexOf('name')
  const selfOffset = nodeFields.indexOf('self_size')
  const edgeCountOffset = nodeFields.indexOf('edge_count')
  const edgeTypeOffset = edgeFields.indexOf('type')
  const toOffset = edgeFields.indexOf('to_node')
  const weak = edgeTypes.indexOf('weak')
  const { nodes, edges, strings } = snapshot
  const count = nodes.length / N

  // Forward edges (as node ordinals), skipping weak ones.
  const firstEdge = new Uint32Array(count + 1)
  for (let node = 0, edge = 0; node < count; node++) {
    firstEdge[node] = edge
    edge += nodes[node * N + edgeCountOffset]
  }
  firstEdge[count] = edges.length / E
  const target = new Uint32Array(edges.length / E)
  const strong = new Uint8Array(edges.length / E)
  for (let edge = 0; edge < target.length; edge++) {
    target[edge] = edges[edge * E + toOffset] / N
    strong[edge] = edges[edge * E + edgeTypeOffset] === weak ? 0 : 1
  }

  // Post-order from the root (node 0), iteratively.
  const order = new Int32Array(count).fill(-1) // post-order number
  const byOrder = new Uint32Array(count)
  const visited = new Uint8Array(count)
  const stack = new Uint32Array(count)
  const cursor = new Uint32Array(count)
  let top = 0
  let next = 0
  stack[top++] = 0
  visited[0] = 1
  cursor[0] = firstEdge[0]
  while (top > 0) {
    const node = stack[top - 1]
    let pushed = false
    while (cursor[node] < firstEdge[node + 1]) {
      const edge = cursor[node]++
      if (!strong[edge]) continue
      const to = target[edge]
      if (visited[to]) continue
      visited[to] = 1
      cursor[to] = firstEdge[to]
      stack[top++] = to
      pushed = true
      break
    }
    if (!pushed) {
      top--
      order[node] = next
      byOrder[next++] = node
    }
  }

  // Predecessors (reachable ones only), as post-order numbers.
  const predecessorCount = new Uint32Array(next + 1)
  for (let node = 0; node < count; node++) {
    if (order[node] < 0) continue
    for (let edge = firstEdge[node]; edge < firstEdge[node + 1]; edge++) {
      if (strong[edge] && order[target[edge]] >= 0) predecessorCount[order[target[edge]] + 1]++
    }
  }
  for (let index = 1; index <= next; index++) predecessorCount[index] += predecessorCount[index - 1]
  const predecessors = new Uint32Array(predecessorCount[next])
  const fill = predecessorCount.slice()
  for (let node = 0; node < count; node++) {
    if (order[node] < 0) continue
    for (let edge = firstEdge[node]; edge < firstEdge[node + 1]; edge++) {
      if (strong[edge] && order[target[edge]] >= 0) {
        predecessors[fill[order[target[edge]]]++] = order[node]
      }
    }
  }

  // Dominators (Cooper, Harvey, Kennedy), on post-order numbers; the root has the highest.
  const root = next - 1
  const dominator = new Int32Array(next).fill(-1)
  dominator[root] = root
  for (let changed = true; changed; ) {
    changed = false
    for (let b = root - 1; b >= 0; b--) {
      let idom = -1
      for (let p = predecessorCount[b]; p < predecessorCount[b + 1]; p++) {
        const predecessor = predecessors[p]
        if (dominator[predecessor] < 0) continue
        if (idom < 0) {
          idom = predecessor
          continue
        }
        let x = predecessor
        let y = idom
        while (x !== y) {
          while (x < y) x = dominator[x]
          while (y < x) y = dominator[y]
        }
        idom = x
      }
      if (idom >= 0 && dominator[b] !== idom) {
        dominator[b] = idom
        changed = true
      }
    }
  }

  // Retained sizes: post-order visits children before their dominators.
  const retained = new Float64Array(next)
  for (let b = 0; b < next; b++) retained[b] += nodes[byOrder[b] * N + selfOffset]
  for (let b = 0; b < root; b++) if (dominator[b] >= 0) retained[dominator[b]] += retained[b]

  const keys = new Array(next)
  for (let b = 0; b < next; b++) {
    const node = byOrder[b]
    keys[b] = keyOf(nodeTypes[nodes[node * N + typeOffset]], strings[nodes[node * N + nameOffset]])
  }
  // Retained once per class: skip objects with an ancestor of the same class in the tree.
  const children = new Uint32Array(next + 1)
  for (let b = 0; b < root; b++) if (dominator[b] >= 0) children[dominator[b] + 1]++
  for (let index = 1; index <= next; index++) children[index] += children[index - 1]
  const childList = new Uint32Array(children[next])
  const childFill = children.slice()
  for (let b = 0; b < root; b++) if (dominator[b] >= 0) childList[childFill[dominator[b]]++] = b
  const depth = new Map()
  const result = new Map()
  const entry = (key) => {
    let found = result.get(key)
    if (!found) {
      found = { count: 0, self: 0, retained: 0 }
      result.set(key, found)
    }
    return found
  }
  const walk = [root]
  const leaving = []
  while (walk.length > 0) {
    const b = walk.pop()
    if (b < 0) {
      const key = leaving.pop()
      depth.set(key, depth.get(key) - 1)
      continue
    }
    const key = keys[b]
    const stats = entry(key)
    stats.count++
    stats.self += nodes[byOrder[b] * N + selfOffset]
    const inside = depth.get(key) ?? 0
    if (inside === 0) stats.retained += retained[b]
    depth.set(key, inside + 1)
    leaving.push(key)
    walk.push(-1)
    for (let c = children[b]; c < children[b + 1]; c++) walk.push(childList[c])
  }
  const ids = new Set()
  const idOffset = nodeFields.indexOf('id')
  for (let node = 0; node < count; node++) ids.add(nodes[node * N + idOffset])
  /** Who holds the objects of class `key` (new since `known`, if given): parent class.edge. */
  const owners = (key, known) => {
    const holders = new Map()
    const edgeNameOffset = edgeFields.indexOf('name_or_index')
    for (let node = 0; node < count; node++) {
      if (order[node] < 0) continue
      const parentKey = keyOf(
        nodeTypes[nodes[node * N + typeOffset]],
        strings[nodes[node * N + nameOffset]],
      )
      for (let edge = firstEdge[node]; edge < firstEdge[node + 1]; edge++) {
        if (!strong[edge]) continue
        const to = target[edge]
        if (known?.has(nodes[to * N + idOffset])) continue
        if (
          keyOf(nodeTypes[nodes[to * N + typeOffset]], strings[nodes[to * N + nameOffset]]) !== key
        )
          continue
        const type = edgeTypes[edges[edge * E + edgeTypeOffset]]
        const nameOrIndex = edges[edge * E + edgeNameOffset]
        const label =
          type === 'element' || type === 'hidden' ? `[${type}]` : String(strings[nameOrIndex])
        const holder = `${parentKey} .${label}`
        const found = holders.get(holder) ?? { count: 0, bytes: 0 }
        found.count++
        found.bytes += nodes[to * N + selfOffset]
        holders.set(holder, found)
      }
    }
    return holders
  }
  /** Calls `visit(child, edgeType, edgeName)` for each object that `b` dominates directly. */
  const eachDominated = (b, visit) => {
    const edgeNameOffset = edgeFields.indexOf('name_or_index')
    const node = byOrder[b]
    for (let edge = firstEdge[node]; edge < firstEdge[node + 1]; edge++) {
      if (!strong[edge]) continue
      const to = order[target[edge]]
      if (to < 0 || dominator[to] !== b) continue
      const type = edgeTypes[edges[edge * E + edgeTypeOffset]]
      const name =
        type === 'element' || type === 'hidden'
          ? ''
          : String(strings[edges[edge * E + edgeNameOffset]])
      visit(to, type, name)
    }
  }
  /**
   * What the objects of class `key` (new since `known`, if given) retain through each of their
   * fields: the retained size of each field's target that the object dominates (a target
   * reachable some other way too is the other holder's), summed per field name.
   */
  const fields = (key, known) => {
    const byField = new Map()
    for (let b = 0; b < next; b++) {
      if (keys[b] !== key || known?.has(nodes[byOrder[b] * N + idOffset])) continue
      eachDominated(b, (to, type, name) => {
        const label = type === 'element' || type === 'hidden' ? `[${type}]` : name
        const found = byField.get(label) ?? { count: 0, bytes: 0 }
        found.count++
        found.bytes += retained[to]
        byField.set(label, found)
      })
    }
    return byField
  }
  /**
   * The dominator tree under the objects of class `key` (new since `known`, if given), to
   * `depth` levels: retained size per path of field names (`.#tools.[element].execute`), each
   * path summed over every such object. A target held some other way too is not under it.
   */
  const tree = (key, known, depth) => {
    const byPath = new Map()
    const visit = (b, path, level) =>
      eachDominated(b, (to, type, name) => {
        // Slots of a hash table are numbered: one path for all of them.
        const label = name === '' || /^\d+$/.test(name) ? `[${type}]` : name
        const childPath = `${path}.${label} ${keys[to]}`
        const found = byPath.get(childPath) ?? { count: 0, bytes: 0 }
        found.count++
        found.bytes += retained[to]
        byPath.set(childPath, found)
        if (level + 1 < depth) visit(to, `${childPath}\u0000`, level + 1)
      })
    const roots = []
    for (let b = 0; b < next; b++) if (keys[b] === key) roots.push(b)
    const fresh = roots.filter((b) => !known?.has(nodes[byOrder[b] * N + idOffset]))
    // Objects there before too (a pool the clients went into): their whole tree, not growth.
    for (const b of fresh.length > 0 ? fresh : roots) visit(b, '', 0)
    return byPath
  }
  return { result, total: retained[root], ids, owners, fields, tree }
}

function format(bytes) {
  const sign = bytes < 0 ? '-' : ''
  const value = Math.abs(bytes)
  if (value >= 1024 * 1024) return `${sign}${(value / 1024 / 1024).toFixed(2)} MiB`
  if (value >= 1024) return `${sign}${(value / 1024).toFixed(2)} KiB`
  return `${sign}${value.toFixed(0)} B`
}

const { files, options } = parseArguments(process.argv.slice(2))
const first = aggregate(files[0])
let rows
let heading
if (files.length === 2) {
  const second = aggregate(files[1])
  const keys = new Set([...first.result.keys(), ...second.result.keys()])
  rows = [...keys].map((key) => {
    const a = first.result.get(key) ?? { count: 0, self: 0, retained: 0 }
    const b = second.result.get(key) ?? { count: 0, self: 0, retained: 0 }
    return {
      key,
      count: (b.count - a.count) / options.per,
      self: (b.self - a.self) / options.per,
      retained: (b.retained - a.retained) / options.per,
    }
  })
  heading = `growth from ${files[0]} to ${files[1]}, per ${options.per}: total reachable ${format((second.total - first.total) / options.per)}`
} else {
  rows = [...first.result].map(([key, stats]) => ({ key, ...stats }))
  heading = `${files[0]}: total reachable ${format(first.total)}`
}
if (options.fields) {
  const last = files.length === 2 ? aggregate(files[1]) : first
  const byField = last.fields(options.fields, files.length === 2 ? first.ids : undefined)
  console.log(
    `what ${options.fields}${files.length === 2 ? ' (new objects only)' : ''} retains by field, per ${options.per}:`,
  )
  for (const [field, { count, bytes }] of [...byField]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, options.top)) {
    console.log(
      `${`.${field}`.padEnd(60)} ${(count / options.per).toFixed(1).padStart(8)} ${format(bytes / options.per).padStart(11)}`,
    )
  }
  process.exit(0)
}
if (options.tree) {
  const last = files.length === 2 ? aggregate(files[1]) : first
  const byPath = last.tree(options.tree, files.length === 2 ? first.ids : undefined, options.depth)
  console.log(
    `what ${options.tree}${files.length === 2 ? ' (new objects only)' : ''} retains, per ${options.per}:`,
  )
  for (const [path, { count, bytes }] of [...byPath].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (bytes / options.per < options.min) continue
    const parts = path.split('\u0000')
    const line = `${'  '.repeat(parts.length - 1)}${parts.at(-1)}`
    console.log(
      `${line.slice(0, 80).padEnd(80)} ${(count / options.per).toFixed(1).padStart(6)} ${format(bytes / options.per).padStart(10)}`,
    )
  }
  process.exit(0)
}
if (options.owners) {
  const last = files.length === 2 ? aggregate(files[1]) : first
  const holders = last.owners(options.owners, files.length === 2 ? first.ids : undefined)
  console.log(
    `holders of ${options.owners}${files.length === 2 ? ' (new objects only)' : ''}, per ${options.per}:`,
  )
  for (const [holder, { count, bytes }] of [...holders]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, options.top)) {
    console.log(
      `${holder.slice(0, 70).padEnd(70)} ${(count / options.per).toFixed(1).padStart(8)} ${format(bytes / options.per).padStart(11)}`,
    )
  }
  process.exit(0)
}
const sortKey = options.sort === 'retained' ? 'retained' : 'self'
rows.sort((a, b) => Math.abs(b[sortKey]) - Math.abs(a[sortKey]))
const selfTotal = rows.reduce((sum, row) => sum + row.self, 0)
console.log(heading)
console.log(`sum of shallow sizes: ${format(selfTotal)}`)
console.log(
  `${'constructor'.padEnd(56)} ${'count'.padStart(9)} ${'shallow'.padStart(11)} ${'retained'.padStart(11)}`,
)
for (const row of rows.slice(0, options.top)) {
  console.log(
    `${row.key.slice(0, 56).padEnd(56)} ${row.count.toFixed(files.length === 2 ? 1 : 0).padStart(9)} ${format(row.self).padStart(11)} ${format(row.retained).padStart(11)}`,
  )
}
