'use strict'
// Preloaded (`node --require`) into stdio servers under test: appends this process's pid to
// the file named by MCPKIT_TEST_PID_FILE, so a test can check (by pid) that the server it
// caused to be spawned is gone, or kill it on purpose, without any broad process matching; and,
// when the test listens for it, reports its exit as an event (exit-beacon.cjs).
const file = process.env.MCPKIT_TEST_PID_FILE
if (file) {
  require('node:fs').appendFileSync(file, `${process.pid}\n`)
  require('./exit-beacon.cjs')(file)
}
