/**
 * One fresh process, one import: `node --expose-gc probe.mjs <specifier> <export>` imports
 * `<export>` from `<specifier>` and prints, as one JSON line, the time the import took, the
 * JS heap it added (after a full GC, against a baseline taken the same way), and the modules
 * it loaded (resolved URLs, through a synchronous `module.registerHooks` resolve hook where
 * Node has it). Plain JavaScript, run without tsx, so nothing but the import is measured.
 */
import * as nodeModule from 'node:module'

const [specifier, exportName] = process.argv.slice(2)
// A namespace import: Node 20 has no `registerHooks`, and a named import of it would not link.
const { registerHooks } = nodeModule
const urls = new Set()
if (typeof registerHooks === 'function' && process.env.IMPORT_PROBE_URLS === '1') {
  registerHooks({
    resolve(target, context, next) {
      const resolved = next(target, context)
      urls.add(resolved.url)
      return resolved
    },
  })
}
const collect = () => {
  globalThis.gc?.()
  globalThis.gc?.()
}
collect()
const heapBefore = process.memoryUsage().heapUsed
const start = performance.now()
const module = await import(specifier)
const importMs = performance.now() - start
if (typeof module[exportName] !== 'function') {
  throw new Error(`${specifier} has no export ${exportName}`)
}
collect()
const heapBytes = process.memoryUsage().heapUsed - heapBefore
process.stdout.write(
  `${JSON.stringify({ importMs, heapBytes, rss: process.memoryUsage().rss, modules: [...urls] })}\n`,
)
