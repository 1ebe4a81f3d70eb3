'use strict'
// Lets a test see this process end as an event: if the test listens on the Unix socket
// `<pid file>.sock` (see `watchExits` in processes.ts), the process connects, sends its pid, and
// holds the connection open without keeping itself alive. The kernel closes it when the
// process exits, however it exits (SIGKILL included).
const fs = require('node:fs')
const net = require('node:net')

const held = []

module.exports = function exitBeacon(pidFile) {
  const path = `${pidFile}.sock`
  if (!fs.existsSync(path)) return
  const socket = net.connect(path)
  socket.on('error', () => {})
  socket.write(`${process.pid}\n`)
  socket.unref()
  held.push(socket)
}
