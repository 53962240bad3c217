import { ExtractionPool } from '../adapters/extract/pool/extraction-pool.js';
import { MagicTypeDetector } from '../adapters/extract/type-detector.js';
import { extractionSettings, type Config } from '../config/config.js';
import type { TypeDetector } from '../ports/extractor.port.js';

export interface ExtractionParts {
  /** The extraction pool: child processes, killed at PROCESSING_TIMEOUT. */
  readonly extractor: ExtractionPool;
  /** In-process: it reads only the first 4 KiB of a file. */
  readonly detector: TypeDetector;
}

/**
 * Extraction is the same in every mode: both composition roots take it from here and close the
 * pool with the rest of the runtime. Children start on the first file, so commands that never
 * extract (status, search, ingest) start none.
 */
export function createExtraction(config: Config): ExtractionParts {
  return {
    extractor: new ExtractionPool({
      settings: extractionSettings(config),
      size: config.EXTRACT_POOL_SIZE,
      memoryMb: config.EXTRACT_MEMORY_MB,
    }),
    detector: new MagicTypeDetector(),
  };
}
