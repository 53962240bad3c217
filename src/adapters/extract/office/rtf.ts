import { readFile } from 'node:fs/promises';
import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../../ports/extractor.port.js';
import { assertSize, corruptFile } from './failures.js';
import { isRtf, rtfToText } from './rtf-to-text.js';

export interface RtfExtractorOptions {
  /** Larger files fail with `too_large`; also the cap on extracted characters. Default 64 MiB. */
  readonly maxBytes?: number;
}

/** Rich Text Format (Word, WordPad, TextEdit), Japanese code pages included. */
export class RtfExtractor implements Extractor {
  readonly name = 'rtf';
  private readonly maxBytes: number;

  constructor(options: RtfExtractorOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  supports(type: DetectedType): boolean {
    return type.ext === 'rtf' || type.mime === 'application/rtf' || type.mime === 'text/rtf';
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    await assertSize(input.path, this.maxBytes, 'RTF');
    const bytes = await readFile(input.path, input.signal === undefined ? {} : { signal: input.signal });
    if (!isRtf(bytes)) throw corruptFile('not an RTF document: no {\\rtf header');
    const rtf = rtfToText(bytes, this.maxBytes);
    return {
      text: rtf.text,
      ...(rtf.title === undefined ? {} : { title: rtf.title }),
      ...(rtf.author === undefined ? {} : { author: rtf.author }),
      ocrUsed: false,
      metadataOnly: false,
      extractor: 'rtf',
      warnings: rtf.truncated ? [`text_truncated:${this.maxBytes}`] : [],
      timings: { rtfMs: performance.now() - started },
    };
  }
}
