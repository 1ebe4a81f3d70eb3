#!/usr/bin/env node
/**
 * Runs vitest on Node 22 LTS, whichever node started it: `pnpm test` and the other test
 * scripts call this, so a machine whose only node is 20 still tests on 22. Arguments go to
 * vitest as they are (`.ci/run` passes `--reporter=json --outputFile=…`).
 *
 * The node that started this script is recorded in `MCPKIT_SYSTEM_NODE` (unless already set):
 * the pack-and-install test also runs its consumer programs on it, the machine's Node 20, which
 * `engines: >=20` promises users. Node 22's directory goes first on `PATH`, so what the tests
 * start by name (`npm`, `pnpm`, `node`) runs on 22 as well.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { majorOf, node22, repoRoot } from './node22.mjs'

const binary = majorOf(process.version) === 22 ? process.execPath : node22().binary
const vitest = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs')
const env = {
  ...process.env,
  MCPKIT_SYSTEM_NODE: process.env.MCPKIT_SYSTEM_NODE || process.execPath,
  PATH: [path.dirname(fs.realpathSync(binary)), process.env.PATH].join(path.delimiter),
}
const child = spawn(binary, [vitest, ...process.argv.slice(2)], { stdio: 'inherit', env })
// Ctrl-C reaches vitest through the terminal's process group; a plain kill of this script
// (a CI timeout) is passed on to it, so no test process outlives the run.
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
process.on('SIGINT', () => {})
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1)
})
