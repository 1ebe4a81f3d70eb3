'use strict'
// Preloaded (`node --require`) into stdio servers under test: appends this process's pid to
// the file named by MCPKIT_TEST_PID_FILE, so a test can check (by pid) that the server it
// caused to be spawned is gone, or kill it on purpose, without any broad process matching.
const file = process.env.MCPKIT_TEST_PID_FILE
if (file) require('node:fs').appendFileSync(file, `${process.pid}\n`)
