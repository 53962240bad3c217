import { execFile, type ExecFileException } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, FatalError, PermanentError, TransientError, type FilesearchError } from '../../domain/errors.js';
import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../ports/extractor.port.js';
import type { ScannedPdfOcr } from './ocr/scanned-pdf.js';
// Types only: the library itself is loaded lazily, and only when pdf.js is the engine.
import type * as PdfJsLib from 'pdfjs-dist/legacy/build/pdf.mjs';

export type PdfEngine = 'auto' | 'poppler' | 'pdfjs';

export interface PdfExtractorOptions {
  /** `auto`: poppler when `pdftotext` runs, else pdf.js. Default `auto`. */
  readonly engine?: PdfEngine;
  /** Per poppler command, and for the whole pdf.js run. Default 120 s. */
  readonly timeoutMs?: number;
  /** Largest pdftotext output accepted. Default 256 MiB. */
  readonly maxOutputBytes?: number;
  /** Executables, for installs outside PATH. Defaults `pdftotext`, `pdfinfo`. */
  readonly pdftotextPath?: string;
  readonly pdfinfoPath?: string;
  /** More pages fail with `too_many_pages`, checked before any text is extracted. Default: no cap. */
  readonly maxPages?: number;
  /** OCR for pages without a usable text layer (poppler engine only). Default: none (`no_text_layer`). */
  readonly ocr?: ScannedPdfOcr;
}

interface PdfText {
  readonly text: string;
  readonly pageCount?: number;
  readonly title?: string;
  readonly author?: string;
  readonly ocrUsed?: boolean;
  readonly warnings: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

const ENCRYPTED = /incorrect password|encrypted|copying of text from this document is not allowed/i;
const MALFORMED = /syntax error|couldn't read xref|couldn't find trailer|may not be a pdf/i;

function run(file: string, args: string[], timeoutMs: number, maxBuffer: number, signal?: AbortSignal): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const options = { encoding: 'utf8' as const, timeout: timeoutMs, maxBuffer, windowsHide: true, ...(signal ? { signal } : {}) };
    execFile(file, args, options, (err, stdout, stderr) => {
      if (err === null) resolve({ stdout, stderr });
      else reject(classifyPoppler(file, err, stderr, signal));
    });
  });
}

/** Exit codes (pdftotext(1)): 1 = error opening the PDF, 3 = permissions, 99 = other. */
function classifyPoppler(file: string, err: ExecFileException, stderr: string, signal?: AbortSignal): FilesearchError {
  const tool = path.basename(file);
  const detail = stderr.trim().split('\n').slice(-3).join(' | ') || err.message;
  const options = { cause: err, details: { tool, exitCode: err.code, stderr: stderr.slice(-2000) } };
  if (err.code === 'ENOENT') return new FatalError(ErrorCodes.DependencyMissing, `${tool} is not installed`, options);
  if (signal?.aborted === true) return new TransientError(ErrorCodes.ExtractionFailed, `${tool} aborted`, options);
  if (err.killed === true && err.signal === 'SIGTERM') {
    return new PermanentError(ErrorCodes.ExtractionTimeout, `${tool} timed out`, options);
  }
  if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return /stderr/.test(err.message)
      ? new PermanentError(ErrorCodes.CorruptFile, `${tool}: endless parse errors`, options)
      : new PermanentError(ErrorCodes.TooLarge, `${tool}: text output exceeds the limit`, options);
  }
  if (err.code === 3 || ENCRYPTED.test(stderr)) {
    return new PermanentError(ErrorCodes.EncryptedFile, `${tool}: ${detail}`, options);
  }
  if (err.code === 1 || MALFORMED.test(stderr)) return new PermanentError(ErrorCodes.CorruptFile, `${tool}: ${detail}`, options);
  // 99 or a crash signal: deterministic for this file, most likely, but let the redrive policy decide.
  return new TransientError(ErrorCodes.ExtractionFailed, `${tool}: ${detail}`, options);
}

function parsePdfinfo(stdout: string): { pageCount?: number; title?: string; author?: string } {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z ]+?):\s*(.*)$/.exec(line);
    if (m?.[1] !== undefined && !fields.has(m[1])) fields.set(m[1], (m[2] ?? '').trim());
  }
  const pages = Number.parseInt(fields.get('Pages') ?? '', 10);
  const title = fields.get('Title');
  const author = fields.get('Author');
  return {
    ...(Number.isFinite(pages) ? { pageCount: pages } : {}),
    ...(title ? { title } : {}),
    ...(author ? { author } : {}),
  };
}

const popplerProbes = new Map<string, Promise<boolean>>();

/** Runs `pdftotext -v` once per executable path; any exit but ENOENT means it is installed. */
export function isPopplerAvailable(pdftotextPath = 'pdftotext'): Promise<boolean> {
  let probe = popplerProbes.get(pdftotextPath);
  if (probe === undefined) {
    probe = new Promise((resolve) => {
      execFile(pdftotextPath, ['-v'], { timeout: 10_000 }, (err) => resolve(err?.code !== 'ENOENT'));
    });
    popplerProbes.set(pdftotextPath, probe);
  }
  return probe;
}

type PdfJs = typeof PdfJsLib;
let pdfjsModule: Promise<{ lib: PdfJs; dir: string }> | undefined;

function loadPdfJs(): Promise<{ lib: PdfJs; dir: string }> {
  pdfjsModule ??= (async () => {
    const dir = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
    const lib = (await import(pathToFileURL(path.join(dir, 'legacy/build/pdf.mjs')).href)) as PdfJs;
    return { lib, dir };
  })();
  return pdfjsModule;
}

function classifyPdfJs(err: unknown): FilesearchError {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  const options = { cause: err, details: { engine: 'pdfjs', name } };
  if (name === 'PasswordException') return new PermanentError(ErrorCodes.EncryptedFile, `pdf.js: ${message}`, options);
  if (name === 'InvalidPDFException' || name === 'FormatError') {
    return new PermanentError(ErrorCodes.CorruptFile, `pdf.js: ${message}`, options);
  }
  return new TransientError(ErrorCodes.ExtractionFailed, `pdf.js: ${message}`, options);
}

function metaString(info: unknown, key: string): string | undefined {
  const value = typeof info === 'object' && info !== null ? (info as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Text-layer extraction. Image-only PDFs come back empty with `no_text_layer`, for OCR to pick up. */
export class PdfExtractor implements Extractor {
  readonly name = 'pdf';
  private readonly engine: PdfEngine;
  private readonly timeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly pdftotext: string;
  private readonly pdfinfo: string;
  private readonly maxPages: number;
  private readonly ocr: ScannedPdfOcr | undefined;

  constructor(options: PdfExtractorOptions = {}) {
    this.engine = options.engine ?? 'auto';
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 256 * 1024 * 1024;
    this.pdftotext = options.pdftotextPath ?? 'pdftotext';
    this.pdfinfo = options.pdfinfoPath ?? 'pdfinfo';
    this.maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
    this.ocr = options.ocr;
  }

  private checkPages(input: ExtractionInput, pages: number | undefined): void {
    if (pages === undefined || pages <= this.maxPages) return;
    throw new PermanentError(ErrorCodes.TooManyPages, `${input.fileName}: ${pages} pages exceeds the limit of ${this.maxPages}`, {
      details: { pages, maxPages: this.maxPages },
    });
  }

  supports(type: DetectedType): boolean {
    return type.mime === 'application/pdf';
  }

  /** The engine `extract` will use; `poppler` when chosen explicitly but missing is fatal. */
  async resolveEngine(): Promise<'poppler' | 'pdfjs'> {
    if (this.engine === 'pdfjs') return 'pdfjs';
    const available = await isPopplerAvailable(this.pdftotext);
    if (available) return 'poppler';
    if (this.engine === 'auto') return 'pdfjs';
    throw new FatalError(ErrorCodes.DependencyMissing, `PDF engine 'poppler' chosen but ${this.pdftotext} is not installed`);
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    const engine = await this.resolveEngine();
    const result = engine === 'poppler' ? await this.withPoppler(input, started) : await this.withPdfJs(input);
    const empty = result.text.trim() === '';
    return {
      text: empty ? '' : result.text,
      ...(result.title === undefined ? {} : { title: result.title }),
      ...(result.author === undefined ? {} : { author: result.author }),
      ...(result.pageCount === undefined ? {} : { pageCount: result.pageCount }),
      ocrUsed: result.ocrUsed === true,
      metadataOnly: false,
      extractor: `pdf/${engine}`,
      warnings: empty ? [...result.warnings, 'no_text_layer'] : result.warnings,
      timings: result.timings,
    };
  }

  /**
   * pdftotext's default reading-order mode, measured on the 12 corpus text PDFs: all three modes
   * find every snippet, but on the two-column tracemonkey paper only 15.6% of consecutive line pairs
   * survive `-layout` (it interleaves the columns) versus 76.0% in default mode, and `-raw` splits
   * vertical (Identity-V) Japanese into one character per line (152 kana/kanji breaks on issue6387
   * vs 1). Default mode also re-joins hyphenated words. So: no mode flag.
   */
  private async withPoppler(input: ExtractionInput, started: number): Promise<PdfText> {
    const t0 = performance.now();
    const info = await run(this.pdfinfo, ['-enc', 'UTF-8', input.path], this.timeoutMs, 1024 * 1024, input.signal);
    const t1 = performance.now();
    this.checkPages(input, parsePdfinfo(info.stdout).pageCount);
    const args = ['-enc', 'UTF-8', input.path, '-'];
    const out = await run(this.pdftotext, args, this.timeoutMs, this.maxOutputBytes, input.signal);
    const t2 = performance.now();
    const meta = parsePdfinfo(info.stdout);
    const warnings = MALFORMED.test(out.stderr) ? ['pdf_repaired'] : [];
    // pdftotext ends every page with a form feed; pdfinfo's count is authoritative when present.
    const formFeeds = out.stdout.match(/\f/g)?.length ?? 0;
    const pageCount = meta.pageCount ?? (formFeeds > 0 ? formFeeds : undefined);
    const timings = { pdfinfoMs: t1 - t0, pdftotextMs: t2 - t1 };
    const base = { ...meta, ...(pageCount === undefined ? {} : { pageCount }), text: out.stdout, warnings, timings };
    if (this.ocr === undefined || pageCount === undefined) return base;
    const scanned = await this.ocr.apply(input, out.stdout, pageCount, started);
    return { ...base, text: scanned.text, ocrUsed: scanned.ocrUsed, warnings: [...warnings, ...scanned.warnings], timings: { ...timings, ...scanned.timings } };
  }

  private async withPdfJs(input: ExtractionInput): Promise<PdfText> {
    const t0 = performance.now();
    const { lib, dir } = await loadPdfJs();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = input.signal === undefined ? timeout : AbortSignal.any([input.signal, timeout]);
    const fail = (err: unknown): FilesearchError => {
      const options = { cause: err, details: { engine: 'pdfjs' } };
      if (input.signal?.aborted === true) return new TransientError(ErrorCodes.ExtractionFailed, 'pdf.js aborted', options);
      if (timeout.aborted) return new PermanentError(ErrorCodes.ExtractionTimeout, 'pdf.js timed out', options);
      return classifyPdfJs(err);
    };
    const data = new Uint8Array(await readFile(input.path, { signal }).catch((err: unknown) => Promise.reject(fail(err))));
    const task = lib.getDocument({
      data,
      cMapUrl: `${dir}/cmaps/`,
      cMapPacked: true,
      standardFontDataUrl: `${dir}/standard_fonts/`,
      wasmUrl: `${dir}/wasm/`,
      isEvalSupported: false,
      verbosity: 0,
    });
    const onAbort = (): void => void task.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const doc = await task.promise;
      this.checkPages(input, doc.numPages);
      const pages: string[] = [];
      for (let i = 1; i <= doc.numPages; i += 1) {
        signal.throwIfAborted();
        const page = await doc.getPage(i);
        const content = await page.getTextContent();
        pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''));
        page.cleanup();
      }
      const { info } = await doc.getMetadata().catch(() => ({ info: undefined }));
      const title = metaString(info, 'Title');
      const author = metaString(info, 'Author');
      return {
        text: pages.map((p) => `${p}\f`).join(''),
        pageCount: doc.numPages,
        ...(title === undefined ? {} : { title }),
        ...(author === undefined ? {} : { author }),
        warnings: [],
        timings: { pdfjsMs: performance.now() - t0 },
      };
    } catch (err) {
      throw fail(err);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await task.destroy();
    }
  }
}
