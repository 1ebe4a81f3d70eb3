import { describe, expect, it } from 'vitest'
import type { MCPTool } from './mcp-tool.js'
import { toolIdsOf, toolsetOf } from './tool-map.js'

const tool = (name: string, id: string) => ({ name, id, serverName: 's' }) as MCPTool

describe('toolsetOf / toolIdsOf', () => {
  it('keeps every tool an own key, whatever its name', () => {
    const names = ['__proto__', 'hasOwnProperty', 'constructor', 'echo', 'echo', 'echo']
    const ids = toolIdsOf('s', names)
    expect(new Set(ids).size).toBe(names.length)
    expect(ids.slice(0, 4)).toEqual(['s___proto__', 's_hasOwnProperty', 's_constructor', 's_echo'])
    const toolset = toolsetOf(names.map((name, index) => tool(name, ids[index]!)))
    expect(Object.keys(toolset)).toHaveLength(names.length)
    expect(Object.getPrototypeOf(toolset)).toBe(Object.prototype)
    expect(Object.hasOwn(toolset, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(toolset, '__proto__')?.value.name).toBe('__proto__')
    expect(Object.hasOwn(toolset, 'hasOwnProperty')).toBe(true)
    const echoes = Object.values(toolset).filter((entry) => entry.name === 'echo')
    expect(echoes.map((entry) => entry.id)).toEqual(ids.slice(3))
    // A repeated name's key ends in the hash its id ends in.
    expect(Object.keys(toolset).filter((key) => key.startsWith('echo_'))).toEqual(
      ids.slice(4).map((id) => `echo_${id.slice(-8)}`),
    )
  })
})
