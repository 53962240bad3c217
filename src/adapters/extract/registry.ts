import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../ports/extractor.port.js';
import { MetadataOnlyExtractor } from './metadata-only-extractor.js';
import { PdfExtractor, type PdfEngine } from './pdf-extractor.js';
import { TextExtractor } from './text-extractor.js';

export interface DefaultExtractorsOptions {
  /** `auto` (poppler when installed, else pdf.js), `poppler` or `pdfjs`. Default `auto`. */
  readonly pdfEngine?: PdfEngine;
  /** Per-command timeout for the PDF engine. Default 120 s. */
  readonly pdfTimeoutMs?: number;
  /** Text files above this size fail with `too_large`. Default 64 MiB. */
  readonly maxTextBytes?: number;
}

/**
 * The extractors in priority order. Adding a format (OCR, Office) is one file plus one line here;
 * the registry appends the metadata-only fallback itself.
 */
export function defaultExtractors(options: DefaultExtractorsOptions = {}): Extractor[] {
  const pdf = new PdfExtractor({
    ...(options.pdfEngine === undefined ? {} : { engine: options.pdfEngine }),
    ...(options.pdfTimeoutMs === undefined ? {} : { timeoutMs: options.pdfTimeoutMs }),
  });
  const text = new TextExtractor(options.maxTextBytes === undefined ? {} : { maxBytes: options.maxTextBytes });
  return [pdf, text];
}

/** Delegates to the first extractor that supports the detected type. */
export class ExtractorRegistry implements Extractor {
  readonly name = 'registry';
  private readonly extractors: readonly Extractor[];

  constructor(extractors: readonly Extractor[]) {
    const fallback = extractors.find((e) => e instanceof MetadataOnlyExtractor) ?? new MetadataOnlyExtractor();
    this.extractors = [...extractors.filter((e) => e !== fallback), fallback];
  }

  supports(_type: DetectedType): boolean {
    return true;
  }

  /** The extractor `extract` would delegate to; never undefined thanks to the fallback. */
  select(type: DetectedType): Extractor {
    const chosen = this.extractors.find((e) => e.supports(type));
    if (chosen === undefined) throw new Error('unreachable: the metadata-only extractor supports every type');
    return chosen;
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    const result = await this.select(input.type).extract(input);
    return { ...result, timings: { ...result.timings, extractMs: performance.now() - started } };
  }
}
