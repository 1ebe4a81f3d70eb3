import { describe, expect, it } from 'vitest'
import { distinctToolId, MAX_TOOL_ID_LENGTH, toolId } from './tool-id.js'

describe('toolId', () => {
  it('is <server>_<tool> when that is already a valid name', () => {
    expect(toolId('github', 'list_repos')).toBe('github_list_repos')
    expect(toolId('everything', 'get-sum')).toBe('everything_get-sum')
  })

  it('replaces characters model APIs reject', () => {
    expect(toolId('my server', 'files.read')).toBe('my_server_files_read')
    expect(distinctToolId('my server', 'files.read')).not.toBe(
      distinctToolId('my_server', 'files_read'),
    )
  })

  it('keeps long ids within 64 characters, unique and stable', () => {
    const long = 'a'.repeat(70)
    const first = toolId('server', `${long}1`)
    const second = toolId('server', `${long}2`)
    expect(first).toHaveLength(MAX_TOOL_ID_LENGTH)
    expect(first).not.toBe(second)
    expect(toolId('server', `${long}1`)).toBe(first)
    expect(first).toMatch(/^[A-Za-z0-9_-]+$/)
  })
})
