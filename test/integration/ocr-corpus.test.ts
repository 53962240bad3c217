import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageExtractor } from '../../src/adapters/extract/ocr/image-extractor.js';
import { ScannedPdfOcr } from '../../src/adapters/extract/ocr/scanned-pdf.js';
import { detectOcrCapabilities } from '../../src/adapters/extract/ocr/tesseract.js';
import { PdfExtractor } from '../../src/adapters/extract/pdf-extractor.js';
import { DEFAULT_EXTRACTION_SETTINGS, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { normalizeText } from '../../src/domain/text.js';
import type { Extraction } from '../../src/ports/extractor.port.js';
import { corpusRoot } from '../support/cli.js';

interface Row {
  readonly file: string;
  readonly snippet: string;
  readonly stretch: boolean;
}

const rows: Row[] = readFileSync(path.join(corpusRoot, 'MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .map((cols) => ({ file: cols[0] ?? '', snippet: cols[7] ?? '', stretch: (cols[8] ?? '').startsWith('STRETCH') }))
  .filter((r) => r.file.startsWith('images/') || r.file.startsWith('pdf-scanned/'));

const squash = (s: string): string => normalizeText(s).replace(/\s+/gu, '');
const settings = DEFAULT_EXTRACTION_SETTINGS;
const registry = new ExtractorRegistry([
  new PdfExtractor({ engine: 'poppler', timeoutMs: settings.timeoutMs, maxPages: settings.maxPages, ocr: new ScannedPdfOcr(settings) }),
  new ImageExtractor(settings),
]);
const detector = new MagicTypeDetector();

interface Outcome {
  readonly result: Extraction;
  readonly ms: number;
  readonly found: boolean;
  /** Files left in the input's folder besides the input itself. */
  readonly leftovers: readonly string[];
}

const outcomes = new Map<string, Outcome>();
let scratch: string;

/** Like the worker: the object is copied into a private folder, which OCR may use for rendered pages. */
async function extract(row: Row): Promise<Outcome> {
  const dir = await mkdtemp(path.join(scratch, 'f-'));
  const file = path.join(dir, path.basename(row.file));
  await copyFile(path.join(corpusRoot, row.file), file);
  const extension = path.extname(file).slice(1).toLowerCase();
  const type = await detector.detect(file, extension);
  const started = performance.now();
  const result = await registry.extract({ path: file, fileName: path.basename(file), extension, size: (await stat(file)).size, type });
  const ms = performance.now() - started;
  const leftovers = (await readdir(dir)).filter((f) => f !== path.basename(file));
  return { result, ms, found: squash(result.text).includes(squash(row.snippet)), leftovers };
}

beforeAll(async () => {
  expect(rows.length, 'no images/ or pdf-scanned/ rows in MANIFEST.tsv').toBeGreaterThanOrEqual(10);
  const caps = await detectOcrCapabilities();
  expect(caps.available, caps.reason).toBe(true);
  expect(caps.languages).toEqual(expect.arrayContaining(['jpn', 'jpn_vert', 'eng', 'osd']));
  scratch = await mkdtemp(path.join(tmpdir(), 'ocr-corpus-'));
  // Two cores: two files at a time, one tesseract thread each.
  const limit = pLimit(2);
  await Promise.all(rows.map((row) => limit(async () => outcomes.set(row.file, await extract(row)))));
}, 600_000);

afterAll(async () => {
  const line = (file: string, ms: string, found: string, extra: string) => `${file.padEnd(52)} ${ms.padStart(8)}  ${found.padEnd(9)} ${extra}`;
  const table = rows.map(({ file, stretch }) => {
    const o = outcomes.get(file);
    if (o === undefined) return line(file, '-', 'error', '');
    const found = o.found ? 'found' : stretch ? 'STRETCH' : 'MISSING';
    return line(file, `${o.ms.toFixed(0)} ms`, found, `${o.result.extractor} ocr=${o.result.ocrUsed} pages=${o.result.pageCount ?? '-'} ${o.result.warnings.join(',')}`);
  });
  console.log(['OCR corpus (2 files at a time)', line('file', 'time', 'snippet', 'extractor'), ...table].join('\n'));
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('OCR corpus: images/ and pdf-scanned/', () => {
  it.each(rows)('$file', ({ file, snippet, stretch }) => {
    const o = outcomes.get(file);
    expect(o, `${file} was not extracted`).toBeDefined();
    if (o === undefined) return;
    expect(o.leftovers, 'temporary files left next to the input').toEqual([]);
    expect(o.result.ocrUsed, `${file}: OCR did not run (${o.result.warnings.join(', ')})`).toBe(true);
    expect(o.result.metadataOnly).toBe(false);
    expect(o.result.pageCount).toBeGreaterThan(0);
    if (stretch) return; // reported in the table, not asserted: tesseract cannot read handwriting
    expect(o.found, `${file} via ${o.result.extractor}: "${snippet}" not in ${JSON.stringify(o.result.text.slice(0, 300))}`).toBe(true);
  });

  it('reads every page of cardinal.pdf, including the pages scanned at 90°, 180° and 270°', () => {
    const text = outcomes.get('pdf-scanned/ocrmypdf_cardinal.pdf')?.result.text ?? '';
    const pages = text.split('\f').slice(0, -1);
    expect(pages).toHaveLength(4);
    pages.forEach((page, i) => expect(squash(page), `page ${i + 1}`).toContain('LinnSequencer'));
  });

  it('keeps Japanese words together (no spaces between Japanese characters)', () => {
    const text = outcomes.get('images/ndl_digidepo_3048008_0025.jpg')?.result.text ?? '';
    expect(normalizeText(text)).toContain('研修生50名に実施した');
  });
});
