import { readFileSync } from 'node:fs'
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { ProcessStdioTransport } from './stdio-transport.js'

/** Running, not a zombie waiting for a reaper (containers' pid 1 may never reap). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

// A wrapper (like `npx`) that starts a grandchild which ignores stdin EOF and SIGTERM, then
// reports the grandchild's pid as a JSON-RPC notification.
const wrapper = `
const { spawn } = require('node:child_process')
const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' })
process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'pid', params: { pid: child.pid } }) + '\\n')
process.on('SIGTERM', () => {})
setInterval(() => {}, 1000)
`

describe('ProcessStdioTransport', () => {
  it('ends the server and everything it started on close()', async () => {
    const transport = new ProcessStdioTransport({
      serverName: 'wrapped',
      command: process.execPath,
      args: ['-e', wrapper],
      stderr: 'ignore',
      // Real time: a real child's SIGTERM/SIGKILL grace; kept short.
      shutdownGraceMs: 200,
    })
    const grandchild = new Promise<number>((resolve) => {
      transport.onmessage = (message) => {
        resolve((message as unknown as { params: { pid: number } }).params.pid)
      }
    })
    let closed = false
    transport.onclose = () => {
      closed = true
    }
    await transport.start()
    const wrapperPid = transport.pid!
    const grandchildPid = await grandchild
    expect(isAlive(wrapperPid)).toBe(true)
    expect(isAlive(grandchildPid)).toBe(true)

    await transport.close()
    expect(closed).toBe(true)
    expect(isAlive(wrapperPid)).toBe(false)
    // SIGKILL is delivered to the group synchronously; give the kernel a moment to reap.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(isAlive(grandchildPid)).toBe(false)
  })

  it('rejects start() with COMMAND_NOT_FOUND for a missing command', async () => {
    const transport = new ProcessStdioTransport({
      serverName: 'ghost',
      command: 'mcpkit-no-such-command',
    })
    await expect(transport.start()).rejects.toMatchObject({
      code: 'COMMAND_NOT_FOUND',
      serverName: 'ghost',
      message: expect.stringContaining('mcpkit-no-such-command'),
    })
  })

  it('keeps the last stderr lines for error messages', async () => {
    const transport = new ProcessStdioTransport({
      serverName: 'noisy',
      command: process.execPath,
      args: ['-e', "console.error('first'); console.error('boom'); process.exit(3)"],
      stderr: 'logger',
    })
    const exited = new Promise<void>((resolve) => {
      transport.onclose = () => resolve()
    })
    await transport.start()
    await exited
    expect(transport.stderrTail).toEqual(['first', 'boom'])
    expect(transport.exitDescription).toBe('exit code 3')
    await expect(transport.send({ jsonrpc: '2.0', method: 'ping', id: 1 })).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
    })
  })
})

describe('ProcessStdioTransport read buffer', () => {
  it('fails the connection, not the process, on a line longer than maxMessageBytes', async () => {
    // More than the SDK's 10 MB default, as one line, then a message that fits; exits on EOF.
    const flood = `
const pad = 'x'.repeat(${STDIO_DEFAULT_MAX_BUFFER_SIZE + 1024 * 1024})
process.stdout.write('{"jsonrpc":"2.0","method":"big","params":{"pad":"' + pad + '"}}\\n')
process.stdout.write('{"jsonrpc":"2.0","method":"small"}\\n')
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
`
    const transport = new ProcessStdioTransport({
      serverName: 'flood',
      command: process.execPath,
      args: ['-e', flood],
      stderr: 'ignore',
      shutdownGraceMs: 8000,
      maxMessageBytes: STDIO_DEFAULT_MAX_BUFFER_SIZE,
    })
    const errors: Error[] = []
    const methods: string[] = []
    transport.onerror = (error) => void errors.push(error)
    transport.onmessage = (message) => void methods.push((message as { method: string }).method)
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve()
    })
    await transport.start()
    const pid = transport.pid!
    await closed
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]).toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
    expect(transport.oversized).toBe(errors[0])
    expect(methods).not.toContain('big')
    // The transport closed the child's stdin, and the child left on EOF.
    expect(transport.exitDescription).toBe('exit code 0')
    expect(isAlive(pid)).toBe(false)
    await expect(transport.send({ jsonrpc: '2.0', method: 'ping', id: 1 })).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
    })
  })
})
