import type { Deadline } from './run-tool.js';
import { detectOcrCapabilities, runTesseract } from './tesseract.js';
import type { OcrText } from './tsv.js';

export interface OcrEngineOptions {
  /** `off`: never run tesseract (images become metadata-only, scanned pages stay empty). */
  readonly mode: 'auto' | 'off';
  /** Tesseract languages, `jpn+eng`. */
  readonly languages: string;
  /** The tesseract executable. Default `tesseract` on PATH. */
  readonly tesseractPath?: string;
  /** OpenMP threads per tesseract process. Default 1. */
  readonly threads?: number;
  /** Largest TSV output accepted from one run. Default 64 MiB. */
  readonly maxBuffer?: number;
}

export type OcrPlan =
  | {
      readonly ok: true;
      readonly languages: string;
      /** The same set with `jpn` replaced by `jpn_vert`, for the second pass; absent when not applicable. */
      readonly verticalLanguages?: string;
      /** 1 (with orientation detection) when `osd` is installed, else 3. */
      readonly psm: number;
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

export interface OcrRequest {
  readonly image: string;
  readonly deadline: Deadline;
  readonly signal?: AbortSignal;
  /** Known resolution (rendered PDF pages); images let tesseract read or estimate it. */
  readonly dpi?: number;
}

export interface OcrResult extends OcrText {
  /** Languages of the pass whose text was kept. */
  readonly languages: string;
  /** Passes run: 1, or 2 when the vertical pass was tried. */
  readonly passes: number;
  readonly ocrMs: number;
  /** Tesseract's diagnostics of the kept pass (leptonica read warnings, …). */
  readonly stderr: string;
}

/** Below this confidence the first pass is suspect… */
const LOW_CONFIDENCE = 60;
/** …when it also found next to nothing, or mostly tall, narrow lines. */
const LITTLE_TEXT = 10;
const VERTICAL_SHARE = 0.3;

/**
 * The OCR strategy, measured on the corpus: one pass with the configured languages and automatic
 * page segmentation with orientation detection (psm 1: the 90/180/270° pages of cardinal.pdf come
 * out right; psm 3 loses pages at 180/270°). Horizontal `jpn` reads vertical (tategaki) text as
 * garbage with low confidence in tall, narrow lines, so only then a second pass with `jpn_vert`
 * runs, and the pass with the better confidence wins (NDL geppo page: 16.5 → 85.0).
 */
export class OcrEngine {
  private readonly tesseractPath: string;
  private readonly threads: number;
  private readonly maxBuffer: number;
  private planned: Promise<OcrPlan> | undefined;

  constructor(private readonly options: OcrEngineOptions) {
    this.tesseractPath = options.tesseractPath ?? 'tesseract';
    this.threads = options.threads ?? 1;
    this.maxBuffer = options.maxBuffer ?? 64 * 1024 * 1024;
  }

  /** Whether OCR can run, with which languages; decided once. */
  plan(): Promise<OcrPlan> {
    this.planned ??= this.decide();
    return this.planned;
  }

  private async decide(): Promise<OcrPlan> {
    if (this.options.mode === 'off') return { ok: false, reason: 'OCR is off (ocr.mode)' };
    const caps = await detectOcrCapabilities(this.tesseractPath);
    if (!caps.available) return { ok: false, reason: caps.reason ?? 'tesseract is unavailable' };
    const wanted = this.options.languages.split('+').map((l) => l.trim()).filter((l) => l !== '');
    const installed = wanted.filter((l) => caps.languages.includes(l));
    const missing = wanted.filter((l) => !caps.languages.includes(l));
    if (installed.length === 0) return { ok: false, reason: `tesseract language data missing: ${wanted.join(', ') || '(none configured)'}` };
    const vertical =
      installed.includes('jpn') && !installed.includes('jpn_vert') && caps.languages.includes('jpn_vert')
        ? installed.map((l) => (l === 'jpn' ? 'jpn_vert' : l)).join('+')
        : undefined;
    return {
      ok: true,
      languages: installed.join('+'),
      ...(vertical === undefined ? {} : { verticalLanguages: vertical }),
      psm: caps.languages.includes('osd') ? 1 : 3,
      warnings: missing.length === 0 ? [] : [`ocr_languages_missing: ${missing.join(', ')}`],
    };
  }

  /** OCR of one image file (all its pages); call only with an `ok` plan. */
  async recognize(request: OcrRequest, plan: Extract<OcrPlan, { ok: true }>): Promise<OcrResult> {
    const started = performance.now();
    const run = (languages: string) =>
      runTesseract(this.tesseractPath, {
        image: request.image,
        languages,
        psm: plan.psm,
        deadline: request.deadline,
        maxBuffer: this.maxBuffer,
        threads: this.threads,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
        ...(request.dpi === undefined ? {} : { dpi: request.dpi }),
      });
    const first = await run(plan.languages);
    if (plan.verticalLanguages === undefined || !looksLikeMisreadVertical(first)) {
      return { ...first, languages: plan.languages, passes: 1, ocrMs: performance.now() - started };
    }
    const second = await run(plan.verticalLanguages);
    const best = second.chars > 0 && second.meanConfidence > first.meanConfidence ? second : first;
    const languages = best === second ? plan.verticalLanguages : plan.languages;
    return { ...best, languages, passes: 2, ocrMs: performance.now() - started };
  }
}

/** Exported for the unit test of the decision. */
export function looksLikeMisreadVertical(pass: Pick<OcrText, 'chars' | 'meanConfidence' | 'verticalShare'>): boolean {
  // Nothing at all (a blank page) is not worth a second pass; next to nothing may be unsegmented tategaki.
  const little = pass.chars > 0 && pass.chars < LITTLE_TEXT;
  return pass.meanConfidence < LOW_CONFIDENCE && (little || pass.verticalShare >= VERTICAL_SHARE);
}
