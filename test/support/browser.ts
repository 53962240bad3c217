import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, spawnCli } from './cli.js';

/**
 * A real browser for the web app's tests: playwright-core driving Debian's `chromium` (installed
 * by scripts/install-system-deps.sh). Missing → the test fails and says so; never a skip.
 */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots the run keeps as build artifacts (git-ignored; CI uploads them). */
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Chromium is missing at ${chromiumPath}: install the Debian package \`chromium\` (bash scripts/install-system-deps.sh) or set CHROMIUM_PATH`);
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Everything a page did that a user would call broken or dangerous: dialogs, script errors, CSP reports. */
export interface PageWatch {
  readonly dialogs: string[];
  readonly errors: string[];
}

export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { dialogs: [], errors: [] };
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (error) => watch.errors.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') watch.errors.push(`console: ${msg.text()}`);
  });
  return watch;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** `filesearch serve` on a free loopback port; resolves once it prints its URL. */
export async function startServe(home: string, env: Record<string, string> = {}, args: readonly string[] = []): Promise<ServeProcess> {
  const child = spawnCli(['serve', '--port', '0', ...args], home, env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /dashboard at (http:\/\/[^/\s]+)\//.exec(out);
      if (m?.[1] !== undefined) {
        clearInterval(timer);
        resolve(m[1]);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`serve exited ${child.exitCode}:\n${out}`));
      }
    }, 50);
    setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`serve did not print its URL within 30 s:\n${out}`));
    }, 30_000).unref();
  });
  return {
    url,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export { until } from './wait.js';

/** The raw number a dashboard tile carries (`data-value`), or undefined while it has none. */
export async function tileValue(page: Page, testId: string): Promise<number | undefined> {
  const raw = await page.getByTestId(testId).getAttribute('data-value', { timeout: 1_000 }).catch(() => null);
  return raw === null || raw === '' ? undefined : Number(raw);
}
