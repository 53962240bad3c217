import { ErrorCodes, PermanentError } from '../../../domain/errors.js';
import type { DetectedType, Extraction, ExtractionInput, ExtractionSettings, Extractor } from '../../../ports/extractor.port.js';
import { readImageHeader, UnreadableHeaderError, type ImageHeader } from './image-header.js';
import { OcrEngine } from './ocr-engine.js';
import { Deadline } from './run-tool.js';

export const IMAGE_MIME_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/tiff', 'image/gif', 'image/bmp', 'image/webp'];

export interface ImageExtractorOptions {
  /** The tesseract executable. Default `tesseract` on PATH. */
  readonly tesseractPath?: string;
  /** OpenMP threads per tesseract process. Default 1. */
  readonly threads?: number;
}

type Caps = Pick<ExtractionSettings, 'timeoutMs' | 'maxPages' | 'maxImagePixels' | 'ocr'>;

/**
 * OCR of images. Header dimensions are checked against the caps before anything decodes the
 * image (a 50,000 × 50,000 PNG is a few bytes of header and 7.5 GB of pixels). Without OCR the
 * image is indexed metadata-only, with a warning saying why.
 */
export class ImageExtractor implements Extractor {
  readonly name = 'ocr/tesseract';
  private readonly engine: OcrEngine;

  constructor(
    private readonly settings: Caps,
    options: ImageExtractorOptions = {},
  ) {
    this.engine = new OcrEngine({
      mode: settings.ocr.mode,
      languages: settings.ocr.languages,
      ...(options.tesseractPath === undefined ? {} : { tesseractPath: options.tesseractPath }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
  }

  supports(type: DetectedType): boolean {
    return IMAGE_MIME_TYPES.includes(type.mime);
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const deadline = new Deadline(this.settings.timeoutMs);
    const plan = await this.engine.plan();
    if (!plan.ok) return this.metadataOnly(input, plan.reason);

    const t0 = performance.now();
    const header = await this.checkHeader(input);
    const t1 = performance.now();
    const ocr = await this.engine.recognize({ image: input.path, deadline, ...(input.signal ? { signal: input.signal } : {}) }, plan);
    const warnings = [...plan.warnings];
    if (ocr.chars === 0) warnings.push('ocr_no_text');
    if (/error in pix|read fail/i.test(ocr.stderr)) warnings.push('image_partly_unreadable');
    return {
      text: ocr.chars === 0 ? '' : ocr.text,
      pageCount: header.pages.length,
      ocrUsed: true,
      metadataOnly: false,
      extractor: 'ocr/tesseract',
      warnings,
      timings: { headerMs: t1 - t0, ocrMs: ocr.ocrMs },
    };
  }

  /** `too_many_pixels` / `too_many_pages` / `corrupt_file` before any decoding. */
  private async checkHeader(input: ExtractionInput): Promise<ImageHeader> {
    let header: ImageHeader;
    try {
      header = await readImageHeader(input.path, this.settings.maxPages);
    } catch (err) {
      if (!(err instanceof UnreadableHeaderError)) throw err;
      throw new PermanentError(ErrorCodes.CorruptFile, `${input.fileName}: ${err.message}`, { cause: err });
    }
    if (header.truncated) {
      throw new PermanentError(ErrorCodes.TooManyPages, `${input.fileName}: more than ${this.settings.maxPages} pages (limit ${this.settings.maxPages})`, {
        details: { maxPages: this.settings.maxPages },
      });
    }
    header.pages.forEach(({ width, height }, i) => {
      if (width * height <= this.settings.maxImagePixels) return;
      const page = header.pages.length > 1 ? ` (page ${i + 1})` : '';
      throw new PermanentError(
        ErrorCodes.TooManyPixels,
        `${input.fileName}${page}: ${width}×${height} = ${width * height} pixels exceeds the limit of ${this.settings.maxImagePixels}`,
        { details: { width, height, page: i + 1, maxImagePixels: this.settings.maxImagePixels } },
      );
    });
    return header;
  }

  private async metadataOnly(input: ExtractionInput, reason: string): Promise<Extraction> {
    // Header only, for the page count; an unreadable header is no reason to fail a file we do not decode.
    const header = await readImageHeader(input.path, this.settings.maxPages).catch(() => undefined);
    return {
      text: '',
      ...(header === undefined || header.truncated ? {} : { pageCount: header.pages.length }),
      ocrUsed: false,
      metadataOnly: true,
      extractor: 'ocr/unavailable',
      warnings: [`ocr_unavailable: ${reason}`],
      timings: {},
    };
  }
}
