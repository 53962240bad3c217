/**
 * Text extraction. Every extractor returns the same shape, so adding a format is adding one
 * file under src/adapters/extract/ and one line in its registry.
 */

export interface DetectedType {
  /** MIME type from magic bytes, or from the extension when the bytes say nothing. */
  readonly mime: string;
  /** Canonical extension for the detected type (`pdf`, `txt`, …). */
  readonly ext: string;
  /** How the type was decided. */
  readonly source: 'magic' | 'text' | 'extension' | 'unknown';
  /** Set when the file's extension disagrees with its bytes (noted, never an error). */
  readonly mismatch?: string;
}

export interface ExtractionInput {
  readonly path: string;
  readonly fileName: string;
  readonly extension: string;
  readonly size: number;
  readonly type: DetectedType;
  readonly signal?: AbortSignal;
}

export interface Extraction {
  readonly text: string;
  readonly title?: string;
  readonly author?: string;
  readonly pageCount?: number;
  readonly ocrUsed: boolean;
  /** True when the format has no extractor: the document carries metadata only. */
  readonly metadataOnly: boolean;
  /** `text/shift_jis`, `pdf/poppler`, … */
  readonly extractor: string;
  readonly warnings: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

export interface Extractor {
  readonly name: string;
  supports(type: DetectedType): boolean;
  extract(input: ExtractionInput): Promise<Extraction>;
}

/** Detects the real type of a local file. */
export interface TypeDetector {
  detect(path: string, extension: string): Promise<DetectedType>;
}

/**
 * Everything an extractor needs to be built, as plain data: the extraction pool sends it to its
 * child processes, which build the same extractors there.
 */
export interface ExtractionSettings {
  /** `auto` = poppler when installed, else pdf.js. */
  readonly pdfEngine: 'auto' | 'poppler' | 'pdfjs';
  /** Per file; the pool kills the work when it passes (permanent `extraction_timeout`). */
  readonly timeoutMs: number;
  /** Text formats read at most this many bytes (`too_large` beyond). */
  readonly maxBytes: number;
  /** PDFs and multi-page images with more pages fail with `too_many_pages`. */
  readonly maxPages: number;
  /** Images (and rendered pages) above width × height fail with `too_many_pixels`, before decoding. */
  readonly maxImagePixels: number;
  /** Zip-based formats (docx, xlsx, odt…) whose entries inflate past this fail with `decompression_bomb`. */
  readonly maxDecompressedBytes: number;
  readonly ocr: {
    /** `auto` = OCR when tesseract and the languages are installed; otherwise metadata-only with a flag. */
    readonly mode: 'auto' | 'off';
    /** Tesseract languages, e.g. `jpn+eng`. */
    readonly languages: string;
    readonly dpi: number;
  };
}
