// One measured run of the real worker (`filesearch run`, the long-running service) until it has
// settled `expected` messages or the time box ends; then SIGTERM (it drains) and the figures.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cores, machineCpu, sampleTree } from './proc.mjs';
import { percentiles } from './stats.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'filesearch.js');
const SETTLED = new Set(['processing_success', 'dlq_sent', 'message_ignored']);

/**
 * @param {{ env: Record<string,string>, expected: number, budgetMs: number, cpuProfileDir?: string, sampleMs?: number, onProgress?: (n: number) => void }} o
 */
export async function runWorker(o) {
  const args = [...(o.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`]), bin, 'run'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', HTTP_PORT: 'off', METRICS_EMF: 'off', AWS_EC2_METADATA_DISABLED: 'true', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const events = [];
  const failures = {};
  let settled = 0;
  let startedAt;
  let lastSettleAt;
  let buffer = '';
  let stderr = '';
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGTERM');
  };
  child.stderr.on('data', (d) => (stderr = (stderr + d.toString()).slice(-20_000)));
  child.stdout.on('data', (d) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      const t = typeof e.time === 'number' ? e.time : Date.parse(e.time);
      if (e.event === 'worker_started') startedAt = t;
      if (e.event === 'processing_failure') failures[e.code] = (failures[e.code] ?? 0) + 1;
      if (!SETTLED.has(e.event) || stopped) continue;
      settled += 1;
      lastSettleAt = t;
      if (e.event === 'processing_success') {
        events.push({ totalMs: e.totalMs, downloadMs: e.downloadMs, extractMs: e.extractMs, indexMs: e.indexMs, ocr: /ocr|tesseract/i.test(String(e.extractor ?? '')) });
      }
      o.onProgress?.(settled);
      if (settled >= o.expected) stop();
    }
  });

  const samples = [];
  const timer = setInterval(() => {
    const s = child.pid === undefined ? undefined : sampleTree(child.pid);
    if (s !== undefined) samples.push({ ...s, settled, machine: machineCpu() });
  }, o.sampleMs ?? 250);
  const box = setTimeout(stop, o.budgetMs);
  const { code, signal } = await exited;
  clearInterval(timer);
  clearTimeout(box);
  if (startedAt === undefined) throw new Error(`the worker did not start (exit ${code ?? signal}):\n${stderr}`);

  const end = lastSettleAt ?? startedAt;
  const wallMs = Math.max(1, end - startedAt);
  // CPU over the measured window: the samples taken between the start and the last settle.
  const window = samples.filter((s) => s.at >= startedAt && s.at <= end + 300);
  const first = window[0] ?? samples[0];
  const last = window[window.length - 1] ?? samples[samples.length - 1];
  const span = first !== undefined && last !== undefined ? Math.max(0.001, (last.at - first.at) / 1000) : 0.001;
  const treeCpu = first !== undefined && last !== undefined ? (last.cpuSeconds - first.cpuSeconds) / span : 0;
  const machine = first !== undefined && last !== undefined ? (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total) : 0;
  const half = window.slice(Math.floor(window.length / 2));
  const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
  const mb = (b) => Math.round((b / 1048576) * 10) / 10;
  return {
    exit: code ?? signal,
    settled,
    expected: o.expected,
    complete: settled >= o.expected,
    wallMs,
    perMinute: Math.round((settled / wallMs) * 60_000 * 10) / 10,
    latencyMs: percentiles(events.map((e) => e.totalMs)),
    stagesMs: {
      download: percentiles(events.map((e) => e.downloadMs)),
      extract: percentiles(events.filter((e) => !e.ocr).map((e) => e.extractMs)),
      ocr: percentiles(events.filter((e) => e.ocr).map((e) => e.extractMs)),
      index: percentiles(events.map((e) => e.indexMs)),
    },
    cpu: { workerTreeCores: Math.round(treeCpu * 100) / 100, workerTreePercent: Math.round((treeCpu / cores) * 1000) / 10, machinePercent: Math.round(machine * 1000) / 10 },
    rssMb: {
      workerPeak: mb(Math.max(0, ...window.map((s) => s.workerRss))),
      workerSteady: mb(median(half.map((s) => s.workerRss))),
      extractionPeak: mb(Math.max(0, ...window.map((s) => s.childRss))),
      extractionSteady: mb(median(half.map((s) => s.childRss))),
    },
    failures,
    // RSS against progress, for the flat-memory check.
    rssBySettled: samples.map((s) => [s.settled, s.workerRss]),
  };
}
