import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardResponse } from '../../src/web/api-types.js';
import { until } from '../support/wait.js';
import { killLeftoverCli, runCli, spawnCli, tempHome } from '../support/cli.js';

/** Issue #8: `run --http` serves the web app on the worker's own HTTP server, next to /metrics. */
describe('run --http', () => {
  afterEach(() => killLeftoverCli());

  it('serves the dashboard, whose workers include the run itself, and the search API', async () => {
    const home = tempHome('fs-run-http-');
    try {
      fs.mkdirSync(path.join(home, 'inbox'));
      for (let i = 0; i < 20; i += 1) fs.writeFileSync(path.join(home, 'inbox', `n${i}.txt`), `打ち合わせ ${i}`);
      expect((await runCli(['ingest', path.join(home, 'inbox'), '--bucket', 'inbox'], home)).code).toBe(0);
      const child = spawnCli(['run', '--http'], home, { LOG_LEVEL: 'info' });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await until(() => /"event":"http_listening","url":"http:\/\/127\.0\.0\.1:\d+"/.test(out), 30_000, 'the HTTP server');
      const url = /"event":"http_listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1] as string;

      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      let dashboard: DashboardResponse | undefined;
      await until(async () => {
        dashboard = (await (await fetch(`${url}/api/dashboard`)).json()) as DashboardResponse;
        return dashboard.documents === 20 && dashboard.workers.some((w) => w.pid === child.pid);
      }, 30_000, 'the run in its own dashboard with every file indexed');
      expect(dashboard?.mode).toBe('embedded');
      const search = (await (await fetch(`${url}/api/search?q=${encodeURIComponent('打ち合わせ')}&size=5`)).json()) as { total: number; hits: unknown[] };
      expect(search.total).toBe(20);
      expect(search.hits).toHaveLength(5);
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
