/**
 * What both conformance runners need: the pinned CLI, a Node 22 binary to run it (the default
 * Node may be 20; `scripts/node22.mjs` finds or installs it), the requirement revisions to run
 * and what each requires, the expected-failure baselines, and the result directories.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export { node22 } from '../../scripts/node22.mjs'

export const CONFORMANCE_VERSION = '0.2.0-alpha.12'

export const testsDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const repoRoot = path.dirname(testsDir)
export const outputDir = path.join(testsDir, '.conformance')

/**
 * The revisions each side is held to by default: `MCPClient` speaks both eras, and `MCPServer`
 * serves both on one endpoint.
 */
const DEFAULT_REVISIONS = {
  client: '2025-11-25,2026-07-28',
  server: '2025-11-25,2026-07-28',
}

/**
 * The spec revisions one side (`leg`: 'client' or 'server') conforms to, each run on its own
 * wire (`--requirements <revision>`): `MCPKIT_CONFORMANCE_REQUIREMENTS` (both sides) or
 * `MCPKIT_CONFORMANCE_REQUIREMENTS_<CLIENT|SERVER>`, comma-separated; by default
 * `DEFAULT_REVISIONS`.
 */
export function requirementRevisions(leg) {
  const list =
    process.env[`MCPKIT_CONFORMANCE_REQUIREMENTS_${leg.toUpperCase()}`] ??
    process.env.MCPKIT_CONFORMANCE_REQUIREMENTS ??
    DEFAULT_REVISIONS[leg]
  const revisions = list
    .split(',')
    .map((revision) => revision.trim())
    .filter(Boolean)
  if (revisions.length === 0) throw new Error('MCPKIT_CONFORMANCE_REQUIREMENTS names no revision')
  return revisions
}

/**
 * Scenarios we hold ourselves to beyond a revision's frozen required list. The suite runs them
 * under `--requirements` but leaves them unscored; we count them like required ones.
 */
const ALSO_REQUIRED = {
  '2025-11-25': {
    // Unscored only because it entered the suite after the set's anchor release. MCPServer is a
    // stateful Streamable HTTP server: a session that keeps working after DELETE, or is not
    // answered 404 afterwards, breaks every multi-user host, whatever the revision's freeze.
    server: ['server-session-lifecycle'],
    client: [],
  },
}

let cliManifestPath

/** The CLI's entry script, after checking the installed version is the pinned one. */
export function conformanceCli() {
  const require = createRequire(path.join(testsDir, 'package.json'))
  cliManifestPath = require.resolve('@modelcontextprotocol/conformance/package.json')
  const manifest = JSON.parse(fs.readFileSync(cliManifestPath, 'utf8'))
  if (manifest.version !== CONFORMANCE_VERSION) {
    throw new Error(
      `@modelcontextprotocol/conformance is ${manifest.version}; this runner is pinned to ` +
        CONFORMANCE_VERSION,
    )
  }
  return path.join(path.dirname(cliManifestPath), manifest.bin.conformance)
}

/**
 * What `revision` asks of one side (`leg`: 'client' or 'server'), read from the requirement
 * set the pinned CLI ships (`requirements/<revision>.yaml`, parsed with the CLI's own `yaml`):
 * `required`, the scenarios that count (plus ours in ALSO_REQUIRED), and `notScored`, the ones
 * the CLI also runs and reports (name → reason), which count neither way.
 */
export function requirementSet(revision, leg) {
  if (!cliManifestPath) conformanceCli()
  const file = path.join(path.dirname(cliManifestPath), 'requirements', `${revision}.yaml`)
  if (!fs.existsSync(file)) {
    throw new Error(`conformance ${CONFORMANCE_VERSION} has no requirement set ${revision}`)
  }
  const { parse } = createRequire(cliManifestPath)('yaml')
  const set = parse(fs.readFileSync(file, 'utf8')) ?? {}
  const also = ALSO_REQUIRED[revision]?.[leg] ?? []
  const required = [...(set[leg] ?? []), ...also]
  const notScored = new Map(
    (set.not_scored ?? [])
      .filter((entry) => entry.leg === leg && !also.includes(entry.scenario))
      .map((entry) => [entry.scenario, entry.reason]),
  )
  return { required, notScored }
}

/**
 * One side's list (`leg`) of an expected-failures file (the CLI's baseline format): scenario
 * names, one `- name` a line, or `leg: []`. Comments carry the reasons.
 */
export function readExpectedFailures(relativeFile, leg) {
  const file = path.join(testsDir, relativeFile)
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  const names = new Set()
  let inLeg = false
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '')
    if (/^\S/.test(line)) {
      inLeg = new RegExp(`^${leg}:\\s*$`).test(line)
      continue
    }
    const item = inLeg ? /^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/.exec(line) : null
    if (item) names.add(item[1])
  }
  return names
}

/**
 * Maps scenario → its `[server-]<scenario>-<ISO timestamp>` result directory below `root`
 * (client scenario names may contain `/`, which become subdirectories).
 */
export function resultDirectories(root, prefix = '') {
  const found = new Map()
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const full = path.join(dir, entry.name)
      if (fs.existsSync(path.join(full, 'checks.json'))) {
        const relative = path.relative(root, full).split(path.sep).join('/')
        const name = relative.replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '')
        found.set(name.startsWith(prefix) ? name.slice(prefix.length) : name, full)
      } else {
        walk(full)
      }
    }
  }
  if (fs.existsSync(root)) walk(root)
  return found
}

/**
 * Marks results whose scenario is in the baseline: a failing one is `expected` (counted neither
 * way), a passing one fails (stale entry). Returns the listed names that did not run.
 */
export function applyExpectedFailures(results, expected, fileName) {
  for (const result of results) {
    if (!expected.has(result.name)) continue
    if (result.passed) {
      result.passed = false
      result.problems = [`listed in ${fileName} but passed: remove it from the list (stale entry)`]
    } else {
      result.expected = true
    }
  }
  const ran = new Set(results.map((result) => result.name))
  return [...expected].filter((name) => !ran.has(name))
}
