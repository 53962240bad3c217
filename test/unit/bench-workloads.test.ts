import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload, WorkloadFile } from '../../bench/workloads.mjs';

// The benchmark workloads (bench/workloads.mjs), built small. Needs the shared corpus (FILESEARCH_CORPUS,
// else ../shared/corpus); a missing corpus fails loudly, like the rest of the suite.
const { buildWorkload, corpusDir, DEFAULT_COUNTS } = await import('../../bench/workloads.mjs');

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const corpus = corpusDir();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-workloads-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const countBy = (files: readonly WorkloadFile[], key: (f: WorkloadFile) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const f of files) out[key(f)] = (out[key(f)] ?? 0) + 1;
  return out;
};
/** Files on disk under dir, relative, `/`-separated, workload.json excluded. */
function filesOnDisk(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .filter((p) => p !== 'workload.json')
    .sort();
}
/** Corpus entries (path → notes) from MANIFEST.tsv. */
function manifest(): Map<string, string> {
  const [head, ...rows] = fs.readFileSync(path.join(corpus, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const cols = (head ?? '').split('\t');
  return new Map(rows.map((r) => r.split('\t')).map((c) => [c[cols.indexOf('path')] ?? '', c[cols.indexOf('notes')] ?? '']));
}
function expectShare(w: Workload, category: string, share: number, tolerance: number): void {
  const n = w.files.filter((f) => f.category === category).length;
  expect(Math.abs(n / w.files.length - share), `${w.name}: ${category} ${n}/${w.files.length}`).toBeLessThanOrEqual(tolerance);
}

describe('bench/workloads.mjs', () => {
  let text: Workload;
  let textAgain: Workload;
  let ocr: Workload;
  let mixed: Workload;
  let mixedAgain: Workload;
  beforeAll(async () => {
    text = await buildWorkload('text-heavy', path.join(scratch, 'text-a'), { count: 200 });
    textAgain = await buildWorkload('text-heavy', path.join(scratch, 'text-b'), { count: 200 });
    ocr = await buildWorkload('ocr-heavy', path.join(scratch, 'ocr'), { count: 12 });
    mixed = await buildWorkload('mixed', path.join(scratch, 'mixed-a'), { count: 60, seed: 7 });
    mixedAgain = await buildWorkload('mixed', path.join(scratch, 'mixed-b'), { count: 60, seed: 7 });
  });

  it('has the documented default sizes', () => {
    expect(DEFAULT_COUNTS).toEqual({ 'text-heavy': 5000, 'ocr-heavy': 12, mixed: 600 });
  });

  it('text-heavy: count, shares, folders, and the files on disk match the list', () => {
    expect(text.files).toHaveLength(200);
    expect(text.reused).toBe(false);
    expectShare(text, 'text', 0.6, 0.03);
    expectShare(text, 'pdf-text', 0.25, 0.03);
    expectShare(text, 'office', 0.15, 0.03);
    expect(text.byCategory).toEqual({ text: 120, 'pdf-text': 50, office: 30, scan: 0, image: 0 });
    expect(text.bytes).toBe(text.files.reduce((s, f) => s + f.bytes, 0));
    expect(new Set(text.files.map((f) => f.path)).size).toBe(200);
    expect(filesOnDisk(text.dir)).toEqual(text.files.map((f) => f.path).sort());
    for (const f of text.files) expect(fs.statSync(path.join(text.dir, f.path)).size).toBe(f.bytes);

    const folders = new Set(text.files.map((f) => path.posix.dirname(f.path)));
    expect(folders.size).toBeGreaterThanOrEqual(15);
    expect([...folders].some((d) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(d) && d.includes(' '))).toBe(true);

    const ext = (f: WorkloadFile): string => path.posix.extname(f.path);
    for (const f of text.files) {
      if (f.category === 'text') expect(ext(f)).toBe('.txt');
      if (f.category === 'pdf-text') expect(ext(f)).toBe('.pdf');
      if (f.category === 'office') expect(['.docx', '.xlsx', '.pptx']).toContain(ext(f));
    }
    // Text PDFs are the small ones only; text copies never the UTF-16BE STRETCH file.
    for (const f of text.files.filter((x) => x.category === 'pdf-text')) expect(f.bytes).toBeLessThan(200_000);
    const notes = manifest();
    const textCopies = text.files.filter((f) => f.category === 'text' && f.source !== undefined);
    expect(textCopies.length).toBeGreaterThan(0);
    for (const f of textCopies) expect(notes.get(f.source ?? '')).not.toMatch(/STRETCH/);
  });

  it('text-heavy: generated text is 200 B - 8 KB, in every encoding, each with its own token', () => {
    const generated = text.files.filter((f) => f.token !== undefined);
    expect(generated.length).toBeGreaterThan(100);
    expect(new Set(generated.map((f) => f.token)).size).toBe(generated.length);
    expect(Object.keys(countBy(generated, (f) => f.encoding ?? '')).sort()).toEqual(['euc-jp', 'iso-2022-jp', 'shift_jis', 'utf-8', 'utf-8-bom']);
    for (const f of generated) {
      expect(f.bytes).toBeGreaterThanOrEqual(200);
      expect(f.bytes).toBeLessThanOrEqual(8192);
    }
    const sizes = generated.map((f) => f.bytes);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeGreaterThan(2000);
  });

  it('the Shift_JIS, EUC-JP and ISO-2022-JP files really are in those encodings', () => {
    const decoders = { shift_jis: 'shift_jis', 'euc-jp': 'euc-jp', 'iso-2022-jp': 'iso-2022-jp' } as const;
    let checked = 0;
    for (const [dir, f] of [...text.files.map((x) => [text.dir, x] as const), ...mixed.files.map((x) => [mixed.dir, x] as const)]) {
      if (f.encoding === undefined || !(f.encoding in decoders)) continue;
      const bytes = fs.readFileSync(path.join(dir, f.path));
      const decoded = new TextDecoder(decoders[f.encoding as keyof typeof decoders], { fatal: true }).decode(bytes);
      expect(decoded).toContain(f.token);
      expect(decoded).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]{2}/);
      expect(decoded).not.toContain('\ufffd');
      // Not UTF-8 in disguise: legacy multi-byte Japanese is not valid UTF-8.
      if (f.encoding !== 'iso-2022-jp') expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
      else expect(bytes.every((b) => b < 0x80)).toBe(true);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(40);
    // UTF-8 ones: valid, BOM exactly where declared.
    for (const f of text.files.filter((x) => x.encoding === 'utf-8' || x.encoding === 'utf-8-bom')) {
      const bytes = fs.readFileSync(path.join(text.dir, f.path));
      const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
      expect(bom).toBe(f.encoding === 'utf-8-bom');
      expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toContain(f.token);
    }
  });

  it('corpus files are byte-identical copies', () => {
    const copies = [...text.files.map((f) => [text.dir, f] as const), ...ocr.files.map((f) => [ocr.dir, f] as const), ...mixed.files.map((f) => [mixed.dir, f] as const)].filter(
      ([, f]) => f.source !== undefined,
    );
    expect(copies.length).toBeGreaterThan(100);
    const hashes = new Map<string, string>();
    for (const [dir, f] of copies) {
      const source = f.source ?? '';
      if (!hashes.has(source)) hashes.set(source, sha(path.join(corpus, source)));
      expect(sha(path.join(dir, f.path)), f.path).toBe(hashes.get(source));
    }
  });

  it('is deterministic: the same arguments give the same list and the same bytes; another seed does not', async () => {
    const strip = (w: Workload): unknown => w.files.map((f) => ({ ...f }));
    expect(strip(textAgain)).toEqual(strip(text));
    expect(textAgain.fingerprint).toBe(text.fingerprint);
    for (const f of text.files) expect(sha(path.join(textAgain.dir, f.path)), f.path).toBe(sha(path.join(text.dir, f.path)));
    expect(strip(mixedAgain)).toEqual(strip(mixed));
    for (const f of mixed.files.slice(0, 30)) expect(sha(path.join(mixedAgain.dir, f.path))).toBe(sha(path.join(mixed.dir, f.path)));

    const other = await buildWorkload('text-heavy', path.join(scratch, 'text-seed2'), { count: 200, seed: 2 });
    expect(other.fingerprint).not.toBe(text.fingerprint);
    expect(other.files.map((f) => f.path)).not.toEqual(text.files.map((f) => f.path));
    expect(other.byCategory).toEqual(text.byCategory);
  });

  it('reuses a matching folder without rewriting it, and rebuilds one with other parameters', async () => {
    const dir = path.join(scratch, 'reuse');
    const first = await buildWorkload('text-heavy', dir, { count: 200 });
    const sample = [path.join(dir, 'workload.json'), ...first.files.filter((_, i) => i % 20 === 0).map((f) => path.join(dir, f.path))];
    const past = new Date(Date.now() - 3_600_000);
    for (const f of sample) fs.utimesSync(f, past, past);
    const mtimes = sample.map((f) => fs.statSync(f).mtimeMs);

    const started = performance.now();
    const second = await buildWorkload('text-heavy', dir, { count: 200 });
    const ms = performance.now() - started;
    expect(second.reused).toBe(true);
    expect(ms).toBeLessThan(2000);
    expect(second.files).toEqual(first.files);
    expect(sample.map((f) => fs.statSync(f).mtimeMs)).toEqual(mtimes);

    // A damaged folder (a file gone) is rebuilt, not trusted.
    fs.rmSync(path.join(dir, first.files[3]?.path ?? ''));
    const repaired = await buildWorkload('text-heavy', dir, { count: 200 });
    expect(repaired.reused).toBe(false);
    expect(filesOnDisk(dir)).toHaveLength(200);

    // Other parameters: wiped and rebuilt, nothing left over from before.
    const smaller = await buildWorkload('text-heavy', dir, { count: 50, seed: 3 });
    expect(smaller.reused).toBe(false);
    expect(filesOnDisk(dir)).toEqual(smaller.files.map((f) => f.path).sort());
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'workload.json'), 'utf8'));
    expect(json).toMatchObject({ name: 'text-heavy', count: 50, seed: 3, status: 'complete', fingerprint: smaller.fingerprint });
  });

  it('refuses to wipe a folder that is not a workload, or to build inside the repository', async () => {
    const foreign = path.join(scratch, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'keep.txt'), 'mine');
    await expect(buildWorkload('ocr-heavy', foreign)).rejects.toThrow(/refusing/);
    expect(fs.readdirSync(foreign)).toEqual(['keep.txt']);

    fs.writeFileSync(path.join(foreign, 'workload.json'), '{"something":"else"}');
    await expect(buildWorkload('ocr-heavy', foreign)).rejects.toThrow(/not one of ours/);
    expect(fs.readdirSync(foreign).sort()).toEqual(['keep.txt', 'workload.json']);

    const inRepo = path.join(repoRoot, 'bench', `workload-test-${process.pid}`);
    await expect(buildWorkload('ocr-heavy', inRepo)).rejects.toThrow(/repository/);
    expect(fs.existsSync(inRepo)).toBe(false);

    await expect(buildWorkload('nope' as 'mixed', path.join(scratch, 'x'))).rejects.toThrow(/unknown workload/);
    await expect(buildWorkload('mixed', path.join(scratch, 'x'), { count: 0 })).rejects.toThrow(/count/);
  });

  it('ocr-heavy: every image and scanned PDF once before any repeats, the handwritten STRETCH included', () => {
    expect(ocr.files).toHaveLength(12);
    expect(new Set(ocr.files.map((f) => f.path)).size).toBe(12);
    const sources = [...manifest().keys()].filter((p) => p.startsWith('images/') || p.startsWith('pdf-scanned/')).sort();
    expect(sources.length).toBe(10);
    expect(ocr.files.slice(0, sources.length).map((f) => f.source).sort()).toEqual(sources);
    expect(ocr.files.map((f) => f.source)).toContain('images/ndl_tategaki2026-04-24-094138.png');
    for (const f of ocr.files) expect(f.category).toBe(f.source?.startsWith('images/') ? 'image' : 'scan');
    expect(ocr.byCategory.scan + ocr.byCategory.image).toBe(12);
    expect(ocr.byCategory.scan).toBeGreaterThan(0);
    expect(ocr.byCategory.image).toBeGreaterThan(0);
  });

  it('mixed: 45 % text PDFs (large ones too), 30 % Office, 15 % text/CSV, 10 % scans and images', () => {
    expect(mixed.files).toHaveLength(60);
    expectShare(mixed, 'pdf-text', 0.45, 0.04);
    expectShare(mixed, 'office', 0.3, 0.04);
    expectShare(mixed, 'text', 0.15, 0.04);
    expect(Math.abs((mixed.byCategory.scan + mixed.byCategory.image) / 60 - 0.1)).toBeLessThanOrEqual(0.04);
    expect(mixed.byCategory.scan).toBeGreaterThan(0);
    expect(mixed.byCategory.image).toBeGreaterThan(0);
    expect(mixed.files.some((f) => f.category === 'pdf-text' && f.bytes > 200_000)).toBe(true);
    expect(mixed.files.some((f) => f.path.endsWith('.csv'))).toBe(true);
    expect(mixed.files.some((f) => f.category === 'text' && f.source !== undefined)).toBe(true);
  });

  it('corpusDir: an explicit folder or FILESEARCH_CORPUS that is not a corpus is a clear error', () => {
    expect(fs.existsSync(path.join(corpus, 'MANIFEST.tsv'))).toBe(true);
    expect(corpusDir(corpus)).toBe(path.resolve(corpus));
    expect(() => corpusDir(scratch)).toThrow(/MANIFEST\.tsv/);
    const saved = process.env['FILESEARCH_CORPUS'];
    try {
      process.env['FILESEARCH_CORPUS'] = scratch;
      expect(() => corpusDir()).toThrow(/FILESEARCH_CORPUS/);
      expect(corpusDir(corpus)).toBe(path.resolve(corpus));
    } finally {
      if (saved === undefined) delete process.env['FILESEARCH_CORPUS'];
      else process.env['FILESEARCH_CORPUS'] = saved;
    }
  });
});
