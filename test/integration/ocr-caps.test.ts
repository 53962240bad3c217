import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageExtractor } from '../../src/adapters/extract/ocr/image-extractor.js';
import { ScannedPdfOcr } from '../../src/adapters/extract/ocr/scanned-pdf.js';
import { detectOcrCapabilities } from '../../src/adapters/extract/ocr/tesseract.js';
import { PdfExtractor } from '../../src/adapters/extract/pdf-extractor.js';
import { DEFAULT_EXTRACTION_SETTINGS } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes, isPermanentError, isTransientError } from '../../src/domain/errors.js';
import { normalizeText } from '../../src/domain/text.js';
import type { Extraction, ExtractionSettings, Extractor } from '../../src/ports/extractor.port.js';
import { corpusRoot } from '../support/cli.js';
import { bmp, multiPageTiff, parsePgm, pngHeader, type GrayPage } from '../support/image-builder.js';

type Settings = Pick<ExtractionSettings, 'timeoutMs' | 'maxPages' | 'maxImagePixels' | 'ocr'>;
const base: Settings = DEFAULT_EXTRACTION_SETTINGS;
const withOcr = (patch: Partial<Settings['ocr']>): Settings => ({ ...base, ocr: { ...base.ocr, ...patch } });
const squash = (s: string): string => normalizeText(s).replace(/\s+/gu, '');
const detector = new MagicTypeDetector();

let root: string;
/** A tesseract that records every command line, then runs the real one. */
let recordingTesseract: string;
let tesseractLog: string;
let scanPage: GrayPage;
let threePageTiff: Buffer;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ocr-caps-'));
  tesseractLog = path.join(root, 'tesseract.log');
  recordingTesseract = path.join(root, 'recording-tesseract');
  await writeFile(recordingTesseract, `#!/bin/sh\necho "$*" >> '${tesseractLog}'\nexec tesseract "$@"\n`);
  await chmod(recordingTesseract, 0o755);
  // Three pages of a real scan (tika testOCR.pdf at 100 dpi), as one uncompressed TIFF.
  const pgm = execFileSync('pdftoppm', ['-r', '100', '-gray', '-f', '1', '-l', '1', path.join(corpusRoot, 'pdf-scanned/tika_testOCR.pdf')]);
  scanPage = parsePgm(pgm);
  threePageTiff = multiPageTiff([scanPage, scanPage, scanPage]);
});

afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

interface Run {
  readonly outcome: Extraction | unknown;
  readonly ms: number;
  readonly input: string;
  /** What is in the input's folder afterwards, besides the input. */
  readonly leftovers: readonly string[];
}

/** Extracts `bytes` (or a corpus file) from a folder of its own, as the worker does. */
async function run(extractor: Extractor, name: string, bytes: Buffer | string, signal?: AbortSignal): Promise<Run> {
  const dir = await mkdtemp(path.join(root, 'case-'));
  const input = path.join(dir, name);
  if (typeof bytes === 'string') await copyFile(path.join(corpusRoot, bytes), input);
  else await writeFile(input, bytes);
  const extension = path.extname(name).slice(1);
  const type = await detector.detect(input, extension);
  const started = performance.now();
  const outcome = await extractor
    .extract({ path: input, fileName: name, extension, size: (await stat(input)).size, type, ...(signal ? { signal } : {}) })
    .catch((err: unknown) => err);
  const ms = performance.now() - started;
  return { outcome, ms, input, leftovers: (await readdir(dir)).filter((f) => f !== name) };
}

const tesseractRunsOn = async (file: string): Promise<number> =>
  (await readFile(tesseractLog, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes(file)).length;

describe('detectOcrCapabilities', () => {
  it('reports the installed tesseract and its languages', async () => {
    const caps = await detectOcrCapabilities();
    expect(caps).toMatchObject({ available: true, path: 'tesseract' });
    expect(caps.version).toMatch(/^\d+\.\d+/);
    expect(caps.languages).toEqual(expect.arrayContaining(['eng', 'jpn', 'jpn_vert', 'osd']));
  });

  it('says why when the binary is missing, without throwing', async () => {
    const caps = await detectOcrCapabilities('/nonexistent/tesseract');
    expect(caps).toMatchObject({ available: false, languages: [] });
    expect(caps.reason).toContain('not installed');
  });
});

describe('ImageExtractor caps, before anything decodes the image', () => {
  it('refuses a PNG whose header claims 50,000 × 50,000 pixels, fast and without running tesseract', async () => {
    const r = await run(new ImageExtractor(base, { tesseractPath: recordingTesseract }), 'huge.png', pngHeader(50_000, 50_000, randomBytes(4096)));
    expect(isPermanentError(r.outcome), String(r.outcome)).toBe(true);
    expect(r.outcome).toMatchObject({ code: ErrorCodes.TooManyPixels });
    expect((r.outcome as Error).message).toContain('50000×50000');
    expect(r.ms).toBeLessThan(2_000);
    expect(await tesseractRunsOn(r.input)).toBe(0);
    expect(r.leftovers).toEqual([]);
  });

  it('refuses a TIFF with more pages than maxPages, counting every directory', async () => {
    const r = await run(new ImageExtractor({ ...base, maxPages: 2 }, { tesseractPath: recordingTesseract }), 'three.tif', threePageTiff);
    expect(r.outcome).toMatchObject({ code: ErrorCodes.TooManyPages });
    expect(await tesseractRunsOn(r.input)).toBe(0);
    expect(r.leftovers).toEqual([]);
  });

  it('refuses a TIFF whose second page alone is too large (image-size reads only the first)', async () => {
    const small = { width: 10, height: 10, pixels: Buffer.alloc(100, 255) };
    const liar = { width: 60_000, height: 60_000, pixels: Buffer.alloc(100, 255) };
    const r = await run(new ImageExtractor(base), 'liar.tif', multiPageTiff([small, liar]));
    expect(r.outcome).toMatchObject({ code: ErrorCodes.TooManyPixels });
    expect((r.outcome as Error).message).toContain('(page 2)');
  });

  it('reads every page of a multi-page TIFF within the cap', async () => {
    const r = await run(new ImageExtractor({ ...base, maxPages: 3 }), 'three.tif', threePageTiff);
    const result = r.outcome as Extraction;
    expect(result).toMatchObject({ pageCount: 3, ocrUsed: true, metadataOnly: false, extractor: 'ocr/tesseract' });
    const pages = result.text.split('\f').slice(0, -1);
    expect(pages).toHaveLength(3);
    for (const page of pages) expect(squash(page)).toContain('HappyNewYear2003!');
    expect(r.leftovers).toEqual([]);
  });

  it('reads a BMP (no resolution in the header: tesseract estimates it)', async () => {
    const r = await run(new ImageExtractor(base), 'scan.bmp', bmp(scanPage));
    expect(r.outcome).toMatchObject({ pageCount: 1, ocrUsed: true, extractor: 'ocr/tesseract' });
    expect(squash((r.outcome as Extraction).text)).toContain('HappyNewYear2003!');
  });

  it('fails a PNG with a valid header and garbage data as corrupt_file', async () => {
    const r = await run(new ImageExtractor(base), 'corrupt.png', pngHeader(400, 300, randomBytes(3000)));
    expect(isPermanentError(r.outcome), String(r.outcome)).toBe(true);
    expect(r.outcome).toMatchObject({ code: ErrorCodes.CorruptFile });
    expect(r.leftovers).toEqual([]);
  });

  it('fails a truncated JPEG as corrupt_file', async () => {
    const jpeg = await readFile(path.join(corpusRoot, 'images/easyocr_japanese.jpg'));
    const r = await run(new ImageExtractor(base), 'cut.jpg', jpeg.subarray(0, 20_000));
    expect(r.outcome).toMatchObject({ code: ErrorCodes.CorruptFile });
  });
});

describe('without OCR, images and scanned pages are not errors', () => {
  const cases = [
    ['ocr.mode off', new ImageExtractor(withOcr({ mode: 'off' })), 'OCR is off'],
    ['tesseract missing', new ImageExtractor(base, { tesseractPath: '/nonexistent/tesseract' }), 'not installed'],
    ['language data missing', new ImageExtractor(withOcr({ languages: 'klingon' })), 'language data missing: klingon'],
  ] as const;

  it.each(cases)('%s: an image is indexed metadata-only, with the reason', async (_name, extractor, reason) => {
    const r = await run(extractor, 'phototest.tif', 'images/tess_phototest.tif');
    expect(r.outcome).toMatchObject({ text: '', metadataOnly: true, ocrUsed: false, pageCount: 1 });
    expect((r.outcome as Extraction).warnings).toEqual([expect.stringMatching(new RegExp(`^ocr_unavailable: .*${reason}`))]);
    expect(r.leftovers).toEqual([]);
  });

  it.each([
    ['ocr.mode off', new ScannedPdfOcr(withOcr({ mode: 'off' }))],
    ['tesseract missing', new ScannedPdfOcr(base, { tesseractPath: '/nonexistent/tesseract' })],
  ])('%s: a scanned PDF keeps its (empty) text layer, with a warning', async (_name, ocr) => {
    const r = await run(new PdfExtractor({ engine: 'poppler', ocr }), 'scan.pdf', 'pdf-scanned/tika_testOCR.pdf');
    expect(r.outcome).toMatchObject({ text: '', metadataOnly: false, ocrUsed: false, pageCount: 1 });
    const { warnings } = r.outcome as Extraction;
    expect(warnings).toContain('no_text_layer');
    expect(warnings.some((w) => w.startsWith('ocr_unavailable: '))).toBe(true);
    expect(r.leftovers).toEqual([]);
  });
});

describe('scanned PDF caps and budget', () => {
  const pdf = (settings: Settings) => new PdfExtractor({ engine: 'poppler', maxPages: settings.maxPages, ocr: new ScannedPdfOcr(settings) });

  it('checks the page count first', async () => {
    const r = await run(pdf({ ...base, maxPages: 3 }), 'cardinal.pdf', 'pdf-scanned/ocrmypdf_cardinal.pdf');
    expect(r.outcome).toMatchObject({ code: ErrorCodes.TooManyPages });
    expect(r.ms).toBeLessThan(2_000);
  });

  it('checks the rendered size of every page to OCR (page size × dpi) before rendering', async () => {
    const r = await run(pdf({ ...base, maxImagePixels: 5_000_000 }), 'cardinal.pdf', 'pdf-scanned/ocrmypdf_cardinal.pdf');
    expect(r.outcome).toMatchObject({ code: ErrorCodes.TooManyPixels });
    expect((r.outcome as Error).message).toContain('2550×3300');
    expect(r.leftovers).toEqual([]);
  });

  it('kills the work when the file budget is spent (permanent), and removes the rendered page', async () => {
    const r = await run(pdf({ ...base, timeoutMs: 2_500 }), 'cardinal.pdf', 'pdf-scanned/ocrmypdf_cardinal.pdf');
    expect(isPermanentError(r.outcome), String(r.outcome)).toBe(true);
    expect(r.outcome).toMatchObject({ code: ErrorCodes.ExtractionTimeout });
    expect(r.ms).toBeLessThan(5_000);
    expect(r.leftovers).toEqual([]);
  });

  it('stops at once on shutdown (transient: another worker will try again), and removes the rendered page', async () => {
    const r = await run(pdf(base), 'cardinal.pdf', 'pdf-scanned/ocrmypdf_cardinal.pdf', AbortSignal.timeout(1_500));
    expect(isTransientError(r.outcome), String(r.outcome)).toBe(true);
    expect(r.ms).toBeLessThan(4_000);
    expect(r.leftovers).toEqual([]);
  });
});

describe('image OCR budget', () => {
  it('times out permanently when tesseract outlives the file budget', async () => {
    const r = await run(new ImageExtractor({ ...base, timeoutMs: 800 }), 'page.tif', 'images/tess_8071_093.3B.tif');
    expect(r.outcome).toMatchObject({ code: ErrorCodes.ExtractionTimeout });
    expect(r.ms).toBeLessThan(3_000);
  });

  it('is transient when the worker shuts down', async () => {
    const r = await run(new ImageExtractor(base), 'page.tif', 'images/tess_8071_093.3B.tif', AbortSignal.timeout(500));
    expect(isTransientError(r.outcome), String(r.outcome)).toBe(true);
    expect(r.ms).toBeLessThan(3_000);
  });
});
