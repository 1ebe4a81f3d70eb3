#!/usr/bin/env node
/**
 * Runs the server side of the official MCP conformance suite (pinned in `cli.mjs`) against the
 * everything fixture (`tests/fixtures/everything-server.ts`, built only with `MCPServer`) served
 * over Streamable HTTP at `http://127.0.0.1:<port>/mcp`: `conformance server --requirements
 * <revision>` once per spec revision (`MCPKIT_CONFORMANCE_REQUIREMENTS`, default `2025-11-25`;
 * see `cli.mjs`), each on that revision's wire, against a fresh fixture.
 *
 * Both run inside a fresh network namespace with loopback only (`unshare -n`): this script
 * re-executes itself there (`--inside`), starts the fixture on the project's Node (the one
 * running this script), waits for its port, and runs the CLI on Node 22 (`scripts/node22.mjs`).
 *
 * Only the revision's required scenarios count (the ones the CLI scores, plus ALSO_REQUIRED in
 * `cli.mjs`, e.g. `server-session-lifecycle`); the others it runs are reported as "not scored".
 * A scenario passes when none of its checks failed or warned and at least one succeeded. One
 * listed in `expected-failures-server.yml` that fails is EXPECTED (counted neither way); one
 * listed there that passes fails the run (stale entry); the list must stay empty. Prints
 * `CONFORMANCE_SERVER_RESULT passed=N failed=M` last (summed over revisions) and writes
 * `.conformance/server-summary.json`.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildFixtures } from '../fixtures/build.mjs'
import {
  applyExpectedFailures,
  CONFORMANCE_VERSION,
  conformanceCli,
  node22,
  outputDir,
  readExpectedFailures,
  repoRoot,
  requirementRevisions,
  requirementSet,
  resultDirectories,
  testsDir,
} from './cli.mjs'

/** One revision's run (about 35 short scenarios) gets this long before it is stopped. */
const SUITE_TIMEOUT_MS = 5 * 60_000
const FIXTURE_START_TIMEOUT_MS = 20_000
/** After SIGTERM the fixture calls `close()` and must exit by itself within this. */
const FIXTURE_EXIT_GRACE_MS = 8000

const EXPECTED_FAILURES = path.join('conformance', 'expected-failures-server.yml')

/** Where one revision's run leaves its results, logs and the fixture's exit. */
function revisionFiles(revision) {
  const dir = path.join(outputDir, 'server', revision)
  return {
    dir,
    results: path.join(dir, 'results'),
    fixtureLog: path.join(dir, 'fixture.log'),
    suiteLog: path.join(dir, 'suite.log'),
    fixtureExit: path.join(dir, 'fixture-exit.json'),
  }
}

// ── inside the namespace ────────────────────────────────────────────────────

/** Starts the fixture over Streamable HTTP on a free port; resolves once it listens. */
function startFixture(serveScript, fixtureLog) {
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
async function stopFixture(fixture, fixtureLog) {
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

function runCli(nodeBinary, cli, url, revision, files) {
  const args = [
    cli,
    'server',
    '--url',
    url,
    '--requirements',
    revision,
    '--expected-failures',
    EXPECTED_FAILURES,
    '--output-dir',
    path.relative(testsDir, files.results),
  ]
  const child = spawn(nodeBinary, args, { cwd: testsDir, stdio: ['ignore', 'pipe', 'pipe'] })
  const log = fs.openSync(files.suiteLog, 'w')
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

async function inside(nodeBinary, cli, serveScript, revision) {
  const files = revisionFiles(revision)
  const fixture = startFixture(serveScript, files.fixtureLog)
  let port
  try {
    port = await fixture.port
  } catch (error) {
    await stopFixture(fixture, files.fixtureLog)
    throw error
  }
  const url = `http://127.0.0.1:${port}/mcp`
  console.log(`fixture (pid ${fixture.child.pid}) at ${url}`)
  let run
  try {
    run = await runCli(nodeBinary, cli, url, revision, files)
  } finally {
    const problem = await stopFixture(fixture, files.fixtureLog)
    fs.writeFileSync(files.fixtureExit, `${JSON.stringify({ problem: problem ?? null })}\n`)
  }
  process.exitCode = run.code
}

// ── outside ─────────────────────────────────────────────────────────────────

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

function readExitProblem(files) {
  try {
    return JSON.parse(fs.readFileSync(files.fixtureExit, 'utf8')).problem
  } catch {
    return 'the runner inside the namespace did not report how the fixture exited'
  }
}

/** Runs `inside()` for one revision in a fresh network namespace; resolves to its exit code. */
function runInNamespace(binary, cli, serveScript, revision) {
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
      revision,
    ],
    { cwd: testsDir, stdio: ['ignore', 'inherit', 'inherit'] },
  )
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode) => resolve(exitCode ?? 128))
  })
}

/** One revision: a fresh fixture, the CLI's run of the requirement set, judged here. */
async function runRevision({ binary, cli, serveScript, expected }, revision) {
  const files = revisionFiles(revision)
  const { required, notScored } = requirementSet(revision, 'server')
  fs.rmSync(files.dir, { recursive: true, force: true })
  fs.mkdirSync(files.results, { recursive: true })
  const code = await runInNamespace(binary, cli, serveScript, revision)
  const stdout = fs.existsSync(files.suiteLog) ? fs.readFileSync(files.suiteLog, 'utf8') : ''
  const directories = resultDirectories(files.results, 'server-')
  const results = required.map((name) => judge(name, directories.get(name)))
  const notRun = applyExpectedFailures(results, expected, 'expected-failures-server.yml')
  for (const name of notRun) {
    console.log(`note: ${name} in expected-failures-server.yml is not required`)
  }
  const unscored = [...notScored].map(([name, reason]) => ({
    ...judge(name, directories.get(name)),
    reason,
  }))
  const passed = results.filter((result) => result.passed).length
  const expectedFailures = results.filter((result) => result.expected).length
  let failed = results.length - passed - expectedFailures
  if (results.length === 0) failed = 1 // a requirement set that asks nothing of us is a mistake
  // Exit 1 is the CLI's own verdict on what we judged above; anything else (a crash, the suite
  // timeout's kill, the fixture failing to start) means the run did not finish.
  const finished = code <= 1 && stdout.includes('=== SUMMARY ===')
  if (!finished && failed === 0) failed = 1
  const exitProblem = readExitProblem(files)
  return {
    revision,
    code,
    finished,
    passed,
    failed,
    expectedFailures,
    exitProblem,
    results,
    unscored,
  }
}

function report({ revision, code, finished, passed, failed, exitProblem, results, unscored }) {
  console.log(`\n=== MCPServer conformance, requirements ${revision} ===`)
  for (const result of results) {
    console.log(`${result.passed ? 'PASS' : result.expected ? 'EXPECTED' : 'FAIL'} ${result.name}`)
    for (const problem of result.passed ? [] : result.problems) console.log(`     - ${problem}`)
  }
  if (unscored.length > 0) console.log('not scored (run and reported, never counted):')
  for (const result of unscored) {
    console.log(`  ${result.passed ? 'pass' : 'fail'} ${result.name} (${result.reason})`)
  }
  if (!finished) console.log(`FAIL the conformance run did not finish (exit ${code})`)
  if (exitProblem) console.log(`WARNING ${exitProblem}`)
  console.log(`requirements ${revision}: passed ${passed}, failed ${failed}`)
}

async function main() {
  if (process.argv[2] === '--inside') {
    await inside(process.argv[3], process.argv[4], process.argv[5], process.argv[6])
    return
  }
  const started = Date.now()
  const { binary, version } = node22()
  const cli = conformanceCli()
  const revisions = requirementRevisions('server')
  const { serveScript } = buildFixtures()
  console.log(
    `conformance ${CONFORMANCE_VERSION} on Node ${version}, requirements ${revisions.join(' + ')};`,
    `fixture on Node ${process.version}`,
  )
  const context = {
    binary,
    cli,
    serveScript,
    expected: readExpectedFailures(EXPECTED_FAILURES, 'server'),
  }
  const outcomes = []
  for (const revision of revisions) outcomes.push(await runRevision(context, revision))
  for (const outcome of outcomes) report(outcome)

  const passed = outcomes.reduce((sum, outcome) => sum + outcome.passed, 0)
  const failed = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0)
  const summary = {
    version: CONFORMANCE_VERSION,
    passed,
    failed,
    revisions: Object.fromEntries(
      outcomes.map(({ revision, exitProblem, ...outcome }) => [
        revision,
        { ...outcome, fixtureExit: exitProblem ?? 'exited by itself after close()' },
      ]),
    ),
  }
  fs.writeFileSync(
    path.join(outputDir, 'server-summary.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  )
  console.log(
    `(${((Date.now() - started) / 1000).toFixed(1)} s;`,
    `results and fixture logs in ${path.relative(repoRoot, path.join(outputDir, 'server'))})`,
  )
  console.log(`CONFORMANCE_SERVER_RESULT passed=${passed} failed=${failed}`)
  process.exitCode = failed === 0 ? 0 : 1
}

main().catch((error) => {
  console.error(error)
  if (process.argv[2] !== '--inside') console.log('CONFORMANCE_SERVER_RESULT passed=0 failed=1')
  process.exitCode = 1
})
