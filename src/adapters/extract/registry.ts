import type { DetectedType, Extraction, ExtractionInput, ExtractionSettings, Extractor } from '../../ports/extractor.port.js';
import { MetadataOnlyExtractor } from './metadata-only-extractor.js';
import { ImageExtractor } from './ocr/image-extractor.js';
import { ScannedPdfOcr } from './ocr/scanned-pdf.js';
import { LegacyOfficeExtractor } from './office/legacy-office.js';
import { MarkupExtractor } from './office/markup.js';
import { OdfExtractor } from './office/odf.js';
import { OoxmlExtractor } from './office/ooxml.js';
import { RtfExtractor } from './office/rtf.js';
import { PdfExtractor } from './pdf-extractor.js';
import { TextExtractor } from './text-extractor.js';

/** Settings for tests and tools that do not load a Config: the production defaults. */
export const DEFAULT_EXTRACTION_SETTINGS: ExtractionSettings = Object.freeze({
  pdfEngine: 'auto',
  timeoutMs: 300_000,
  maxBytes: 100 * 1024 * 1024,
  maxPages: 2_000,
  maxImagePixels: 150_000_000,
  maxDecompressedBytes: 1024 * 1024 * 1024,
  ocr: Object.freeze({ mode: 'auto', languages: 'jpn+eng', dpi: 300 }),
});

/**
 * The extractors in priority order, built from plain settings (so the extraction pool's child
 * processes build exactly the same ones). Adding a format is one file plus one line here; the
 * registry appends the metadata-only fallback itself.
 */
export function defaultExtractors(settings: ExtractionSettings = DEFAULT_EXTRACTION_SETTINGS): Extractor[] {
  return [
    new PdfExtractor({ engine: settings.pdfEngine, timeoutMs: settings.timeoutMs, maxPages: settings.maxPages, ocr: new ScannedPdfOcr(settings) }),
    new OoxmlExtractor({ maxDecompressedBytes: settings.maxDecompressedBytes, maxTextChars: settings.maxBytes }),
    new OdfExtractor({ maxDecompressedBytes: settings.maxDecompressedBytes, maxTextChars: settings.maxBytes }),
    new LegacyOfficeExtractor(),
    new RtfExtractor({ maxBytes: settings.maxBytes }),
    new MarkupExtractor({ maxBytes: settings.maxBytes }),
    new ImageExtractor(settings),
    new TextExtractor({ maxBytes: settings.maxBytes }),
  ];
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
