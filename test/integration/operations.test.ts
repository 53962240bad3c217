import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { startEc2MetadataMock, type Ec2MetadataMock } from '../../scripts/test-servers/ec2-metadata-mock.mjs';
import { killLeftoverCli, openEmbedded, runCli, spawnCli, tempHome } from '../support/cli.js';
import { writeEndlessPdf } from '../support/hang.js';
import { NotifySocket } from '../support/notify-socket.js';
import { until } from '../support/wait.js';

/**
 * Issue #6, must-shows 3–5 through the real CLI: a Spot interruption and an Auto Scaling
 * termination from amazon-ec2-metadata-mock (IMDSv2) drain the worker; systemd's notify protocol
 * on a real datagram socket; /metrics scraped while a run works, and its EMF lines checked
 * against the EMF schema.
 */

const schema: unknown = JSON.parse(fs.readFileSync(new URL('../support/emf-schema.json', import.meta.url), 'utf8'));
const validEmf = new Ajv({ allErrors: true, strict: true }).compile(schema as object);

function workload(home: string, files: number, endless = 0): string {
  const dir = path.join(home, 'inbox');
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i += 1) fs.writeFileSync(path.join(dir, `memo-${i}.txt`), `運用試験のメモ ${i}。識別子 ops${i}x`);
  for (let i = 0; i < endless; i += 1) writeEndlessPdf(path.join(dir, `endless-${i}.pdf`));
  return dir;
}

function watch(child: ChildProcess) {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { output: () => out, lines, exit };
}

const emfLines = (lines: Array<Record<string, unknown>>) => lines.filter((l) => typeof l['_aws'] === 'object');

describe('operations through the real CLI (embedded backends)', () => {
  // A test that fails half-way must not leave a running worker behind.
  afterEach(() => killLeftoverCli());
  let mock: Ec2MetadataMock | undefined;
  afterEach(async () => {
    await mock?.stop();
    mock = undefined;
  });

  for (const [label, args, event] of [
    ['a Spot interruption notice', (at: string) => ['spot', '-a', 'terminate', '-t', at, '--mock-delay-sec', '4'], 'spot_interruption'],
    ['an Auto Scaling termination (target-lifecycle-state Terminated)', () => ['asglifecycle', '--asg-termination-delay-sec', '4'], 'asg_termination'],
  ] as const) {
    it(`drains and exits 0 within 30 s of ${label}`, async () => {
      const home = tempHome('fs-notice-');
      const env = {
        LOG_LEVEL: 'info',
        METRICS_EMF: 'on',
        METRICS_EMF_INTERVAL: '1',
        DRAIN_TIMEOUT: '5',
        SQS_VISIBILITY_TIMEOUT: '120',
        AWS_EC2_METADATA_DISABLED: 'false',
      };
      expect((await runCli(['ingest', workload(home, 40, 1), '--bucket', 'inbox'], home, env)).code).toBe(0);
      mock = await startEc2MetadataMock({ args: [...args(new Date(Date.now() + 120_000).toISOString())] });
      const noticeAt = Date.now() + 4_000;
      const w = watch(spawnCli(['run'], home, { ...env, AWS_EC2_METADATA_SERVICE_ENDPOINT: mock.url }));
      const { code, at } = await w.exit;
      expect(code, w.output().slice(-3_000)).toBe(0);
      expect(at - noticeAt).toBeLessThan(30_000);
      const lines = w.lines();
      expect(lines.some((l) => l['event'] === event)).toBe(true);
      expect(lines.some((l) => l['event'] === 'drain_requested')).toBe(true);
      expect(lines.some((l) => l['event'] === 'drain_start')).toBe(true);
      const spot = emfLines(lines).reduce((n, l) => n + Number(l['SpotInterruption'] ?? 0), 0);
      expect(spot).toBe(event === 'spot_interruption' ? 1 : 0);
      // Nothing left invisible after the drain.
      const rt = await openEmbedded(home);
      try {
        expect((await rt.queue.depth()).inFlight).toBe(0);
      } finally {
        await rt.close();
        fs.rmSync(home, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('completes the termination lifecycle action after draining on an Auto Scaling termination', async () => {
    // moto answers CompleteLifecycleAction with HTTP 500 (NotImplementedError), so this stand-in
    // records the Query-API request the SDK sends and answers as Auto Scaling does.
    const requests: URLSearchParams[] = [];
    const autoscaling = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        requests.push(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<CompleteLifecycleActionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><CompleteLifecycleActionResult/><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>');
      });
    });
    await new Promise<void>((resolve) => autoscaling.listen(0, '127.0.0.1', resolve));
    const home = tempHome('fs-hook-');
    try {
      expect((await runCli(['ingest', workload(home, 10), '--bucket', 'inbox'], home)).code).toBe(0);
      mock = await startEc2MetadataMock({ args: ['asglifecycle', '--asg-termination-delay-sec', '2'] });
      const port = (autoscaling.address() as { port: number }).port;
      const w = watch(
        spawnCli(['run'], home, {
          LOG_LEVEL: 'info',
          AWS_EC2_METADATA_DISABLED: 'false',
          AWS_EC2_METADATA_SERVICE_ENDPOINT: mock.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          ASG_NAME: 'filesearch-workers',
          LIFECYCLE_HOOK_NAME: 'drain-before-terminate',
          AUTOSCALING_ENDPOINT: `http://127.0.0.1:${port}`,
        }),
      );
      expect((await w.exit).code, w.output().slice(-2_000)).toBe(0);
      expect(requests).toHaveLength(1);
      const r = requests[0];
      expect(r?.get('Action')).toBe('CompleteLifecycleAction');
      expect(r?.get('AutoScalingGroupName')).toBe('filesearch-workers');
      expect(r?.get('LifecycleHookName')).toBe('drain-before-terminate');
      expect(r?.get('LifecycleActionResult')).toBe('CONTINUE');
      expect(r?.get('InstanceId')).toMatch(/^i-[0-9a-f]+$/);
      // Completed after the drain, not before.
      const events = w.lines().map((l) => l['event']);
      expect(events.indexOf('lifecycle_action_completed')).toBeGreaterThan(events.indexOf('worker_stopped'));
    } finally {
      await new Promise((resolve) => autoscaling.close(resolve));
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to run on a pre-flight FAIL (no Tesseract) before it receives anything', async () => {
    const home = tempHome('fs-nopre-');
    // A PATH with poppler but without tesseract: the CLI itself runs from process.execPath.
    const bin = path.join(home, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['pdftoppm', 'pdftotext', 'pdfinfo']) fs.symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
    try {
      expect((await runCli(['ingest', workload(home, 5), '--bucket', 'inbox'], home)).code).toBe(0);
      const r = await runCli(['run', '--until-idle'], home, { PATH: bin });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/tesseract\s+FAIL\s+.*apt-get install tesseract-ocr/);
      expect(r.stderr).toContain('pre-flight failed: tesseract');
      const rt = await openEmbedded(home);
      try {
        // Untouched: all five still waiting, and the first receive of each is its first ever.
        expect(await rt.queue.depth()).toEqual({ visible: 5, inFlight: 0, delayed: 0 });
        const got = await rt.queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
        expect(got.map((m) => m.receiveCount)).toEqual([1, 1, 1, 1, 1]);
        await rt.queue.changeVisibilityBatch(got.map((m) => ({ id: m.id, receiptHandle: m.receiptHandle, visibilityTimeoutSeconds: 0 })));
      } finally {
        await rt.close();
      }
      // With OCR=off the operator accepts metadata-only scans, and it runs.
      const ok = await runCli(['run', '--until-idle'], home, { PATH: bin, OCR: 'off' });
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it('pauses receiving under disk pressure (MIN_FREE_DISK_MB above what the disk has) and still stops cleanly', async () => {
    const home = tempHome('fs-pressure-');
    try {
      expect((await runCli(['ingest', workload(home, 5), '--bucket', 'inbox'], home)).code).toBe(0);
      const child = spawnCli(['run'], home, { LOG_LEVEL: 'info', MIN_FREE_DISK_MB: '9000000' });
      const w = watch(child);
      await until(() => w.lines().some((l) => l['event'] === 'receive_paused'), 30_000, 'receive_paused');
      expect(w.lines().find((l) => l['event'] === 'backpressure_on')).toMatchObject({ reason: 'disk' });
      expect(w.lines().find((l) => l['event'] === 'receive_paused')).toMatchObject({ downstreams: ['disk'] });
      const rt = await openEmbedded(home);
      try {
        expect(await rt.queue.depth()).toEqual({ visible: 5, inFlight: 0, delayed: 0 });
      } finally {
        await rt.close();
      }
      child.kill('SIGTERM');
      expect((await w.exit).code).toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('tells systemd READY, pings the watchdog while it works, and says STOPPING on SIGTERM', async () => {
    const home = tempHome('fs-notify-');
    const socket = await NotifySocket.listen(path.join(home, 'notify.sock'));
    try {
      expect((await runCli(['ingest', workload(home, 20), '--bucket', 'inbox'], home)).code).toBe(0);
      const child = spawnCli(['run'], home, { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '1000000' });
      const w = watch(child);
      await socket.waitFor(() => socket.with('READY=1').length === 1 && socket.with('WATCHDOG=1').length >= 3, 30_000, 'READY and three watchdog pings');
      child.kill('SIGTERM');
      await socket.waitFor(() => socket.with('STOPPING=1').length === 1, 30_000, 'STOPPING');
      expect((await w.exit).code, w.output().slice(-2_000)).toBe(0);
      const ready = socket.with('READY=1')[0]?.at ?? 0;
      expect(socket.with('WATCHDOG=1').every((n) => n.at >= ready - 5_000)).toBe(true);
    } finally {
      await socket.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it('serves /healthz, /readyz and /metrics whose counters move during a run; EMF lines follow the EMF schema', async () => {
    const home = tempHome('fs-metrics-');
    try {
      expect((await runCli(['ingest', workload(home, 300), '--bucket', 'inbox'], home)).code).toBe(0);
      const child = spawnCli(['run', '-w', '1'], home, { LOG_LEVEL: 'info', METRICS_EMF: 'on', METRICS_EMF_INTERVAL: '1' });
      const w = watch(child);
      await until(() => w.lines().some((l) => l['event'] === 'http_listening'), 30_000, 'the HTTP server');
      const url = String(w.lines().find((l) => l['event'] === 'http_listening')?.['url']);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const processed = async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return [...text.matchAll(/^filesearch_files_processed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      };
      const seen: number[] = [];
      await until(async () => {
        seen.push(await processed());
        return (seen.at(-1) ?? 0) >= 300;
      }, 120_000, 'all files counted in /metrics');
      // Scraped while it worked: the counter went up in steps, not only at the end.
      expect(new Set(seen.filter((n) => n > 0 && n < 300)).size).toBeGreaterThan(1);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      for (const name of ['filesearch_processing_time_seconds_bucket', 'filesearch_stage_time_seconds_bucket{', 'filesearch_health_check_status 1', 'filesearch_memory_utilization_percent']) {
        expect(metrics).toContain(name);
      }
      child.kill('SIGTERM');
      expect((await w.exit).code).toBe(0);
      const emf = emfLines(w.lines());
      expect(emf.length).toBeGreaterThan(0);
      for (const line of emf) expect(validEmf(line), JSON.stringify(validEmf.errors)).toBe(true);
      expect(emf.reduce((n, l) => n + Number(l['FilesProcessed'] ?? 0), 0)).toBe(300);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
