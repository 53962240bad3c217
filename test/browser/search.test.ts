import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusRoot, runCli, tempHome } from '../support/cli.js';
import { launchBrowser, screenshot, startServe, type ServeProcess, watchPage } from '../support/browser.js';

/**
 * Issue #8, must-shows 1 (search) and 2 (XSS) in a real Chromium on the embedded backends: corpus
 * files indexed by the real worker, a two-character Japanese word typed into the search box, the
 * right file with the word highlighted, filters, pagination, the detail view; and a file whose
 * name and content are markup, shown as text with no dialog.
 */
const XSS_NAME = '<img src=x onerror=alert(1)>.txt';
const XSS_CONTENT = '<script>alert(2)</script><img src=y onerror=alert(3)> 会議の資料 <b>bold</b> <a href="javascript:alert(4)">link</a>';

describe('search page in a real browser (embedded)', () => {
  let browser: Browser;
  let serve: ServeProcess;
  const home = tempHome('fs-search-');

  beforeAll(async () => {
    browser = await launchBrowser();
    const inbox = path.join(home, 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    for (const file of ['pdf-text/pdfjs_issue16063.pdf', 'pdf-text/pdfjs_issue16538.pdf', 'text/chardet_sjis_readme.txt', 'text/uchardet_utf8_wikipedia.txt', 'office/tika_testWORD_phonetic.docx']) {
      fs.copyFileSync(path.join(corpusRoot, file), path.join(inbox, path.basename(file)));
    }
    // 25 files sharing a word: two pages of 20.
    for (let i = 0; i < 25; i += 1) fs.writeFileSync(path.join(inbox, `報告-${String(i).padStart(2, '0')}.txt`), `月次報告 ${i}: 進捗は順調。`);
    fs.writeFileSync(path.join(inbox, XSS_NAME), XSS_CONTENT);
    expect((await runCli(['ingest', inbox, '--bucket', 'docs'], home)).code).toBe(0);
    const run = await runCli(['run', '--until-idle'], home);
    expect(run.code, run.stderr).toBe(0);
    serve = await startServe(home);
  }, 180_000);

  afterAll(async () => {
    await serve?.stop();
    await browser?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('finds the file holding a 2-character Japanese word, highlighted, and opens its detail view', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page);
    await page.goto(`${serve.url}/search`);
    await page.getByTestId('query').fill('端子');
    await page.getByTestId('search-submit').click();
    await page.getByTestId('hit').first().waitFor();

    const hit = page.getByTestId('hit').filter({ hasText: 'pdfjs_issue16063.pdf' });
    expect(await hit.count()).toBe(1);
    const marks = await hit.locator('.hit-snippet mark').allTextContents();
    expect(marks.length).toBeGreaterThan(0);
    expect(new Set(marks)).toEqual(new Set(['端子']));
    expect(await hit.locator('.hit-type').textContent()).toMatch(/PDF/i);
    expect(await hit.locator('.hit-size').textContent()).toMatch(/\d/);
    expect(await hit.locator('.hit-date').textContent()).toMatch(/\d{4}-\d{2}-\d{2}/);
    // Only files that hold the word.
    for (const name of await page.locator('[data-testid=hit] a.hit-name').allTextContents()) expect(['pdfjs_issue16063.pdf']).toContain(name);
    await screenshot(page, 'search');

    await hit.locator('a.hit-name').click();
    await page.getByTestId('doc-name').waitFor();
    expect(await page.getByTestId('doc-name').textContent()).toBe('pdfjs_issue16063.pdf');
    expect(await page.getByTestId('doc-meta').textContent()).toContain('application/pdf');
    const contentMarks = await page.locator('[data-testid=doc-content] mark').allTextContents();
    expect(contentMarks.length).toBeGreaterThan(0);
    expect(new Set(contentMarks)).toEqual(new Set(['端子']));
    expect(await page.getByTestId('doc-content').textContent()).toContain('スプリング式ねじなし端子');
    await screenshot(page, 'document');
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('filters by type and date and pages through results', async () => {
    const page = await browser.newPage();
    watchPage(page);
    await page.goto(`${serve.url}/search?q=${encodeURIComponent('報告')}`);
    await page.getByTestId('hit').first().waitFor();
    expect(await page.getByTestId('total').textContent()).toContain('25');
    expect(await page.getByTestId('hit').count()).toBe(20);
    const pagination = page.getByTestId('pagination');
    await pagination.getByRole('link', { name: /next/i }).click();
    await page.waitForURL(/page=2/);
    await page.getByTestId('hit').first().waitFor();
    expect(await page.getByTestId('hit').count()).toBe(5);
    expect(await pagination.locator('[aria-current=page]').textContent()).toContain('2');

    // Type: PDF only → none of the .txt reports.
    await page.goto(`${serve.url}/search?q=${encodeURIComponent('報告')}&type=pdf`);
    await page.getByTestId('total').waitFor();
    await expect.poll(async () => page.getByTestId('total').textContent()).toMatch(/no results/i);
    // Date: files modified today are found from today, not up to yesterday.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${serve.url}/search?q=${encodeURIComponent('報告')}&from=${today}`);
    await expect.poll(async () => page.getByTestId('total').textContent()).toContain('25');
    await page.goto(`${serve.url}/search?q=${encodeURIComponent('報告')}&to=${yesterday}`);
    await expect.poll(async () => page.getByTestId('total').textContent()).toMatch(/no results/i);
    await page.close();
  });

  it('shows a file named and filled with markup as text: no element injected, no dialog (XSS)', async () => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    await page.goto(`${serve.url}/search?q=${encodeURIComponent('会議')}`);
    const hit = page.getByTestId('hit').filter({ hasText: XSS_NAME });
    await hit.first().waitFor();
    expect(await hit.count()).toBe(1);
    expect(await hit.locator('a.hit-name').textContent()).toBe(XSS_NAME);
    expect(await hit.locator('.hit-snippet').textContent()).toContain('<script>alert(2)</script>');
    expect(await page.locator('[data-testid=results] img, [data-testid=results] script, [data-testid=results] b').count()).toBe(0);
    expect(await hit.locator('.hit-snippet mark').allTextContents()).toEqual(['会議']);

    await hit.locator('a.hit-name').click();
    await page.getByTestId('doc-name').waitFor();
    expect(await page.getByTestId('doc-name').textContent()).toBe(XSS_NAME);
    expect(await page.getByTestId('doc-content').textContent()).toContain(XSS_CONTENT);
    expect(await page.locator('main img, main script, main b, main a[href^="javascript"]').count()).toBe(0);
    // Give any injected handler the chance to run before concluding none did.
    await page.waitForTimeout(500);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('answers a bad API parameter with a 400 naming it, and sends the security headers', async () => {
    const bad = await fetch(`${serve.url}/api/search?q=a&page=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^page:/);
    const page = await fetch(`${serve.url}/search`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${serve.url}/api/document?id=${'0'.repeat(40)}`)).status).toBe(404);
  });
});
