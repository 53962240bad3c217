import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { testServers } from '../support/servers.js';

/**
 * Issue #9: the benchmark's smoke run, so that `npm run bench` cannot rot. Every workload ×
 * configuration × backend (embedded, the real servers, the servers behind toxiproxy) runs on tiny
 * workloads; the JSON and the chart must come out with every cell. No speed is asserted here —
 * speed is measured by `npm run bench`, never by a test.
 */
describe('npm run bench -- --smoke', () => {
  it('runs every cell and writes the table, the JSON and the chart', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    try {
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['bench/run.mjs', '--smoke', '--out', out], {
          cwd: repoRoot,
          env: { ...process.env, FILESEARCH_BENCH_SERVERS: JSON.stringify(testServers()) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let so = '';
        let se = '';
        child.stdout.on('data', (d: Buffer) => (so += d.toString()));
        child.stderr.on('data', (d: Buffer) => (se += d.toString()));
        child.on('error', reject);
        child.on('close', (c) => resolve({ code: c, stdout: so, stderr: se }));
      });
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/msgs\/min/);
      expect(stdout).toMatch(/ours\/baseline/);
      const json = fs.readdirSync(out).find((f) => f.endsWith('.json'));
      const svg = fs.readdirSync(out).find((f) => f.endsWith('.svg'));
      expect(json).toBeDefined();
      expect(svg).toBeDefined();
      expect(fs.readFileSync(path.join(out, svg as string), 'utf8')).toMatch(/^<svg /);
      const result = JSON.parse(fs.readFileSync(path.join(out, json as string), 'utf8')) as {
        results: Array<{ workload: string; backend?: string; config: string; metrics: { settled: number; expected: number; perMinute: number } }>;
      };
      const cells = result.results.map((r) => `${r.workload}/${r.backend ?? '-'}/${r.config}`).sort();
      const expected: string[] = [];
      for (const w of ['text-heavy', 'ocr-heavy', 'mixed']) {
        expected.push(`${w}/-/ceiling`);
        for (const b of ['embedded', 'servers', 'latency']) for (const c of ['ours', 'baseline']) expected.push(`${w}/${b}/${c}`);
      }
      expect(cells).toEqual(expected.sort());
      // Every cell measured something: a run that settled nothing would be a broken bench.
      for (const r of result.results) expect(r.metrics.settled, `${r.workload}/${r.backend}/${r.config}`).toBeGreaterThan(0);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 900_000);
});
