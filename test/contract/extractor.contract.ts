import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFilesearchError } from '../../src/domain/errors.js';
import { normalizeText } from '../../src/domain/text.js';
import type { DetectedType, Extractor } from '../../src/ports/extractor.port.js';

export interface ExtractorSample {
  readonly file: string;
  readonly type: DetectedType;
  /** Must appear in the normalised, whitespace-free text ('' for metadata-only). */
  readonly contains: string;
}

export interface ExtractorContractCase {
  readonly makeExtractor: () => Extractor;
  readonly good: readonly ExtractorSample[];
  /** Inputs the format can get wrong; each must fail with one of our classified errors and this code. */
  readonly bad?: ReadonlyArray<ExtractorSample & { readonly code: string }>;
}

const squash = (s: string) => normalizeText(s).replace(/\s+/g, '');

/** The Extractor contract: one shape for every format, and only classified errors. */
export function describeExtractorContract(name: string, c: ExtractorContractCase): void {
  describe(`Extractor contract: ${name}`, () => {
    it.each(c.good.map((s) => [path.basename(s.file), s] as const))('extracts %s into the common shape', async (_n, s) => {
      const extractor = c.makeExtractor();
      expect(extractor.supports(s.type)).toBe(true);
      const result = await extractor.extract({
        path: s.file,
        fileName: path.basename(s.file),
        extension: path.extname(s.file).slice(1),
        size: fs.statSync(s.file).size,
        type: s.type,
      });
      expect(typeof result.text).toBe('string');
      expect(typeof result.ocrUsed).toBe('boolean');
      expect(typeof result.metadataOnly).toBe('boolean');
      expect(result.extractor).toMatch(/^[a-z0-9-]+(\/[a-z0-9_.-]+)?$/i);
      expect(Array.isArray(result.warnings)).toBe(true);
      expect(typeof result.timings).toBe('object');
      if (result.pageCount !== undefined) expect(Number.isInteger(result.pageCount) && result.pageCount >= 0).toBe(true);
      expect(squash(result.text)).toContain(squash(s.contains));
    });

    it.each((c.bad ?? []).map((s) => [path.basename(s.file), s] as const))('fails on %s with a classified error', async (_n, s) => {
      const extractor = c.makeExtractor();
      const outcome = await extractor
        .extract({ path: s.file, fileName: path.basename(s.file), extension: path.extname(s.file).slice(1), size: fs.statSync(s.file).size, type: s.type })
        .then(() => 'resolved', (err: unknown) => err);
      expect(isFilesearchError(outcome), `expected a FilesearchError, got ${String(outcome)}`).toBe(true);
      expect((outcome as { code: string }).code).toBe(s.code);
    });
  });
}
