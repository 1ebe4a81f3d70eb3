#!/usr/bin/env node
/**
 * Runs the official MCP conformance suite's server side (`conformance server --suite active`,
 * pinned below) against the everything fixture (`tests/fixtures/everything-server.ts`, built
 * only with `MCPServer`) served over Streamable HTTP at `http://127.0.0.1:<port>/mcp`.
 *
 * Both run inside a fresh network namespace with loopback only (`unshare -n`): this script
 * re-executes itself there (`--inside`), starts the fixture on the project's Node (the one
 * running this script), waits for its port, and runs the CLI on Node 22 (`MCPKIT_NODE22`,
 * default `.tmp/node22`, installed there from the npm registry when missing).
 *
 * A scenario passes when none of its checks failed or warned and at least one succeeded. The
 * expected-failures file (`expected-failures-server.yml`) must stay empty. Prints
 * `CONFORMANCE_SERVER_RESULT passed=N failed=M` last and writes
 * `.conformance/server-summary.json`.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildFixtures } from '../fixtures/build.mjs'
import {
  CONFORMANCE_VERSION,
  conformanceCli,
  node22,
  outputDir,
  repoRoot,
  testsDir,
} from './cli.mjs'

const SUITE = 'active'
/** The whole suite (about 30 short scenarios) gets this long before it is stopped. */
const SUITE_TIMEOUT_MS = 5 * 60_000
const FIXTURE_START_TIMEOUT_MS = 20_000
/** After SIGTERM the fixture calls `close()` and must exit by itself within this. */
const FIXTURE_EXIT_GRACE_MS = 8000

const resultsDir = path.join(outputDir, 'server-results')
const fixtureLog = path.join(outputDir, 'server-fixture.log')
const suiteLog = path.join(outputDir, 'server-suite.log')
const expectedFailures = path.join('conformance', 'expected-failures-server.yml')

// ── inside the namespace ────────────────────────────────────────────────────

/** Starts the fixture over Streamable HTTP on a free port; resolves once it listens. */
function startFixture(serveScript) {
  const log = fs.openSync(fixtureLog, 'w')
  const child = spawn(process.execPath, [serveScript, 'http', '0'], {
    cwd: testsDir,
    stdio: ['ignore', log, 'pipe'],
  })
  let stderr = ''
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the fixture did not listen within ${FIXTURE_START_TIMEOUT_MS} ms`)),
      FIXTURE_START_TIMEOUT_MS,
    )
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text) => {
      fs.writeSync(log, text)
      stderr += text
      const match = /MCPKIT_TEST_LISTENING (\d+)/.exec(stderr)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`the fixture exited (${signal ?? code}) before listening:\n${stderr}`))
    })
  })
  return { child, port, exited }
}

/** Stops the fixture by its pid and reports whether it exited by itself after `close()`. */
async function stopFixture(fixture) {
  if (fixture.child.exitCode !== null || fixture.child.signalCode !== null) {
    return `the fixture had already exited (${fixture.child.signalCode ?? fixture.child.exitCode})`
  }
  fixture.child.kill('SIGTERM')
  const outcome = await Promise.race([
    fixture.exited,
    new Promise((resolve) => setTimeout(() => resolve(undefined), FIXTURE_EXIT_GRACE_MS)),
  ])
  if (outcome === undefined) {
    fixture.child.kill('SIGKILL')
    await fixture.exited
    return `the fixture did not exit within ${FIXTURE_EXIT_GRACE_MS} ms of SIGTERM`
  }
  if (outcome.code === 0) return undefined
  return `the fixture exited with ${outcome.signal ?? outcome.code} after SIGTERM (see ${path.relative(repoRoot, fixtureLog)})`
}

function runCli(nodeBinary, cli, url) {
  const args = [
    cli,
    'server',
    '--url',
    url,
    '--suite',
    SUITE,
    '--expected-failures',
    expectedFailures,
    '--output-dir',
    path.relative(testsDir, resultsDir),
  ]
  const child = spawn(nodeBinary, args, { cwd: testsDir, stdio: ['ignore', 'pipe', 'pipe'] })
  const log = fs.openSync(suiteLog, 'w')
  let stdout = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (text) => {
    stdout += text
    fs.writeSync(log, text)
    process.stdout.write(text)
  })
  child.stderr.on('data', (chunk) => {
    fs.writeSync(log, chunk)
    process.stderr.write(chunk)
  })
  const timer = setTimeout(() => {
    console.log(`the suite ran for ${SUITE_TIMEOUT_MS} ms; stopping it`)
    child.kill('SIGKILL')
  }, SUITE_TIMEOUT_MS)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? 128, signal, stdout })
    })
  })
}

async function inside(nodeBinary, cli, serveScript) {
  const fixture = startFixture(serveScript)
  let port
  try {
    port = await fixture.port
  } catch (error) {
    await stopFixture(fixture)
    throw error
  }
  const url = `http://127.0.0.1:${port}/mcp`
  console.log(`fixture (pid ${fixture.child.pid}) at ${url}`)
  let run
  try {
    run = await runCli(nodeBinary, cli, url)
  } finally {
    const problem = await stopFixture(fixture)
    fs.writeFileSync(
      path.join(outputDir, 'server-fixture-exit.json'),
      `${JSON.stringify({ problem: problem ?? null })}\n`,
    )
  }
  process.exitCode = run.code
}

// ── outside ─────────────────────────────────────────────────────────────────

/** Maps scenario → its `server-<scenario>-<ISO timestamp>` result directory. */
function resultDirectories() {
  const found = new Map()
  if (!fs.existsSync(resultsDir)) return found
  for (const entry of fs.readdirSync(resultsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const full = path.join(resultsDir, entry.name)
    if (!fs.existsSync(path.join(full, 'checks.json'))) continue
    const name = entry.name.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '')
    found.set(name, full)
  }
  return found
}

function judge(name, dir) {
  if (!dir) return { name, passed: false, problems: ['no results were written'] }
  const checks = JSON.parse(fs.readFileSync(path.join(dir, 'checks.json'), 'utf8'))
  const count = (status) => checks.filter((check) => check.status === status).length
  const problems = checks
    .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
    .map(
      (check) =>
        `${check.status} ${check.name}: ${check.errorMessage ?? check.details?.message ?? check.description}`,
    )
  if (count('SUCCESS') === 0) problems.push('no check succeeded')
  return {
    name,
    passed: problems.length === 0,
    checks: { success: count('SUCCESS'), failure: count('FAILURE'), warning: count('WARNING') },
    problems,
  }
}

function readExitProblem() {
  try {
    return JSON.parse(fs.readFileSync(path.join(outputDir, 'server-fixture-exit.json'), 'utf8'))
      .problem
  } catch {
    return 'the runner inside the namespace did not report how the fixture exited'
  }
}

async function main() {
  if (process.argv[2] === '--inside') {
    await inside(process.argv[3], process.argv[4], process.argv[5])
    return
  }
  const started = Date.now()
  const { binary, version } = node22()
  const cli = conformanceCli()
  const { serveScript } = buildFixtures()
  fs.rmSync(resultsDir, { recursive: true, force: true })
  fs.rmSync(path.join(outputDir, 'server-fixture-exit.json'), { force: true })
  fs.mkdirSync(resultsDir, { recursive: true })
  console.log(
    `conformance ${CONFORMANCE_VERSION} on Node ${version}, server suite ${SUITE};`,
    `fixture on Node ${process.version}`,
  )
  const child = spawn(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      process.execPath,
      fileURLToPath(import.meta.url),
      '--inside',
      binary,
      cli,
      serveScript,
    ],
    { cwd: testsDir, stdio: ['ignore', 'inherit', 'inherit'] },
  )
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode) => resolve(exitCode ?? 128))
  })
  const stdout = fs.existsSync(suiteLog) ? fs.readFileSync(suiteLog, 'utf8') : ''

  const names = [...stdout.matchAll(/^[✓✗] (\S+): \d+ passed/gmu)].map((match) => match[1])
  const announced = Number(/Running \S+ suite \((\d+) scenarios\)/.exec(stdout)?.[1] ?? 0)
  const directories = resultDirectories()
  for (const name of directories.keys()) if (!names.includes(name)) names.push(name)
  const results = names.map((name) => judge(name, directories.get(name)))

  console.log(`\n=== MCPServer conformance (server suite ${SUITE}) ===`)
  for (const result of results) {
    console.log(`${result.passed ? 'PASS' : 'FAIL'} ${result.name}`)
    for (const problem of result.problems) console.log(`     - ${problem}`)
  }
  const passed = results.filter((result) => result.passed).length
  let failed = results.length - passed
  const missing = Math.max(0, announced - results.length)
  if (missing > 0) console.log(`FAIL ${missing} announced scenario(s) left no summary or results`)
  failed += missing
  if (results.length === 0 && failed === 0) failed = 1
  if (code !== 0 && failed === 0) {
    console.log(`FAIL the conformance run exited with ${code}`)
    failed = 1
  }
  const exitProblem = readExitProblem()
  if (exitProblem) console.log(`WARNING ${exitProblem}`)

  const summary = {
    suite: SUITE,
    version: CONFORMANCE_VERSION,
    passed,
    failed,
    fixtureExit: exitProblem ?? 'exited by itself after close()',
    results,
  }
  fs.writeFileSync(
    path.join(outputDir, 'server-summary.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  )
  console.log(
    `(${((Date.now() - started) / 1000).toFixed(1)} s;`,
    `details in ${path.relative(repoRoot, resultsDir)}, fixture log in ${path.relative(repoRoot, fixtureLog)})`,
  )
  console.log(`CONFORMANCE_SERVER_RESULT passed=${passed} failed=${failed}`)
  process.exitCode = failed === 0 ? 0 : 1
}

main().catch((error) => {
  console.error(error)
  if (process.argv[2] !== '--inside') console.log('CONFORMANCE_SERVER_RESULT passed=0 failed=1')
  process.exitCode = 1
})
