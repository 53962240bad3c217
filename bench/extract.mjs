#!/usr/bin/env node
// `npm run bench:extract [-- --repeat 3 --pool-size n --only text,pdf-text]`: what the extraction
// pool costs. Over the corpus (FILESEARCH_CORPUS, else ../shared/corpus), every file but broken/ is
// extracted (a) through the ExtractionPool (EXTRACT_POOL_SIZE children, default one per core) and
// (b) by the raw tools alone, as many at a time as there are cores: pdftotext for text PDFs,
// pdftoppm + tesseract for scans, tesseract for images, unzip -p of the XML for Office, a plain
// read for text. Rounds alternate a/b and b/a to cancel drift. Prints a table and writes JSON to
// bench/results/extract-<timestamp>.json. Needs `npm run build` first (the npm script does it).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ExtractionPool } from '../dist/adapters/extract/pool/extraction-pool.js';
import { MagicTypeDetector } from '../dist/adapters/extract/type-detector.js';
import { extractionSettings, loadConfigFromProcess } from '../dist/config/config.js';

const CATEGORIES = ['text', 'pdf-text', 'pdf-scanned', 'images', 'office'];
const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    'pool-size': { type: 'string' },
    only: { type: 'string' },
    corpus: { type: 'string' },
  },
});
const repeat = Math.max(1, Number.parseInt(args.repeat, 10) || 3);
const corpus = [args.corpus, process.env.FILESEARCH_CORPUS, path.resolve(root, '..', 'shared', 'corpus'), '/work/shared/corpus'].find(
  (dir) => dir !== undefined && fs.existsSync(path.join(dir, 'MANIFEST.tsv')),
);
if (corpus === undefined) {
  process.stderr.write('bench:extract: no corpus (a folder with MANIFEST.tsv); set FILESEARCH_CORPUS or pass --corpus <dir>\n');
  process.exit(2);
}
const categories = args.only === undefined ? CATEGORIES : args.only.split(',').filter((c) => CATEGORIES.includes(c));
const config = loadConfigFromProcess();
const settings = extractionSettings(config);
const poolSize = args['pool-size'] === undefined ? config.EXTRACT_POOL_SIZE : Number.parseInt(args['pool-size'], 10);
const rawConcurrency = os.availableParallelism();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-extract-'));
// One tesseract thread per process: the raw side runs one process per core, like the pool.
const rawEnv = { ...process.env, OMP_THREAD_LIMIT: '1' };

function run(file, argv, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 512 * 1024 * 1024, env: rawEnv, encoding: 'buffer', ...options }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

let pageDirs = 0;
/** The raw tools alone for one file; resolves to the number of bytes of text they produced. */
async function raw(category, file) {
  switch (category) {
    case 'text':
      return (await fs.promises.readFile(file)).length;
    case 'pdf-text':
      return (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).length;
    case 'images':
      return (await run('tesseract', [file, '-', '-l', settings.ocr.languages])).length;
    case 'office':
      return (await run('unzip', ['-p', file, '*.xml'])).length;
    case 'pdf-scanned': {
      const dir = path.join(scratch, `pages-${(pageDirs += 1)}`);
      fs.mkdirSync(dir);
      try {
        await run('pdftoppm', ['-r', String(settings.ocr.dpi), '-png', file, path.join(dir, 'p')]);
        let bytes = 0;
        for (const page of fs.readdirSync(dir).sort()) bytes += (await run('tesseract', [path.join(dir, page), '-', '-l', settings.ocr.languages])).length;
        return bytes;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    default:
      throw new Error(`unknown category ${category}`);
  }
}

/** Runs `work` over items, `limit` at a time; returns wall-clock ms and per-item outcomes. */
async function timed(items, limit, work) {
  const outcomes = new Array(items.length);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      outcomes[i] = await work(items[i]).then(
        (value) => ({ ok: true, value }),
        (err) => ({ ok: false, error: err.code ?? err.message }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return { ms: performance.now() - started, outcomes };
}

const detector = new MagicTypeDetector();
const inputs = {};
for (const category of categories) {
  const dir = path.join(corpus, category);
  const names = fs.readdirSync(dir).filter((n) => fs.statSync(path.join(dir, n)).isFile()).sort();
  inputs[category] = await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const extension = path.extname(name).slice(1).toLowerCase();
      return { path: file, fileName: name, extension, size: fs.statSync(file).size, type: await detector.detect(file, extension) };
    }),
  );
}

const pool = new ExtractionPool({ settings, size: poolSize, memoryMb: config.EXTRACT_MEMORY_MB });
const results = Object.fromEntries(categories.map((c) => [c, { files: inputs[c].length, poolMs: [], rawMs: [], pool: undefined, raw: undefined }]));
const modes = {
  // All files at once: the pool queues what its children cannot take yet.
  pool: (category) => timed(inputs[category], inputs[category].length, (input) => pool.extract(input)),
  raw: (category) => timed(inputs[category], rawConcurrency, (input) => raw(category, input.path)),
};

try {
  // Untimed: start the children and load their extractors, as a long-running worker has.
  await timed(inputs.text ?? [], poolSize * 2, (input) => pool.extract(input));
  process.stderr.write(`bench:extract: ${corpus}, pool of ${poolSize}, raw ${rawConcurrency} at a time, ${repeat} round(s)\n`);
  for (let round = 0; round < repeat; round += 1) {
    const order = round % 2 === 0 ? ['pool', 'raw'] : ['raw', 'pool'];
    for (const mode of order) {
      for (const category of categories) {
        const { ms, outcomes } = await modes[mode](category);
        results[category][`${mode}Ms`].push(ms);
        results[category][mode] ??= outcomes;
        process.stderr.write(`  round ${round + 1} ${mode.padEnd(4)} ${category.padEnd(11)} ${(ms / 1000).toFixed(2)} s\n`);
      }
    }
  }
} finally {
  await pool.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const rate = (files, ms) => (files * ms.length * 1000) / sum(ms);
/** What the pool actually did for a category: OCR, metadata only, failures. */
function poolDid(outcomes) {
  const ok = outcomes.filter((o) => o.ok).map((o) => o.value);
  const parts = [];
  const ocr = ok.filter((e) => e.ocrUsed).length;
  const meta = ok.filter((e) => e.metadataOnly).length;
  const empty = ok.filter((e) => !e.metadataOnly && e.text.trim() === '').length;
  if (ocr > 0) parts.push(`ocr ${ocr}`);
  if (meta > 0) parts.push(`metadata-only ${meta}`);
  if (empty > 0) parts.push(`no text ${empty}`);
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) parts.push(`failed ${failed.length} (${[...new Set(failed.map((f) => f.error))].join(',')})`);
  return parts.join(', ') || 'text';
}

const rows = categories.map((c) => {
  const r = results[c];
  const poolRate = rate(r.files, r.poolMs);
  const rawRate = rate(r.files, r.rawMs);
  const rawFailed = r.raw.filter((o) => !o.ok).length;
  return { category: c, files: r.files, poolFilesPerSec: poolRate, rawFilesPerSec: rawRate, ratio: poolRate / rawRate, poolDid: poolDid(r.pool), rawFailed, poolMs: r.poolMs, rawMs: r.rawMs };
});
const totalFiles = sum(rows.map((r) => r.files));
const totalPoolMs = sum(rows.map((r) => sum(r.poolMs)));
const totalRawMs = sum(rows.map((r) => sum(r.rawMs)));
const total = { category: 'total', files: totalFiles, poolFilesPerSec: (totalFiles * repeat * 1000) / totalPoolMs, rawFilesPerSec: (totalFiles * repeat * 1000) / totalRawMs };
total.ratio = total.poolFilesPerSec / total.rawFilesPerSec;

const fmt = (n) => n.toFixed(2).padStart(10);
const lines = [
  `${'category'.padEnd(12)}${'files'.padStart(6)}${'pool f/s'.padStart(10)}${'raw f/s'.padStart(10)}${'pool/raw'.padStart(10)}   pool did`,
  ...[...rows, total].map((r) => `${r.category.padEnd(12)}${String(r.files).padStart(6)}${fmt(r.poolFilesPerSec)}${fmt(r.rawFilesPerSec)}${fmt(r.ratio)}   ${r.poolDid ?? ''}${r.rawFailed ? ` (raw failed ${r.rawFailed})` : ''}`),
];
process.stdout.write(`\n${lines.join('\n')}\n`);

const report = {
  at: new Date().toISOString(),
  corpus,
  repeat,
  poolSize,
  rawConcurrency,
  settings,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
  poolStats: pool.stats(),
  rows,
  total,
};
const outDir = path.join(root, 'bench', 'results');
fs.mkdirSync(outDir, { recursive: true });
const out = path.join(outDir, `extract-${report.at.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwritten ${path.relative(root, out)}\n`);
