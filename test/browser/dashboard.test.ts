import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { corpusRoot, killLeftoverCli, runCli, spawnCli, tempHome } from '../support/cli.js';
import { launchBrowser, screenshot, startServe, tileValue, until, watchPage } from '../support/browser.js';

/**
 * Issue #8, must-show 1 (dashboard) in a real Chromium: `filesearch serve` on the embedded
 * backends, a real `filesearch run` processing a batch meanwhile. The counters must rise on the
 * open page without a reload, the poison messages must appear in the DLQ breakdown by reason,
 * and the stage timings, failures, workers and pre-flight rows must be filled from the real run.
 */
describe('dashboard in a real browser (embedded)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(() => killLeftoverCli());

  it('shows the run live: counters rise without a reload, poison lands in the DLQ breakdown', async () => {
    const home = tempHome('fs-dash-');
    const inbox = path.join(home, 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    // Mostly PDFs (poppler takes tens of milliseconds each), so that one extraction at a time
    // lasts long enough for several 2-second refreshes.
    const good = 800;
    for (let i = 0; i < 700; i += 1) fs.copyFileSync(path.join(corpusRoot, 'pdf-text', 'pdfjs_issue16063.pdf'), path.join(inbox, `regulation-${i}.pdf`));
    for (let i = 0; i < good - 701; i += 1) fs.writeFileSync(path.join(inbox, `議事録-${i}.txt`), `週次会議の議事録 ${i}。担当 dash${i}`);
    fs.copyFileSync(path.join(corpusRoot, 'office', 'tika_testWORD_phonetic.docx'), path.join(inbox, 'ruby.docx'));
    // Poison: an object deleted between its event and the run (object_not_found), and a PDF
    // whose name is markup (shown as text in the failures table).
    fs.writeFileSync(path.join(inbox, 'vanished.txt'), 'gone before the worker gets there');
    fs.writeFileSync(path.join(inbox, '<img src=x onerror=alert(1)>.pdf'), '%PDF-1.7\n1 0 obj <<');
    const ingest = await runCli(['ingest', inbox, '--bucket', 'inbox'], home);
    expect(ingest.code, ingest.stderr).toBe(0);
    fs.rmSync(path.join(inbox, 'vanished.txt'));

    const serve = await startServe(home);
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      const watch = watchPage(page);
      await page.goto(`${serve.url}/`);
      await until(async () => (await tileValue(page, 'queue-visible')) === good + 2, 15_000, 'the queue depth on the dashboard');
      expect(await tileValue(page, 'documents')).toBe(0);
      // Marks this document: a reload would lose it.
      await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));

      const run = spawnCli(['run', '--until-idle', '-w', '1', '-b', '1'], home, { LOG_LEVEL: 'warn', MAX_IN_FLIGHT: '1' });
      const runExit = new Promise<number | null>((resolve) => run.once('exit', resolve));
      const documents = new Set<number>();
      const processed = new Set<number>();
      let perMinute = 0;
      let finished = false;
      void runExit.then(() => (finished = true));
      await until(
        async () => {
          documents.add((await tileValue(page, 'documents')) ?? -1);
          processed.add((await tileValue(page, 'processed-total')) ?? -1);
          perMinute = Math.max(perMinute, (await tileValue(page, 'per-minute')) ?? 0);
          return finished;
        },
        120_000,
        'the run to finish',
      );
      expect(await runExit).toBe(0);
      await until(async () => (await tileValue(page, 'documents')) === good, 15_000, 'every good file counted');
      // Settled since start: every message, the worker's last seconds included (its final state).
      await until(async () => (await tileValue(page, 'processed-total')) === good + 2, 15_000, 'every message settled on the dashboard');

      // Seen rising in several steps while the run worked, on the same page load.
      expect([...documents].filter((n) => n > 0 && n < good).length, `documents seen: ${[...documents].join(' ')}`).toBeGreaterThanOrEqual(2);
      expect([...processed].filter((n) => n > 0 && n < good).length, `settled seen: ${[...processed].join(' ')}`).toBeGreaterThanOrEqual(2);
      expect(perMinute).toBeGreaterThan(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

      // The poison, by reason, in the DLQ breakdown.
      const notFound = page.locator('[data-testid=dlq-reasons] tr[data-reason="object_not_found"]');
      await notFound.waitFor({ timeout: 30_000 });
      await expect.poll(async () => notFound.textContent(), { timeout: 15_000 }).toMatch(/object_not_found\s*1\b/);
      await until(async () => (await tileValue(page, 'dlq-depth')) === 2, 15_000, 'DLQ depth 2');
      const reasons = await page.locator('[data-testid=dlq-reasons] tr[data-reason]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-reason')));
      expect(reasons).toHaveLength(2);

      // Failures name the files (markup shown as text), stages carry timings, pre-flight rows are there.
      const failures = page.getByTestId('failures');
      await expect.poll(async () => failures.textContent(), { timeout: 15_000 }).toContain('<img src=x onerror=alert(1)>.pdf');
      expect(await failures.textContent()).toContain('vanished.txt');
      expect(await failures.locator('img').count()).toBe(0);
      const stages = await page.getByTestId('stages').textContent();
      for (const stage of ['download', 'extract', 'index']) expect(stages).toContain(stage);
      await expect.poll(async () => page.getByTestId('preflight').textContent(), { timeout: 20_000 }).toMatch(/tesseract/i);
      expect(await page.getByTestId('preflight').textContent()).toMatch(/PASS/);

      await screenshot(page, 'dashboard');
      expect(watch.dialogs).toEqual([]);
      expect(watch.errors).toEqual([]);
      await page.close();
    } finally {
      expect(await serve.stop()).toBe(0);
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 240_000);

  it('keeps polling through an API failure and shows it, then recovers', async () => {
    const home = tempHome('fs-dash-down-');
    const serve = await startServe(home);
    try {
      const page = await browser.newPage();
      watchPage(page);
      await page.goto(`${serve.url}/`);
      await until(async () => (await tileValue(page, 'queue-visible')) === 0, 15_000, 'the dashboard filled');
      // The server goes away: the page says so instead of freezing on stale numbers.
      await serve.stop();
      await expect.poll(async () => page.getByTestId('connection-status').textContent(), { timeout: 15_000 }).not.toBe('');
      await page.close();
    } finally {
      await serve.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
