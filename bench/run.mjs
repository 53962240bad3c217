#!/usr/bin/env node
// `npm run bench [-- options]`: throughput, latency, CPU and memory of the real worker against the
// seeds' old settings (baseline) and the extractors alone (ceiling), on the embedded backends, the
// real loopback servers, and those servers behind toxiproxy with the seeds' network profile.
// Prints a table and the ratios; writes JSON and an SVG chart to bench/results/ (not committed).
//
//   --smoke                 tiny workloads, 30 s time box: proves the bench runs (CI)
//   --workloads a,b         text-heavy, ocr-heavy, mixed (default all)
//   --backends a,b          embedded, servers, latency (default all)
//   --configs a,b           ours, baseline, ceiling (default all)
//   --counts w=n,...        files per workload (default text-heavy=5000, ocr-heavy=12, mixed=600)
//   --budget s              time box per run (default 120; OCR-heavy 2×); a run stops there and
//                           its rate counts what it settled
//   --rss-check n           also: ours on embedded over n text-heavy messages, RSS first vs last 1,000
//   --profile               also: a CPU profile (node --cpu-prof) of ours on embedded text-heavy
//   --set KEY=VALUE         configuration for "ours" (repeatable), for before/after experiments
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildWorkload, DEFAULT_COUNTS } from './workloads.mjs';
import { BACKENDS, closeBackends, LATENCY_PROFILE, openBackends, prepareRun } from './lib/backends.mjs';
import { runCeiling } from './lib/ceiling.mjs';
import { profileTable, summarizeProfile } from './lib/profile.mjs';
import { chart, ratios, ratioTable, table } from './lib/report.mjs';
import { runWorker } from './lib/worker-run.mjs';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    workloads: { type: 'string' },
    backends: { type: 'string' },
    configs: { type: 'string' },
    counts: { type: 'string' },
    budget: { type: 'string' },
    'rss-check': { type: 'string' },
    profile: { type: 'boolean', default: false },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: path.join(root, 'bench', 'results') },
  },
});

const CONFIGS = {
  // Defaults: SQS_MAX_MESSAGES 10, MAX_WORKERS = cores, bulk index (100 docs / 250 ms), prefetch.
  ours: Object.fromEntries(args.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  // The seeds' old worker: one message per receive, one at a time, one index request per
  // document, no receive while a message is processed, one extraction process.
  baseline: { SQS_MAX_MESSAGES: '1', MAX_WORKERS: '1', MAX_IN_FLIGHT: '1', BULK_MAX_DOCUMENTS: '1', PREFETCH: 'false', EXTRACT_POOL_SIZE: '1' },
};
const list = (v, all, option) => {
  if (v === undefined) return all;
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0 || names.length === 0) {
    process.stderr.write(`bench: ${option} takes ${all.join(', ')} (got ${JSON.stringify(v)})\n`);
    process.exit(2);
  }
  return names;
};
const workloads = list(args.workloads, ['text-heavy', 'ocr-heavy', 'mixed'], '--workloads');
const backends = list(args.backends, BACKENDS, '--backends');
const configs = list(args.configs, ['ours', 'baseline', 'ceiling'], '--configs');
const counts = { ...(args.smoke ? { 'text-heavy': 60, 'ocr-heavy': 2, mixed: 20 } : DEFAULT_COUNTS) };
for (const kv of (args.counts ?? '').split(',').filter(Boolean)) counts[kv.split('=')[0]] = Number(kv.split('=')[1]);
const budgetS = Number(args.budget ?? (args.smoke ? 20 : 120));
const bad = [
  ...Object.entries(counts).filter(([w, n]) => !DEFAULT_COUNTS[w] || !Number.isInteger(n) || n < 1).map(([w, n]) => `--counts ${w}=${n}: a workload name and a whole number ≥ 1`),
  ...(Number.isFinite(budgetS) && budgetS > 0 ? [] : [`--budget ${args.budget}: seconds > 0`]),
  ...(args['rss-check'] === undefined || Number(args['rss-check']) >= 1000 ? [] : [`--rss-check ${args['rss-check']}: at least 1000 messages`]),
];
if (bad.length > 0) {
  process.stderr.write(`bench: ${bad.join('; ')}\n`);
  process.exit(2);
}
const budgetFor = (w) => (w === 'ocr-heavy' ? 2 : 1) * budgetS * 1000;

if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench: dist/ is missing: run `npm run build` (npm run bench does it)\n');
  process.exit(2);
}
const log = (m) => process.stderr.write(`bench: ${m}\n`);
const cacheDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'filesearch-worker', 'bench-workloads');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'filesearch-bench-'));
fs.mkdirSync(args.out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');

const results = [];
const extra = {};
const ctx = await openBackends(backends, scratch, log);
let runNo = 0;
try {
  for (const name of workloads) {
    const workload = await buildWorkload(name, path.join(cacheDir, `${name}-${counts[name]}`), { count: counts[name] });
    log(`${name}: ${workload.files.length} files, ${(workload.bytes / 1048576).toFixed(1)} MB ${JSON.stringify(workload.byCategory)}`);
    const ceilings = [];
    const ceiling = async () => {
      if (!configs.includes('ceiling')) return;
      const m = await runCeiling(workload, { budgetMs: budgetFor(name) });
      log(`  ceiling: ${m.settled} files, ${m.perMinute}/min`);
      ceilings.push(m);
    };
    await ceiling();
    for (const [i, backend] of backends.entries()) {
      // Alternate the order (ours first, then baseline first) to cancel machine drift.
      const order = configs.filter((c) => c !== 'ceiling');
      if (i % 2 === 1) order.reverse();
      for (const config of order) {
        runNo += 1;
        const runId = `bench-${stamp.slice(0, 19).toLowerCase()}-${runNo}`;
        const prepared = await prepareRun(ctx, backend, workload, runId, log);
        try {
          const m = await runWorker({ env: { ...prepared.env, ...CONFIGS[config] }, expected: workload.files.length, budgetMs: budgetFor(name) });
          const { rssBySettled: _r, ...metrics } = m;
          log(`  ${backend} ${config}: ${m.settled}/${m.expected} in ${(m.wallMs / 1000).toFixed(1)} s, ${m.perMinute}/min${Object.keys(m.failures).length ? ` failures ${JSON.stringify(m.failures)}` : ''}`);
          results.push({ workload: name, backend, config, metrics });
        } finally {
          await prepared.cleanup();
        }
      }
    }
    await ceiling();
    if (ceilings.length > 0) {
      const mean = (f) => ceilings.reduce((n, c) => n + f(c), 0) / ceilings.length;
      results.push({ workload: name, config: 'ceiling', metrics: { ...ceilings[ceilings.length - 1], perMinute: Math.round(mean((c) => c.perMinute) * 10) / 10, rounds: ceilings.map((c) => c.perMinute) } });
    }
  }

  if (args['rss-check'] !== undefined) {
    const n = Number(args['rss-check']);
    const workload = await buildWorkload('text-heavy', path.join(cacheDir, `text-heavy-${n}`), { count: n });
    const prepared = await prepareRun(ctx, 'embedded', workload, `bench-rss-${stamp.slice(0, 19).toLowerCase()}`, log);
    try {
      const m = await runWorker({ env: { ...prepared.env, ...CONFIGS.ours }, expected: n, budgetMs: 3_600_000, sampleMs: 500 });
      const window = (from, to) => m.rssBySettled.filter(([s]) => s >= from && s < to).map(([, rss]) => rss);
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const first = mean(window(0, 1000));
      const last = mean(window(n - 1000, n + 1));
      // RSS at each tenth of the run, to show the shape.
      const curve = Array.from({ length: 10 }, (_, i) => Math.round(mean(window((i * n) / 10, ((i + 1) * n) / 10)) / 1048576));
      extra.rssCheck = { messages: m.settled, perMinute: m.perMinute, firstThousandMb: Math.round(first / 1048576), lastThousandMb: Math.round(last / 1048576), changePercent: Math.round(((last - first) / first) * 1000) / 10, curveMb: curve, workerPeakMb: m.rssMb.workerPeak };
      log(`  RSS over ${m.settled} messages: first 1,000 ${extra.rssCheck.firstThousandMb} MB, last 1,000 ${extra.rssCheck.lastThousandMb} MB (${extra.rssCheck.changePercent} %)`);
    } finally {
      await prepared.cleanup();
    }
  }

  if (args.profile) {
    const workload = await buildWorkload('text-heavy', path.join(cacheDir, `text-heavy-${counts['text-heavy']}`), { count: counts['text-heavy'] });
    const dir = path.join(args.out, `profile-${stamp}`);
    const prepared = await prepareRun(ctx, 'embedded', workload, `bench-prof-${stamp.slice(0, 19).toLowerCase()}`, log);
    try {
      const m = await runWorker({ env: { ...prepared.env, ...CONFIGS.ours }, expected: workload.files.length, budgetMs: budgetFor('text-heavy'), cpuProfileDir: dir });
      const file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
      extra.profile = { file: path.relative(root, file), perMinute: m.perMinute, ...summarizeProfile(file) };
    } finally {
      await prepared.cleanup();
    }
  }
} finally {
  await closeBackends(ctx);
  fs.rmSync(scratch, { recursive: true, force: true });
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();
const machine = { cores: os.availableParallelism(), memoryGb: Math.round(os.totalmem() / 1073741824), cpu: os.cpus()[0]?.model, node: process.version, commit };
const rs = ratios(results);
const out = { date: new Date().toISOString(), machine, smoke: args.smoke, counts, budgetS, latencyProfile: LATENCY_PROFILE, oursSettings: CONFIGS.ours, results, ratios: rs, ...extra };
const base = path.join(args.out, `bench-${stamp}`);
fs.writeFileSync(`${base}.json`, `${JSON.stringify(out, null, 2)}\n`);
fs.writeFileSync(`${base}.svg`, chart(results, `filesearch bench ${out.date.slice(0, 16)} · ${machine.cores} cores · ${commit ?? ''}`));
process.stdout.write(`\n${table(results)}\n\n${ratioTable(rs)}\n`);
if (extra.rssCheck) process.stdout.write(`\nRSS over ${extra.rssCheck.messages} messages: first 1,000 ${extra.rssCheck.firstThousandMb} MB, last 1,000 ${extra.rssCheck.lastThousandMb} MB (${extra.rssCheck.changePercent} %); by tenth: ${extra.rssCheck.curveMb.join(' ')} MB\n`);
if (extra.profile) process.stdout.write(`\n${profileTable(extra.profile)}\n`);
process.stdout.write(`\nJSON ${path.relative(root, `${base}.json`)} · chart ${path.relative(root, `${base}.svg`)}\n`);
