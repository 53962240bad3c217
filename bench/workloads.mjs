#!/usr/bin/env node
// Deterministic benchmark workloads: `node bench/workloads.mjs <name> <dir> [--count n] [--seed s] [--corpus dir]`.
// Builds a folder of files to index from the shared public corpus (FILESEARCH_CORPUS, else ../shared/corpus,
// as bench/extract.mjs resolves it) plus generated Japanese/English business text. Corpus files are only ever
// copied into the output folder given at run time, never into this repository (such a folder is refused).
//
//   text-heavy (default 5,000)  60 % .txt (55 % generated: UTF-8, UTF-8+BOM, Shift_JIS, EUC-JP, ISO-2022-JP;
//                               5 % copies of corpus text/), 25 % small text PDFs (< 200 KB), 15 % Office
//   ocr-heavy  (default 12)     corpus images/ + pdf-scanned/, round-robin; the first 10 cover every source
//   mixed      (default 600)    45 % text PDFs (all sizes), 30 % Office, 15 % text/CSV, 10 % scans and images
//
// Same name + count + seed + corpus content → byte-identical files. `<dir>/workload.json` records the
// parameters, a fingerprint and the file list; a second call with the same parameters reuses the folder
// without writing anything. Only a folder that is empty or holds one of our workload.json files is ever wiped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, TextDecoder } from 'node:util';
import { checkVocabulary, CSV_ENCODING_CYCLE, CSV_KINDS, ENCODERS, generateDocument, TEXT_KINDS, TXT_ENCODING_CYCLE } from './lib/business-text.mjs';
import { apportion, rng } from './lib/prng.mjs';
import pLimit from 'p-limit';

const GENERATOR = 'filesearch-worker bench/workloads.mjs';
/** Bump when the generated content or the layout changes: it invalidates every existing workload folder. */
const GENERATOR_VERSION = 1;
const MANIFEST_NAME = 'workload.json';
const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const CONCURRENCY = 16;
const MAX_COUNT = 1_000_000;
/** "Small" text PDFs for text-heavy: below this many bytes (drops pdfjs_issue8570 and tracemonkey). */
const SMALL_PDF_BYTES = 200_000;

export const DEFAULT_COUNTS = Object.freeze({ 'text-heavy': 5000, 'ocr-heavy': 12, mixed: 600 });
export const CATEGORIES = Object.freeze(['text', 'pdf-text', 'office', 'scan', 'image']);

// ---------------------------------------------------------------------------------------------
// Corpus

/**
 * The corpus folder (one with MANIFEST.tsv): `explicit`, else FILESEARCH_CORPUS, else ../shared/corpus
 * next to the repo, else /work/shared/corpus. An explicit folder or FILESEARCH_CORPUS that is not a
 * corpus is an error (never silently replaced by another corpus); so is finding none.
 */
export function corpusDir(explicit) {
  const isCorpus = (dir) => fs.existsSync(path.join(dir, 'MANIFEST.tsv'));
  for (const [what, dir] of [
    ['the corpus option', explicit],
    ['FILESEARCH_CORPUS', process.env.FILESEARCH_CORPUS],
  ]) {
    if (dir === undefined || dir === '') continue;
    if (!isCorpus(dir)) throw new Error(`bench workloads: ${what} is ${dir}, which has no MANIFEST.tsv (not a corpus folder)`);
    return path.resolve(dir);
  }
  const found = [path.resolve(REPO_ROOT, '..', 'shared', 'corpus'), '/work/shared/corpus'].find(isCorpus);
  if (found === undefined) {
    throw new Error(
      'bench workloads: no corpus found (a folder with MANIFEST.tsv); set FILESEARCH_CORPUS or pass { corpus } / --corpus <dir>',
    );
  }
  return found;
}

/** The manifest's usable entries (never broken/), checked against the files on disk, with their real size and hash. */
function loadCorpus(dir) {
  const lines = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split('\t');
  const col = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`bench workloads: ${dir}/MANIFEST.tsv has no "${name}" column`);
    return i;
  };
  const [iPath, iNotes] = [col('path'), col('notes')];
  const entries = [];
  const missing = [];
  for (const line of lines) {
    const cells = line.split('\t');
    const rel = cells[iPath] ?? '';
    const folder = rel.split('/')[0];
    if (!['text', 'pdf-text', 'pdf-scanned', 'images', 'office'].includes(folder)) continue;
    const abs = path.join(dir, rel);
    if (!fs.existsSync(abs)) {
      missing.push(rel);
      continue;
    }
    const content = fs.readFileSync(abs);
    entries.push({
      path: rel,
      folder,
      abs,
      bytes: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
      stretch: /\bSTRETCH\b/.test(cells[iNotes] ?? ''),
    });
  }
  if (missing.length > 0) throw new Error(`bench workloads: corpus ${dir} is incomplete, missing: ${missing.join(', ')}`);
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return entries;
}

function pools(entries) {
  const byFolder = (folder, keep = () => true) => entries.filter((e) => e.folder === folder && keep(e));
  const p = {
    // The UTF-16BE-without-BOM file is a STRETCH case outside the declared encodings: not in workloads.
    text: byFolder('text', (e) => !e.stretch),
    pdfSmall: byFolder('pdf-text', (e) => e.bytes < SMALL_PDF_BYTES),
    pdfAll: byFolder('pdf-text'),
    office: byFolder('office', (e) => /\.(docx|xlsx|pptx)$/i.test(e.path)),
    // Everything OCR needs, the handwritten STRETCH image included (a realistic hard case).
    scans: byFolder('pdf-scanned'),
    images: byFolder('images'),
  };
  for (const [name, list] of Object.entries(p)) {
    if (list.length === 0) throw new Error(`bench workloads: the corpus has no files for "${name}"`);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Layout

/** ~20 folders, some Japanese, some with spaces, some nested. */
const FOLDERS = ['議事録 2026', '議事録 2025', '見積書', '請求書/2026年度', '営業部/顧客資料', '営業部/提案書', '経理', '総務部/お知らせ', '人事 評価', '技術資料/設計書', '技術資料/manuals', 'projects/alpha', 'projects/文書検索', 'reports 2025', 'minutes', 'スキャン', 'shared docs', '社内報', 'archive/old files', 'misc'];
const OCR_FOLDERS = ['スキャン/2026 受領分', 'スキャン/契約書', '画像 資料', 'scans/inbox'];
/** Copies get a realistic prefix now and then (Windows "コピー - ", confidentiality marks). */
const COPY_PREFIXES = ['', '', '', '', '【社外秘】', 'コピー - ', '最新版_', '送付用 '];

const CATEGORY_OF_FOLDER = { text: 'text', 'pdf-text': 'pdf-text', office: 'office', 'pdf-scanned': 'scan', images: 'image' };

/**
 * Slot kinds per workload and their shares of the file count.
 * The "mixed" shares: the seeds (../shared/seeds/, the user's documents) and ../shared/SPEC.md name the
 * formats (text PDFs, scans, images, Office, text in many encodings) but state no share of each anywhere,
 * so these are the brief's stated fallback: 45 % text PDFs, 30 % Office, 15 % text/CSV, 10 % scans and images.
 */
const PLANS = {
  'text-heavy': { 'gen-txt': 0.55, 'copy-text': 0.05, 'copy-pdf-small': 0.25, 'copy-office': 0.15 },
  'ocr-heavy': { 'copy-ocr': 1 },
  mixed: { 'copy-pdf-all': 0.45, 'copy-office': 0.3, 'gen-txt': 0.06, 'gen-csv': 0.06, 'copy-text': 0.03, 'copy-ocr': 0.1 },
};

function plan(name, count, seed, p) {
  const counts = apportion(count, PLANS[name]);
  const slotRng = rng(name, seed, 'slots');
  // ocr-heavy keeps its list in round-robin order; the others interleave their kinds.
  const kinds = Object.entries(counts).flatMap(([kind, n]) => Array.from({ length: n }, () => kind));
  const slots = name === 'ocr-heavy' ? kinds : slotRng.shuffle(kinds);
  // The sources of each copy kind, in a seeded order, used round-robin: the first n copies of a kind
  // cover all n sources before any repeats. For ocr-heavy, images and scans alternate.
  const interleave = (a, b) => Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [a[i], b[i]]).flat().filter(Boolean);
  const sources = {
    'copy-text': slotRng.shuffle(p.text),
    'copy-pdf-small': slotRng.shuffle(p.pdfSmall),
    'copy-pdf-all': slotRng.shuffle(p.pdfAll),
    'copy-office': slotRng.shuffle(p.office),
    'copy-ocr': interleave(slotRng.shuffle(p.images), slotRng.shuffle(p.scans)),
  };
  const used = {};
  const width = Math.max(6, String(count).length);
  return slots.map((kind, index) => {
    const n = String(index + 1).padStart(width, '0');
    const r = rng(name, seed, index, 'layout');
    const folder = name === 'ocr-heavy' ? r.pick(OCR_FOLDERS) : r.pick(FOLDERS);
    if (kind === 'gen-txt' || kind === 'gen-csv') {
      const k = (used[kind] = (used[kind] ?? 0) + 1) - 1;
      const encoding = kind === 'gen-txt' ? TXT_ENCODING_CYCLE[k % TXT_ENCODING_CYCLE.length] : CSV_ENCODING_CYCLE[k % CSV_ENCODING_CYCLE.length];
      return { kind, index, folder, n, token: `tok-${n}`, encoding, ext: kind === 'gen-txt' ? 'txt' : 'csv' };
    }
    const list = sources[kind];
    const k = (used[kind] = (used[kind] ?? 0) + 1) - 1;
    const source = list[k % list.length];
    const base = path.posix.basename(source.path);
    const ext = path.posix.extname(base);
    const relPath = `${folder}/${r.pick(COPY_PREFIXES)}${base.slice(0, -ext.length)}_${n}${ext}`;
    return { kind, index, path: relPath, category: CATEGORY_OF_FOLDER[source.folder], source };
  });
}

/** Writes one planned file; returns its entry for workload.json. */
async function materialise(name, seed, dir, slot) {
  if (slot.source !== undefined) {
    await fs.promises.copyFile(slot.source.abs, path.join(dir, slot.path));
    return { path: slot.path, category: slot.category, bytes: slot.source.bytes, source: slot.source.path };
  }
  const kinds = slot.kind === 'gen-csv' ? CSV_KINDS : TEXT_KINDS;
  const { stem, content } = generateDocument(kinds, name, seed, slot.index, slot.token, slot.encoding);
  const rel = `${slot.folder}/${stem}_${slot.n}.${slot.ext}`;
  if (slot.encoding !== 'utf-8' && slot.encoding !== 'utf-8-bom') {
    // Cheap guard (native decoder): what we wrote is valid in the encoding we claim.
    new TextDecoder(ENCODERS[slot.encoding].decoder, { fatal: true }).decode(content);
  }
  await fs.promises.writeFile(path.join(dir, rel), content);
  return { path: rel, category: 'text', bytes: content.length, encoding: slot.encoding, token: slot.token };
}

/** `fn` over `items`, at most `limit` at a time (p-limit), results in order. */
function runLimited(items, limit, fn) {
  const limited = pLimit(limit);
  return Promise.all(items.map((item, i) => limited(() => fn(item, i))));
}

// ---------------------------------------------------------------------------------------------
// The output folder

function isInside(child, parent) {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `dir`, resolving its nearest existing ancestor (dir itself may not exist yet). */
function realish(dir) {
  let existing = dir;
  const rest = [];
  while (!fs.existsSync(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

function readOurManifest(dir) {
  const file = path.join(dir, MANIFEST_NAME);
  if (!fs.existsSync(file)) return undefined;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    return json !== null && typeof json === 'object' && json.generator === GENERATOR ? json : null;
  } catch {
    return null;
  }
}

async function stillIntact(dir, manifest) {
  const ok = await runLimited(manifest.files, 64, async (f) => {
    try {
      return (await fs.promises.stat(path.join(dir, f.path))).size === f.bytes;
    } catch {
      return false;
    }
  });
  return ok.every(Boolean);
}

function summary(manifest, dir, reused) {
  return { name: manifest.name, dir, files: manifest.files, bytes: manifest.bytes, byCategory: manifest.byCategory, count: manifest.count, seed: manifest.seed, fingerprint: manifest.fingerprint, reused };
}

/**
 * Builds (or reuses, when `<dir>/workload.json` matches the same name + count + seed + corpus fingerprint)
 * a workload into `dir`. Returns { name, dir, files: [{ path, category, bytes, source?, encoding?, token? }],
 * bytes, byCategory, count, seed, fingerprint, reused }.
 */
export async function buildWorkload(name, dir, { count, seed = 1, corpus } = {}) {
  if (!Object.hasOwn(DEFAULT_COUNTS, name)) throw new Error(`bench workloads: unknown workload "${name}" (one of ${Object.keys(DEFAULT_COUNTS).join(', ')})`);
  const n = count ?? DEFAULT_COUNTS[name];
  if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT) throw new Error(`bench workloads: count must be an integer from 1 to ${MAX_COUNT}, got ${count}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`bench workloads: seed must be an integer from 0 to 2^32-1, got ${seed}`);
  if (typeof dir !== 'string' || dir === '') throw new Error('bench workloads: an output folder is required');
  const corpusPath = corpusDir(corpus);
  const out = realish(path.resolve(dir));
  if (isInside(out, realish(REPO_ROOT)) || isInside(realish(REPO_ROOT), out)) {
    throw new Error(`bench workloads: refusing to build into ${out}: corpus files must never be copied into the repository; pick a folder outside it (e.g. under /tmp)`);
  }
  if (isInside(out, fs.realpathSync(corpusPath)) || isInside(fs.realpathSync(corpusPath), out)) {
    throw new Error(`bench workloads: refusing to build into ${out}: it overlaps the corpus`);
  }

  const entries = loadCorpus(corpusPath);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ generator: GENERATOR, version: GENERATOR_VERSION, name, count: n, seed, corpus: entries.map((e) => [e.path, e.sha256]) }))
    .digest('hex');

  const existing = fs.existsSync(out) ? readOurManifest(out) : undefined;
  if (existing === null) throw new Error(`bench workloads: ${out}/${MANIFEST_NAME} is not one of ours; refusing to touch that folder`);
  if (existing !== undefined) {
    if (existing.status === 'complete' && existing.fingerprint === fingerprint && existing.name === name && existing.count === n && existing.seed === seed && (await stillIntact(out, existing))) {
      return summary(existing, out, true);
    }
    // Ours, but other parameters (or an interrupted / damaged build): wipe its contents.
    for (const entry of fs.readdirSync(out)) fs.rmSync(path.join(out, entry), { recursive: true, force: true });
  } else if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new Error(`bench workloads: ${out} exists and is not a folder`);
    if (fs.readdirSync(out).length > 0) throw new Error(`bench workloads: ${out} is not empty and has no ${MANIFEST_NAME}; refusing to wipe a folder that is not a workload`);
  }
  fs.mkdirSync(out, { recursive: true });

  const base = { generator: GENERATOR, version: GENERATOR_VERSION, name, count: n, seed, fingerprint, corpus: corpusPath };
  // Mark the folder as ours before writing anything, so an interrupted build can be wiped next time.
  fs.writeFileSync(path.join(out, MANIFEST_NAME), `${JSON.stringify({ ...base, status: 'building' }, null, 2)}\n`);
  checkVocabulary();
  const slots = plan(name, n, seed, pools(entries));
  const folders = new Set(slots.map((s) => s.folder ?? path.posix.dirname(s.path)));
  for (const folder of folders) fs.mkdirSync(path.join(out, folder), { recursive: true });
  const files = await runLimited(slots, CONCURRENCY, (slot) => materialise(name, seed, out, slot));

  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
  let bytes = 0;
  for (const f of files) {
    byCategory[f.category] += 1;
    bytes += f.bytes;
  }
  const manifest = { ...base, status: 'complete', bytes, byCategory, files };
  const tmp = path.join(out, `.${MANIFEST_NAME}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
  fs.renameSync(tmp, path.join(out, MANIFEST_NAME));
  return summary(manifest, out, false);
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { count: { type: 'string' }, seed: { type: 'string' }, corpus: { type: 'string' } },
  });
  const [name, dir] = positionals;
  if (name === undefined || dir === undefined || positionals.length > 2) {
    process.stderr.write(`usage: node bench/workloads.mjs <${Object.keys(DEFAULT_COUNTS).join('|')}> <dir> [--count n] [--seed s] [--corpus dir]\n`);
    process.exit(2);
  }
  const num = (v) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : Number.NaN);
  const started = performance.now();
  const w = await buildWorkload(name, dir, { count: num(values.count), seed: num(values.seed) ?? 1, corpus: values.corpus });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const cats = Object.entries(w.byCategory)
    .map(([c, k]) => `${c} ${k}`)
    .join(', ');
  console.log(`${w.name}: ${w.files.length} files, ${(w.bytes / 1e6).toFixed(1)} MB (${cats}) in ${w.dir}, ${w.reused ? 'reused' : 'built'} in ${seconds} s`);
}

if (process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
