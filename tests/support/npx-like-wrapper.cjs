'use strict'
// Stands in for `npx some-server`: a wrapper process that starts the real server as its child
// (stdio inherited) and waits for it, instead of exec'ing it. The wrapper records its pid in
// `$MCPKIT_TEST_PID_FILE.wrapper` (the child records its own with record-pid.cjs).
// With MCPKIT_TEST_WRAPPER_SIDECAR=1 it also starts a helper process that ignores stdin and
// SIGTERM, like the extra processes npm leaves around, which only a process-group kill ends;
// it records its pid in `$MCPKIT_TEST_PID_FILE.sidecar`. All three report their exit to a test
// that listens for it (exit-beacon.cjs).
// The sidecar exits by itself after 60 s so a failed test never leaves it behind for long.
const { spawn } = require('node:child_process')
const fs = require('node:fs')

const pidFile = process.env.MCPKIT_TEST_PID_FILE
const beacon = require.resolve('./exit-beacon.cjs')
if (pidFile) {
  fs.appendFileSync(`${pidFile}.wrapper`, `${process.pid}\n`)
  require(beacon)(pidFile)
}

if (process.env.MCPKIT_TEST_WRAPPER_SIDECAR === '1') {
  const sidecar = spawn(
    process.execPath,
    [
      '-e',
      `process.on('SIGTERM', () => {}); ${
        pidFile
          ? `require('node:fs').appendFileSync(${JSON.stringify(`${pidFile}.sidecar`)}, process.pid + '\\n'); require(${JSON.stringify(beacon)})(${JSON.stringify(pidFile)});`
          : ''
      } setTimeout(() => process.exit(0), 60000)`,
    ],
    { stdio: 'ignore' },
  )
  sidecar.unref()
}

const [command, ...args] = process.argv.slice(2)
const child = spawn(command, args, { stdio: 'inherit' })
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0)
})
child.on('error', (error) => {
  process.stderr.write(`npx-like-wrapper: ${error.message}\n`)
  process.exitCode = 1
})
