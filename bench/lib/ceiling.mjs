// The ceiling: the extractors alone on the same files, every core busy — no queue, no download,
// no index. Type detection (magic bytes) and extraction through the same pool the worker uses.
import path from 'node:path';
import { ExtractionPool } from '../../dist/adapters/extract/pool/extraction-pool.js';
import { MagicTypeDetector } from '../../dist/adapters/extract/type-detector.js';
import { extractionSettings, loadConfigFromProcess } from '../../dist/config/config.js';
import { cores, machineCpu, sampleTree } from './proc.mjs';
import { percentiles } from './stats.mjs';

export async function runCeiling(workload, { budgetMs }) {
  const config = loadConfigFromProcess();
  const settings = extractionSettings(config);
  const pool = new ExtractionPool({ settings, size: cores, memoryMb: config.EXTRACT_MEMORY_MB });
  const detector = new MagicTypeDetector();
  const files = workload.files;
  // Warm the children as a long-running worker has them (untimed).
  await Promise.all(files.slice(0, cores).map((f) => extractOne(pool, detector, workload.dir, f).catch(() => undefined)));
  const samples = [];
  const timer = setInterval(() => samples.push({ ...sampleTree(process.pid), machine: machineCpu() }), 250);
  const started = Date.now();
  const deadline = started + budgetMs;
  const times = [];
  let done = 0;
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (next < files.length && Date.now() < deadline) {
        const f = files[next++];
        const t = Date.now();
        try {
          await extractOne(pool, detector, workload.dir, f);
        } catch {
          failed += 1;
        }
        times.push(Date.now() - t);
        done += 1;
      }
    }),
  );
  const wallMs = Math.max(1, Date.now() - started);
  clearInterval(timer);
  await pool.close();
  const first = samples[0];
  const last = samples[samples.length - 1];
  const span = first && last ? Math.max(0.001, (last.at - first.at) / 1000) : 0.001;
  const tree = first && last ? (last.cpuSeconds - first.cpuSeconds) / span : 0;
  const machine = first && last ? (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total) : 0;
  const mb = (b) => Math.round((b / 1048576) * 10) / 10;
  return {
    settled: done,
    expected: files.length,
    complete: done >= files.length,
    failed,
    wallMs,
    perMinute: Math.round((done / wallMs) * 60_000 * 10) / 10,
    latencyMs: percentiles(times),
    cpu: { workerTreeCores: Math.round(tree * 100) / 100, workerTreePercent: Math.round((tree / cores) * 1000) / 10, machinePercent: Math.round(machine * 1000) / 10 },
    rssMb: { workerPeak: mb(Math.max(0, ...samples.map((s) => s.workerRss))), extractionPeak: mb(Math.max(0, ...samples.map((s) => s.childRss))) },
  };
}

async function extractOne(pool, detector, dir, f) {
  const file = path.join(dir, f.path);
  const extension = path.extname(file).slice(1).toLowerCase();
  const type = await detector.detect(file, extension);
  return pool.extract({ path: file, fileName: path.basename(file), extension, size: f.bytes, type });
}
