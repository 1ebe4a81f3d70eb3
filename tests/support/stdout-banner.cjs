'use strict'
// Preloaded (`node --require`) into a stdio server: writes lines that are not JSON-RPC to
// stdout before the server starts, as servers that print a banner or log to stdout do.
process.stdout.write('Starting server... (a banner on stdout)\n')
process.stdout.write('{"not": "a JSON-RPC message"}\n')
process.stdout.write('\n')
