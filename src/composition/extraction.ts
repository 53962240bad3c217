import { defaultExtractors, ExtractorRegistry } from '../adapters/extract/registry.js';
import { MagicTypeDetector } from '../adapters/extract/type-detector.js';
import { extractionSettings, type Config } from '../config/config.js';
import type { Extractor, TypeDetector } from '../ports/extractor.port.js';

/** Extraction is the same in every mode: both composition roots take it from here. */
export function createExtraction(config: Config): { extractor: Extractor; detector: TypeDetector } {
  return {
    extractor: new ExtractorRegistry(
      defaultExtractors(extractionSettings(config)),
    ),
    detector: new MagicTypeDetector(),
  };
}
