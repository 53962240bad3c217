import { ErrorCodes, isFilesearchError } from '../../../domain/errors.js';
import { CfbReader, hasCfbSignature } from './cfb-reader.js';
import { corruptFile, encryptedFile } from './failures.js';
import { describeCfbEncryption } from './legacy-office.js';
import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../../ports/extractor.port.js';
import { withZip, type SafeZip, type ZipLimits } from './zip-reader.js';

/** What the zip-based extractors (OOXML, ODF) share: their options and how a failed open is explained. */

export interface ZipExtractorOptions {
  /** `ExtractionSettings.maxDecompressedBytes`: inflated bytes allowed per file. */
  readonly maxDecompressedBytes: number;
  /** Characters of text kept (`ExtractionSettings.maxBytes`); parsing stops there. Default 64 Mi. */
  readonly maxTextChars?: number;
  /** Overrides of the other zip limits (entry count, ratio), for tests and tools. */
  readonly zip?: Omit<ZipLimits, 'maxDecompressedBytes'>;
}

export const DEFAULT_MAX_TEXT_CHARS = 64 * 1024 * 1024;

/**
 * A zip-based extractor failed to open its file. A password-protected Office file is an OLE2
 * container, not a zip: when the bytes say so, the real reason is encryption.
 */
export async function explainZipFailure(err: unknown, path: string): Promise<unknown> {
  if (!isFilesearchError(err) || err.code !== ErrorCodes.CorruptFile) return err;
  if (!(await hasCfbSignature(path).catch(() => false))) return err;
  try {
    const cfb = await CfbReader.open(path);
    try {
      const encryption = await describeCfbEncryption(cfb);
      return encryption === undefined ? corruptFile('an OLE2 (Office 97-2003) file, not a zip-based document', err) : encryptedFile(encryption);
    } finally {
      await cfb.close();
    }
  } catch {
    return err;
  }
}


/** The frame every zip-based document extractor shares: limits, type check, open, explain failures. */
export abstract class ZipDocumentExtractor implements Extractor {
  abstract readonly name: string;
  protected readonly limits: ZipLimits;
  protected readonly maxTextChars: number;

  constructor(
    options: ZipExtractorOptions,
    private readonly extensions: ReadonlySet<string>,
  ) {
    this.limits = { ...options.zip, maxDecompressedBytes: options.maxDecompressedBytes };
    this.maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  }

  supports(type: DetectedType): boolean {
    return this.extensions.has(type.ext);
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    try {
      return await withZip(input.path, this.limits, input.signal, (zip) => this.extractFrom(zip, input, started));
    } catch (err) {
      throw await explainZipFailure(err, input.path);
    }
  }

  protected abstract extractFrom(zip: SafeZip, input: ExtractionInput, started: number): Promise<Extraction>;
}
