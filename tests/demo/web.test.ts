// The demo's web page end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): pick a user, chat, see tool calls, approve and deny pending deletes, and
// watch the pool statistics change.
import { existsSync } from 'node:fs'
import { createDemo, type Demo, RuleBasedProvider } from '@mcpkit/demo'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir } from '../support/processes.js'

const CHROMIUM = '/usr/bin/chromium'
// Without the background-networking flags Chromium's own connections are refused by this
// machine's closed network and slow everything down.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

// Skipped on a machine without Chromium (`apt-get install chromium` enables it); never in CI,
// where a missing browser must fail the run rather than hide the test.
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
  'demo web page in headless Chromium',
  () => {
    let demo: Demo
    let context: BrowserContext
    let page: Page
    let profile: { path: string; remove(): Promise<void> }

    beforeAll(async () => {
      demo = await createDemo({ provider: new RuleBasedProvider(), approvalTimeout: 60_000 })
      profile = await makeTempDir('demo-chromium')
      // A persistent context is how playwright takes a fresh --user-data-dir of our choosing.
      context = await chromium.launchPersistentContext(profile.path, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
      })
      page = context.pages()[0] ?? (await context.newPage())
      page.setDefaultTimeout(15_000)
      await page.goto(demo.url)
      await page.waitForSelector('body[data-ready="true"]')
    })

    afterAll(async () => {
      await context?.close()
      await demo?.close()
      await profile?.remove()
    })

    async function send(message: string): Promise<void> {
      await page.getByTestId('message').fill(message)
      await page.getByTestId('send').click()
    }

    function stat(name: string) {
      return page.locator(`[data-testid="pool-stats"] [data-stat="${name}"]`)
    }

    it('lists the demo users and shows the pool before any request', async () => {
      const options = await page.getByTestId('user-select').locator('option').allTextContents()
      expect(options).toEqual(demo.users.map((user) => user.name))
      await expect.poll(() => stat('size').textContent()).toBe('0')
      await expect.poll(() => stat('max').textContent()).toBe('100')
      await expect.poll(() => page.getByTestId('provider').textContent()).toBe('rule-based')
    })

    let noteId = ''

    it('picks a user, adds a note and shows the tool call; the pool gains a client', async () => {
      await page.getByTestId('user-select').selectOption('carol')
      await send('add note [owner:carol] buy milk')
      const call = page.locator('[data-testid="tool-call"][data-tool="notes_add_note"]')
      await call.waitFor()
      expect(await call.getAttribute('data-status')).toBe('ok')
      const result = JSON.parse((await call.getByTestId('tool-result').textContent()) ?? '{}') as {
        note: { id: string; text: string }
      }
      expect(result.note.text).toBe('[owner:carol] buy milk')
      noteId = result.note.id
      await expect
        .poll(() => page.getByTestId('assistant-message').last().textContent())
        .toBe(`Added note ${noteId}: "[owner:carol] buy milk".`)
      // The page polls /api/pool: carol's client is now pooled.
      await expect.poll(() => stat('size').textContent()).toBe('1')
      await expect.poll(() => stat('misses').textContent()).toBe('1')
    })

    it('asks to delete the note, shows the pending approval, runs the delete once approved', async () => {
      await send(`delete note ${noteId}`)
      const pending = page.getByTestId('pending-approval')
      await pending.waitFor()
      expect(await pending.textContent()).toContain('notes_delete_note')
      expect(await pending.textContent()).toContain(noteId)
      // The delete waits: no tool call for it yet.
      expect(await page.locator('[data-tool="notes_delete_note"]').count()).toBe(0)
      expect(await page.getByTestId('thinking').count()).toBe(1)

      await pending.getByTestId('approve').click()
      const call = page.locator('[data-testid="tool-call"][data-tool="notes_delete_note"]')
      await call.waitFor()
      expect(await call.getAttribute('data-status')).toBe('ok')
      expect(await call.getByTestId('approval-badge').textContent()).toBe('approved')
      await expect
        .poll(() => page.getByTestId('assistant-message').last().textContent())
        .toMatch(new RegExp(`^Deleted note ${noteId} .*\\(approved\\)\\.$`))
      await expect.poll(() => page.getByTestId('pending-approval').count()).toBe(0)
      await expect
        .poll(() =>
          page.locator('[data-testid="approval-counts"] [data-count="approved"]').textContent(),
        )
        .toBe('1')
      // The pooled client was reused, not recreated.
      await expect.poll(() => stat('hits').textContent()).not.toBe('0')
      expect(await stat('misses').textContent()).toBe('1')
    })

    it('denies a delete: the note stays and the agent says the call was denied', async () => {
      await send('add note [owner:carol] keep this')
      await page.locator('[data-tool="notes_add_note"]').nth(1).waitFor()
      const text = await page
        .locator('[data-tool="notes_add_note"]')
        .nth(1)
        .getByTestId('tool-result')
        .textContent()
      const keptId = (JSON.parse(text ?? '{}') as { note: { id: string } }).note.id

      await send(`delete note ${keptId}`)
      const pending = page.getByTestId('pending-approval')
      await pending.waitFor()
      await pending.getByTestId('deny').click()
      const call = page.locator('[data-testid="tool-call"][data-tool="notes_delete_note"]').nth(1)
      await call.waitFor()
      expect(await call.getAttribute('data-status')).toBe('denied')
      expect(await call.getByTestId('approval-badge').textContent()).toBe('denied')
      expect(await call.getByTestId('tool-error').textContent()).toMatch(/denied/)
      await expect
        .poll(() => page.getByTestId('assistant-message').last().textContent())
        .toMatch(/^I did not run delete_note: the approval was denied/)
      await expect
        .poll(() =>
          page.locator('[data-testid="approval-counts"] [data-count="denied"]').textContent(),
        )
        .toBe('1')

      await send('list notes')
      await expect
        .poll(() => page.getByTestId('assistant-message').last().textContent())
        .toBe(`You have 1 note:\n- ${keptId}: [owner:carol] keep this`)
    })

    it("another user sees neither carol's notes nor her conversation; the pool grows", async () => {
      await page.getByTestId('user-select').selectOption('dave')
      expect(await page.getByTestId('tool-call').count()).toBe(0)
      await send('list notes')
      await expect
        .poll(() => page.getByTestId('assistant-message').last().textContent())
        .toBe('You have no notes.')
      await expect.poll(() => stat('size').textContent()).toBe('2')
      await expect.poll(() => stat('misses').textContent()).toBe('2')
      // Back to carol: her conversation is still there.
      await page.getByTestId('user-select').selectOption('carol')
      expect(await page.locator('[data-tool="notes_delete_note"]').count()).toBe(2)
    })

    it('shows utilities tools (the shared stdio server) like the others', async () => {
      await send('calculate (2 + 3) * 7')
      await expect
        .poll(() => page.getByTestId('assistant-message').last().textContent())
        .toBe('(2 + 3) * 7 = 35')
      const call = page.locator('[data-tool="utilities_calculate"]')
      expect(await call.getAttribute('data-status')).toBe('ok')
    })
  },
)
