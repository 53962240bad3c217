import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../ports/extractor.port.js';

/** The last resort: a format without an extractor is still indexed, by name and metadata. */
export class MetadataOnlyExtractor implements Extractor {
  readonly name = 'metadata-only';

  supports(_type: DetectedType): boolean {
    return true;
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    return {
      text: '',
      ocrUsed: false,
      metadataOnly: true,
      extractor: 'metadata-only',
      warnings: [`unsupported_format:${input.type.mime}`],
      timings: {},
    };
  }
}
