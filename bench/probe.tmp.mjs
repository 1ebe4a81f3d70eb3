import { registerHooks } from 'node:module'
const urls = new Set()
registerHooks({ resolve(s, c, next) { const r = next(s, c); urls.add(r.url); return r } })
const t = performance.now()
await import(process.argv[2])
const dt = performance.now() - t
const list = [...urls]
const pkgs = {}
for (const u of list) { const m = u.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/) || u.match(/packages\/([^/]+)/); const k = m ? m[1] : u.startsWith('node:') ? u : 'other'; pkgs[k] = (pkgs[k] || 0) + 1 }
console.log(dt.toFixed(1), 'ms', list.length, 'modules')
console.log(pkgs)
if (process.env.ALL) console.log(list.join('\n'))
