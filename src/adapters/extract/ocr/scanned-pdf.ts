import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, PermanentError, TransientError } from '../../../domain/errors.js';
import type { ExtractionInput, ExtractionSettings } from '../../../ports/extractor.port.js';
import { OcrEngine } from './ocr-engine.js';
import { Deadline, runTool, stderrTail, type ExitClassifier, type RunToolOptions } from './run-tool.js';
import { safePathArg } from './tesseract.js';

export interface ScannedPdfOptions {
  readonly tesseractPath?: string;
  readonly pdftoppmPath?: string;
  readonly pdfinfoPath?: string;
  readonly pdfimagesPath?: string;
  /** OpenMP threads per tesseract process. Default 1. */
  readonly threads?: number;
}

export interface ScannedPdfResult {
  /** Pages ended by `\f`, like pdftotext's output. */
  readonly text: string;
  readonly ocrUsed: boolean;
  /** 1-based numbers of the pages whose text came from OCR. */
  readonly ocrPages: readonly number[];
  readonly warnings: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

type Caps = Pick<ExtractionSettings, 'timeoutMs' | 'maxPages' | 'maxImagePixels' | 'ocr'>;

/** Fewer non-whitespace characters than this: the page has no usable text layer. */
const NO_TEXT = 3;
/** Fewer than this on a page mostly covered by one image: a scan with a stray text layer (scan-bad.pdf: "pdf.js"). */
const LITTLE_TEXT = 100;
/** An image covering at least this share of the page makes it a scan. */
const SCAN_COVERAGE = 0.5;

const squash = (s: string): string => s.replace(/\s+/gu, '');

/** pdftoppm/pdfinfo/pdfimages exit codes: 1 = cannot open the PDF, 3 = permissions, 99 = other. */
const classifyPopplerExit: ExitClassifier = (tool, code, stderr, cause) => {
  const message = `${tool}: ${stderrTail(stderr, `exit ${code}`)}`;
  const options = { cause, details: { tool, exitCode: code, stderr: stderr.slice(-2000) } };
  if (code === 3) return new PermanentError(ErrorCodes.EncryptedFile, message, options);
  if (code === 1) return new PermanentError(ErrorCodes.CorruptFile, message, options);
  return new TransientError(ErrorCodes.ExtractionFailed, message, options);
};

/** `Page    3 size: 612 x 792 pts` lines of `pdfinfo -f a -l b`. */
function parsePageSizes(stdout: string): Map<number, { width: number; height: number }> {
  const sizes = new Map<number, { width: number; height: number }>();
  for (const m of stdout.matchAll(/^Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)/gm)) {
    sizes.set(Number(m[1]), { width: Number(m[2]), height: Number(m[3]) });
  }
  return sizes;
}

/** Largest share of each page covered by one image, from `pdfimages -list` (placement ppi → size on the page). */
function parseImageCoverage(stdout: string, sizes: ReadonlyMap<number, { width: number; height: number }>): Map<number, number> {
  const coverage = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
    if (cols.length < 14 || cols[2] !== 'image' || !/^\d+$/.test(cols[0] ?? '')) continue;
    const page = Number(cols[0]);
    const [w, h, xppi, yppi] = [cols[3], cols[4], cols[12], cols[13]].map(Number);
    const size = sizes.get(page);
    if (!w || !h || !xppi || !yppi || size === undefined) continue;
    const share = ((w / xppi) * 72 * ((h / yppi) * 72)) / (size.width * size.height);
    coverage.set(page, Math.max(coverage.get(page) ?? 0, share));
  }
  return coverage;
}

/**
 * OCR for the pages of a PDF that have no usable text layer: each is rendered with pdftoppm at
 * `ocr.dpi` into a file next to the input (removed straight after), then read by tesseract.
 * Pages with text keep their text. Caps first: page count, then the pixels of every page to render.
 */
export class ScannedPdfOcr {
  readonly maxPages: number;
  private readonly engine: OcrEngine;
  private readonly pdftoppm: string;
  private readonly pdfinfo: string;
  private readonly pdfimages: string;

  constructor(
    private readonly settings: Caps,
    options: ScannedPdfOptions = {},
  ) {
    this.maxPages = settings.maxPages;
    this.engine = new OcrEngine({
      mode: settings.ocr.mode,
      languages: settings.ocr.languages,
      ...(options.tesseractPath === undefined ? {} : { tesseractPath: options.tesseractPath }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    this.pdftoppm = options.pdftoppmPath ?? 'pdftoppm';
    this.pdfinfo = options.pdfinfoPath ?? 'pdfinfo';
    this.pdfimages = options.pdfimagesPath ?? 'pdfimages';
  }

  /** `layerText` is pdftotext's output for the whole file (pages ended by `\f`); `startedAt` starts the file's time budget. */
  async apply(input: ExtractionInput, layerText: string, pageCount: number, startedAt: number): Promise<ScannedPdfResult> {
    const pages = layerText.split('\f');
    if (pages.at(-1) === '') pages.pop();
    const unchanged = (warnings: string[] = []): ScannedPdfResult => ({ text: layerText, ocrUsed: false, ocrPages: [], warnings, timings: {} });
    if (pages.length !== pageCount) return unchanged([`ocr_skipped: pdftotext gave ${pages.length} pages, pdfinfo ${pageCount}`]);
    const candidates = pages.flatMap((p, i) => (squash(p).length < LITTLE_TEXT ? [i + 1] : []));
    if (candidates.length === 0) return unchanged();
    const plan = await this.engine.plan();
    if (!plan.ok) {
      // Said only when a page certainly needed OCR; a short text page is no reason for a warning.
      const textless = candidates.some((n) => squash(pages[n - 1] ?? '').length < NO_TEXT);
      return unchanged(textless ? [`ocr_unavailable: ${plan.reason}`] : []);
    }
    if (pageCount > this.maxPages) {
      throw new PermanentError(ErrorCodes.TooManyPages, `${input.fileName}: ${pageCount} pages exceeds the limit of ${this.maxPages}`);
    }

    const deadline = new Deadline(this.settings.timeoutMs, startedAt);
    const run: RunToolOptions = { deadline, maxBuffer: 16 * 1024 * 1024, ...(input.signal ? { signal: input.signal } : {}) };
    const t0 = performance.now();
    const ocrPages = await this.selectPages(input, pages, candidates, run);
    const t1 = performance.now();
    const { dpi } = this.settings.ocr;
    let renderMs = 0;
    let ocrMs = 0;
    for (const n of ocrPages) {
      // A sibling of the input: the worker's private temp dir in production.
      const prefix = path.join(path.dirname(input.path), `${path.basename(input.path)}.ocr-${randomBytes(4).toString('hex')}-p${n}`);
      const pgm = `${prefix}.pgm`;
      try {
        const r0 = performance.now();
        // Raw 8-bit grey (PGM): rendering cardinal.pdf's page took 0.24 s instead of 1.98 s as PNG,
        // and tesseract reads it faster too (4.7 s vs 5.3 s); the file lives only for this page.
        const args = ['-r', String(dpi), '-f', String(n), '-l', String(n), '-gray', '-singlefile', safePathArg(input.path), safePathArg(prefix)];
        await runTool(this.pdftoppm, args, run, classifyPopplerExit);
        renderMs += performance.now() - r0;
        const ocr = await this.engine.recognize({ image: pgm, deadline, dpi, ...(input.signal ? { signal: input.signal } : {}) }, plan);
        ocrMs += ocr.ocrMs;
        const layer = pages[n - 1] ?? '';
        const recognised = ocr.text.replace(/\f/g, '').trim();
        pages[n - 1] = squash(recognised).includes(squash(layer)) ? recognised : `${layer.trim()}\n${recognised}`.trim();
      } finally {
        await rm(pgm, { force: true });
      }
    }
    const ocrText = ocrPages.some((n) => squash(pages[n - 1] ?? '') !== '');
    return {
      text: pages.map((p) => `${p}\f`).join(''),
      ocrUsed: ocrPages.length > 0,
      ocrPages,
      warnings: [...plan.warnings, ...(ocrPages.length > 0 && !ocrText ? ['ocr_no_text'] : [])],
      timings: { ocrSelectMs: t1 - t0, renderMs, ocrMs },
    };
  }

  /** Candidates with (almost) no text, or a little text on a full-page image; every one checked against the pixel cap. */
  private async selectPages(input: ExtractionInput, pages: readonly string[], candidates: readonly number[], run: RunToolOptions): Promise<number[]> {
    const range = ['-f', String(candidates[0]), '-l', String(candidates.at(-1))];
    const info = await runTool(this.pdfinfo, [...range, safePathArg(input.path)], run, classifyPopplerExit);
    const sizes = parsePageSizes(info.stdout);
    const needImages = candidates.some((n) => squash(pages[n - 1] ?? '').length >= NO_TEXT);
    const coverage = needImages
      ? parseImageCoverage((await runTool(this.pdfimages, ['-list', ...range, safePathArg(input.path)], run, classifyPopplerExit)).stdout, sizes)
      : new Map<number, number>();
    const selected = candidates.filter((n) => squash(pages[n - 1] ?? '').length < NO_TEXT || (coverage.get(n) ?? 0) >= SCAN_COVERAGE);
    const { dpi } = this.settings.ocr;
    for (const n of selected) {
      const size = sizes.get(n);
      if (size === undefined) continue;
      const width = Math.ceil((size.width * dpi) / 72);
      const height = Math.ceil((size.height * dpi) / 72);
      if (width * height > this.settings.maxImagePixels) {
        throw new PermanentError(
          ErrorCodes.TooManyPixels,
          `${input.fileName} page ${n}: ${width}×${height} = ${width * height} pixels at ${dpi} dpi exceeds the limit of ${this.settings.maxImagePixels}`,
          { details: { page: n, width, height, dpi, maxImagePixels: this.settings.maxImagePixels } },
        );
      }
    }
    return selected;
  }
}
