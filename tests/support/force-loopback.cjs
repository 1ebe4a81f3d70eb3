'use strict'
// Preloaded (`node --require`) into servers under test that bind every interface
// (server-everything calls `app.listen(PORT)`). Any TCP listen is forced onto 127.0.0.1,
// and once listening the real port is printed to stderr as `MCPKIT_TEST_LISTENING <port>`
// so the test can start the server with PORT=0 and learn its port without a race.
const net = require('node:net')

const LOOPBACK = '127.0.0.1'
const originalListen = net.Server.prototype.listen

function announce(server) {
  server.once('listening', () => {
    const address = server.address()
    if (address && typeof address === 'object') {
      process.stderr.write(`MCPKIT_TEST_LISTENING ${address.port}\n`)
    }
  })
}

net.Server.prototype.listen = function listen(...args) {
  const first = args[0]
  // listen(path) for a unix socket, or listen(handle): leave alone.
  if (typeof first === 'string' && !/^\d+$/.test(first)) return originalListen.apply(this, args)
  if (first !== null && typeof first === 'object') {
    if ('path' in first && first.path !== undefined) return originalListen.apply(this, args)
    if ('fd' in first || '_handle' in first) return originalListen.apply(this, args)
    announce(this)
    return originalListen.call(this, { ...first, host: LOOPBACK }, ...args.slice(1))
  }
  // listen(port?, host?, backlog?, callback?)
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined
  const port = args.length > 0 && args[0] !== undefined && args[0] !== null ? Number(args[0]) : 0
  const backlog =
    typeof args[2] === 'number' ? args[2] : typeof args[1] === 'number' ? args[1] : undefined
  const options = { port, host: LOOPBACK }
  if (backlog !== undefined) options.backlog = backlog
  announce(this)
  return callback === undefined
    ? originalListen.call(this, options)
    : originalListen.call(this, options, callback)
}
