#!/usr/bin/env node
/**
 * Runs the client side of the official MCP conformance suite (pinned in `cli.mjs`) against
 * MCPClient through `client.ts`: `conformance client --requirements <revision>` once per spec
 * revision (default `2025-11-25` and `2026-07-28`; `MCPKIT_CONFORMANCE_REQUIREMENTS`, see
 * `cli.mjs`), each on
 * that revision's wire. It runs inside a fresh network namespace: the suite's mock servers bind
 * every interface, so they and the client share a namespace with loopback only.
 *
 * The CLI needs Node 22 (`scripts/node22.mjs`). The client runs on the Node running this script,
 * as plain JavaScript: `client.ts` is transpiled once up front, because the suite starts all its
 * clients at once and a TypeScript loader in each of them costs enough CPU on two cores to make
 * `sse-retry`'s reconnect timing check flaky.
 *
 * The revision's required authorization scenarios then run a second time (`--suite auth`, then
 * `--suite draft` for those 2026-07-28 added, `--spec-version <revision>`) with
 * `MCPKIT_CONFORMANCE_AUTH_FLOW=authenticate`:
 * `MCPClient.authenticate()` first, as a command-line program does, where the first run makes
 * a request first; each is reported as `<scenario> (authenticate() first)` and counts too.
 *
 * Only the revision's required scenarios count (the ones the CLI scores, plus ALSO_REQUIRED in
 * `cli.mjs`); the others the CLI runs (extensions, scenarios added later) are reported as "not
 * scored". A scenario passes when none of its checks failed or warned, at least one succeeded,
 * and the client printed its ok line (it ran to the end and exited by itself). One that only
 * warned (a timing window missed while the suite runs every client at once) is run once more,
 * alone, on the same wire. A scenario listed in `expected-failures.yml` that fails is reported
 * as EXPECTED and counted neither passed nor failed; one listed there that passes fails the run
 * (stale entry). Prints `CONFORMANCE_RESULT passed=N failed=M` last (summed over revisions) and
 * writes `.conformance/summary.json`.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
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

const EXPECTED_FAILURES = path.join('conformance', 'expected-failures.yml')
/** Appended to the name of an auth scenario run with `authenticate()` as the first call. */
const AUTH_FIRST = ' (authenticate() first)'
// The CLI starts every scenario's client at once (39 on the 2026-07-28 run): on a busy 2-core
// machine a client spent 45 s just starting, so the limit leaves room for that.
const SCENARIO_TIMEOUT_MS = 90_000
const OK_MARKER = 'mcpkit-conformance-client: ok'

const clientDir = path.join(outputDir, 'client')

/** `client.ts` as an ES module beside the results (type errors are `pnpm typecheck`'s job). */
function transpileClient() {
  const require = createRequire(path.join(testsDir, 'package.json'))
  try {
    require.resolve('@mcpkit/mcp-client-core')
  } catch {
    throw new Error('@mcpkit/mcp-client-core is not built: run `pnpm build` first')
  }
  const ts = require('typescript')
  const source = path.join(testsDir, 'conformance', 'client.ts')
  const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  })
  fs.mkdirSync(outputDir, { recursive: true })
  const output = path.join(outputDir, 'client.mjs')
  fs.writeFileSync(output, outputText)
  return path.relative(testsDir, output)
}

/** Runs the CLI in its own network namespace, echoing its output; resolves to its exit. */
function runCli(nodeBinary, cli, clientScript, selection, output, env = {}) {
  // The CLI splits --command on spaces and appends the server URL.
  if (process.execPath.includes(' ')) throw new Error(`Node path has a space: ${process.execPath}`)
  const args = [
    'client',
    ...selection,
    '--command',
    `${process.execPath} ${clientScript}`,
    '--expected-failures',
    EXPECTED_FAILURES,
    '--output-dir',
    path.relative(testsDir, output),
    '--timeout',
    String(SCENARIO_TIMEOUT_MS),
  ]
  const child = spawn(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', nodeBinary, cli, ...args],
    { cwd: testsDir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  )
  let stdout = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
    process.stdout.write(chunk)
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout }))
  })
}

function readText(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
}

function judge(name, dir) {
  if (!dir) return { name, passed: false, problems: ['no results were written'] }
  const checks = JSON.parse(fs.readFileSync(path.join(dir, 'checks.json'), 'utf8'))
  const count = (status) => checks.filter((check) => check.status === status).length
  const problems = checks
    .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
    .map((check) => `${check.status} ${check.name}: ${check.errorMessage ?? check.description}`)
  if (count('SUCCESS') === 0) problems.push('no check succeeded (the client did not get far)')
  if (!readText(path.join(dir, 'stdout.txt')).includes(OK_MARKER)) {
    problems.push('the client did not finish cleanly (no ok line: it threw, timed out or hung)')
  }
  return {
    name,
    passed: problems.length === 0,
    checks: { success: count('SUCCESS'), failure: count('FAILURE'), warning: count('WARNING') },
    problems,
    stderrTail: readText(path.join(dir, 'stderr.txt')).trimEnd().split('\n').slice(-15),
  }
}

/** One revision: the CLI's run of its requirement set, judged here scenario by scenario. */
async function runRevision({ binary, cli, clientScript, expected }, revision) {
  const { required, notScored } = requirementSet(revision, 'client')
  const output = path.join(clientDir, revision, 'results')
  fs.rmSync(path.join(clientDir, revision), { recursive: true, force: true })
  fs.mkdirSync(output, { recursive: true })
  const run = await runCli(binary, cli, clientScript, ['--requirements', revision], output)
  const directories = resultDirectories(output)
  const results = required.map((name) => judge(name, directories.get(name)))

  // The suite starts every client at once; on two cores that burst alone can push a reconnect
  // past a timing window. A scenario whose only problems are timing warnings runs once more,
  // alone, at the same revision's wire, and that run decides.
  for (const [index, result] of results.entries()) {
    if (result.passed || !result.problems.every((problem) => problem.startsWith('WARNING')))
      continue
    console.log(`\n${result.name}: only warnings (${result.problems.join('; ')}); running it alone`)
    const alone = path.join(clientDir, revision, 'results-alone', String(index))
    const selection = ['--scenario', result.name, '--spec-version', revision, '--force']
    await runCli(binary, cli, clientScript, selection, alone)
    results[index] = judge(result.name, resultDirectories(alone).get(result.name))
  }

  // The authorization scenarios once more with `MCPClient.authenticate()` as the first call
  // (the client's `MCPKIT_CONFORMANCE_AUTH_FLOW`): a command-line program reads the server's
  // challenge itself, where a request-first client gets it from the transport's 401.
  const authRequired = required.filter((name) => name.startsWith('auth/'))
  const authFirstRuns = []
  if (authRequired.length > 0) {
    // The suite's `auth` set, then its `draft` set (what 2026-07-28 introduced) if a required
    // scenario is still missing: two smaller bursts than `all`, on two cores.
    const authDirectories = new Map()
    for (const suite of ['auth', 'draft']) {
      const missing = authRequired.filter((name) => !authDirectories.has(name))
      if (missing.length === 0) break
      console.log(`\n${revision}: the auth scenarios again, authenticate() first (suite ${suite})`)
      const authOutput = path.join(clientDir, revision, 'results-authenticate-first', suite)
      const selection = ['--suite', suite, '--spec-version', revision]
      authFirstRuns.push(
        await runCli(binary, cli, clientScript, selection, authOutput, {
          MCPKIT_CONFORMANCE_AUTH_FLOW: 'authenticate',
        }),
      )
      for (const [name, dir] of resultDirectories(authOutput)) authDirectories.set(name, dir)
    }
    for (const name of authRequired) {
      results.push({ ...judge(name, authDirectories.get(name)), name: `${name}${AUTH_FIRST}` })
    }
  }

  const notRun = applyExpectedFailures(results, expected, 'expected-failures.yml')
  for (const name of notRun) console.log(`note: ${name} in expected-failures.yml is not required`)
  const unscored = [...notScored].map(([name, reason]) => ({
    ...judge(name, directories.get(name)),
    reason,
  }))
  const passed = results.filter((result) => result.passed).length
  const expectedFailures = results.filter((result) => result.expected).length
  let failed = results.length - passed - expectedFailures
  if (results.length === 0) failed = 1 // a requirement set that asks nothing of us is a mistake
  // Exit 1 is the CLI's own verdict on what we judged above; anything else (a crash, a kill, no
  // summary) means the run did not finish.
  const finished =
    [run, ...authFirstRuns].every((each) => each.code <= 1 && !each.signal) &&
    run.stdout.includes('SUITE SUMMARY')
  if (!finished && failed === 0) failed = 1
  return { revision, run, finished, passed, failed, expectedFailures, results, unscored }
}

function report({ revision, run, finished, passed, failed, results, unscored }) {
  console.log(`\n=== MCPClient conformance, requirements ${revision} ===`)
  for (const result of results) {
    const label = result.passed ? 'PASS' : result.expected ? 'EXPECTED' : 'FAIL'
    console.log(`${label} ${result.name}`)
    if (result.passed) continue
    for (const problem of result.problems) console.log(`     - ${problem}`)
    if (result.expected) continue
    for (const line of result.stderrTail ?? []) console.log(`       | ${line}`)
  }
  if (unscored.length > 0) console.log('not scored (run and reported, never counted):')
  for (const result of unscored) {
    console.log(`  ${result.passed ? 'pass' : 'fail'} ${result.name} (${result.reason})`)
  }
  if (!finished) {
    console.log(`FAIL the conformance CLI did not finish (exit ${run.signal ?? run.code})`)
  }
  console.log(`requirements ${revision}: passed ${passed}, failed ${failed}`)
}

async function main() {
  const started = Date.now()
  const { binary, version } = node22()
  const cli = conformanceCli()
  const revisions = requirementRevisions('client')
  console.log(
    `conformance ${CONFORMANCE_VERSION} on Node ${version}, requirements ${revisions.join(' + ')};`,
    `client on Node ${process.version}`,
  )
  const context = {
    binary,
    cli,
    clientScript: transpileClient(),
    expected: readExpectedFailures(EXPECTED_FAILURES, 'client'),
  }
  const outcomes = []
  for (const revision of revisions) outcomes.push(await runRevision(context, revision))
  for (const outcome of outcomes) report(outcome)

  const passed = outcomes.reduce((sum, outcome) => sum + outcome.passed, 0)
  const failed = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0)
  const expectedFailures = outcomes.reduce((sum, outcome) => sum + outcome.expectedFailures, 0)
  const summary = {
    version: CONFORMANCE_VERSION,
    passed,
    failed,
    expectedFailures,
    revisions: Object.fromEntries(
      outcomes.map(({ revision, run, ...outcome }) => [
        revision,
        { ...outcome, cliExit: run.signal ?? run.code },
      ]),
    ),
  }
  fs.writeFileSync(path.join(outputDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  console.log(
    `(${((Date.now() - started) / 1000).toFixed(1)} s;`,
    `${expectedFailures} expected failure(s); details in ${path.relative(repoRoot, clientDir)})`,
  )
  console.log(`CONFORMANCE_RESULT passed=${passed} failed=${failed}`)
  process.exitCode = failed === 0 ? 0 : 1
}

main().catch((error) => {
  console.error(error)
  console.log('CONFORMANCE_RESULT passed=0 failed=1')
  process.exitCode = 1
})
