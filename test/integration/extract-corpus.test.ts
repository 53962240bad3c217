import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPopplerAvailable, PdfExtractor, type PdfEngine } from '../../src/adapters/extract/pdf-extractor.js';
import { defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { TextExtractor } from '../../src/adapters/extract/text-extractor.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes, isPermanentError } from '../../src/domain/errors.js';
import { normalizeText } from '../../src/domain/text.js';
import type { Extraction } from '../../src/ports/extractor.port.js';
import { corpusRoot } from '../support/cli.js';

const CORPUS = corpusRoot;
/** pdf.js maps the non-embedded 90ms-RKSJ-H CID font to the wrong glyphs; poppler gets it right. */
const PDFJS_KNOWN_BAD = 'pdf-text/pdfjs_90ms_rksj_h_sample.pdf';

interface Row {
  readonly file: string;
  readonly snippet: string;
  readonly stretch: boolean;
}

const rows: Row[] = readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => line.split('\t'))
  .map((cols) => ({ file: cols[0] ?? '', snippet: cols[7] ?? '', stretch: (cols[8] ?? '').startsWith('STRETCH') }));

const textRows = rows.filter((r) => r.file.startsWith('text/'));
const pdfRows = rows.filter((r) => r.file.startsWith('pdf-text/'));

const squash = (s: string): string => normalizeText(s).replace(/\s+/gu, '');
const detector = new MagicTypeDetector();

function registry(engine: PdfEngine): ExtractorRegistry {
  return new ExtractorRegistry([new PdfExtractor({ engine }), new TextExtractor()]);
}

async function extract(reg: ExtractorRegistry, file: string): Promise<Extraction> {
  const full = path.join(CORPUS, file);
  const extension = path.extname(file).slice(1).toLowerCase();
  const type = await detector.detect(full, extension);
  const { size } = await stat(full);
  return reg.extract({ path: full, fileName: path.basename(file), extension, size, type });
}

/** The extraction, or the error it failed with. */
const settle = (p: Promise<Extraction>): Promise<Extraction | unknown> => p.catch((err: unknown) => err);

const timings = new Map<string, { poppler?: number; pdfjs?: number }>();
function recordTiming(file: string, engine: 'poppler' | 'pdfjs', r: Extraction): void {
  timings.set(file, { ...timings.get(file), [engine]: r.timings.extractMs });
}

afterAll(() => {
  const fmt = (ms: number | undefined): string => (ms === undefined ? '-' : `${ms.toFixed(0)} ms`).padStart(9);
  const lines = [...timings].map(([file, t]) => `${file.padEnd(44)} ${fmt(t.poppler)} ${fmt(t.pdfjs)}`);
  if (lines.length > 0) console.log(['PDF extraction time', `${'file'.padEnd(44)}   poppler     pdf.js`, ...lines].join('\n'));
});

beforeAll(async () => {
  expect(rows.length, `no rows in ${CORPUS}/MANIFEST.tsv`).toBeGreaterThan(0);
});

describe('text/ corpus', () => {
  const reg = registry('auto');
  it.each(textRows)('$file', async ({ file, snippet, stretch }) => {
    const r = await extract(reg, file);
    const found = squash(r.text).includes(squash(snippet));
    if (stretch) {
      console.log(`STRETCH ${file}: ${found ? 'found' : 'NOT found'} via ${r.extractor}`);
      return;
    }
    expect(r.metadataOnly).toBe(false);
    expect(found, `${file} via ${r.extractor}: snippet "${snippet}" not in extracted text`).toBe(true);
  });
});

describe('pdf-text/ corpus with poppler', () => {
  beforeAll(async () => {
    expect(await isPopplerAvailable('pdftotext'), 'pdftotext is not installed (apt-get install poppler-utils)').toBe(true);
    expect(await isPopplerAvailable('pdfinfo'), 'pdfinfo is not installed (apt-get install poppler-utils)').toBe(true);
  });
  const reg = registry('poppler');
  it.each(pdfRows)('$file', async ({ file, snippet }) => {
    const r = await extract(reg, file);
    recordTiming(file, 'poppler', r);
    expect(r.extractor).toBe('pdf/poppler');
    expect(r.pageCount).toBeGreaterThan(0);
    expect(squash(r.text), `${file}: snippet "${snippet}" not extracted`).toContain(squash(snippet));
  });
});

describe('pdf-text/ corpus with pdf.js', () => {
  const reg = registry('pdfjs');
  it.each(pdfRows)('$file', async ({ file, snippet }) => {
    const r = await extract(reg, file);
    recordTiming(file, 'pdfjs', r);
    expect(r.extractor).toBe('pdf/pdfjs');
    const found = squash(r.text).includes(squash(snippet));
    if (file === PDFJS_KNOWN_BAD) {
      expect(found, `pdf.js now extracts ${file}: drop it from PDFJS_KNOWN_BAD`).toBe(false);
    } else {
      expect(found, `${file}: snippet "${snippet}" not extracted`).toBe(true);
    }
  });
});

describe.each(['poppler', 'pdfjs'] as const)('broken/ files with %s', (engine) => {
  const reg = registry(engine);

  it.each(['broken/pdfjs_issue21579.pdf', 'broken/pdfjs_issue3371.pdf'])('%s is encrypted_file', async (file) => {
    const err = await settle(extract(reg, file));
    expect(isPermanentError(err), String(err)).toBe(true);
    expect(err).toMatchObject({ code: ErrorCodes.EncryptedFile });
  });

  it.each(['broken/pdfjs_REDHAT-1531897-0.pdf', 'broken/pdfjs_issue18986.pdf'])(
    '%s fails as corrupt_file or yields a result',
    async (file) => {
      const outcome = await settle(extract(reg, file));
      if (outcome instanceof Error) {
        expect(isPermanentError(outcome), String(outcome)).toBe(true);
        expect(outcome).toMatchObject({ code: ErrorCodes.CorruptFile });
      } else {
        expect(outcome).toMatchObject({ extractor: `pdf/${engine}`, metadataOnly: false });
      }
    },
  );

  it('recovers broken/pdfjs_xref_command_missing.pdf', async () => {
    const r = await extract(reg, 'broken/pdfjs_xref_command_missing.pdf');
    expect(squash(r.text)).toContain('Reducedtest-case');
  });
});

describe('broken/ non-PDF files', () => {
  const reg = registry('auto');

  it('returns empty text for a zero-byte .txt', async () => {
    const r = await extract(reg, 'broken/tika_zero_bytes.txt');
    expect(r).toMatchObject({ text: '', metadataOnly: false, warnings: [] });
  });

  it.each([
    ['broken/tika_testWORD_truncated.docx', 'corrupt_file'],
    ['broken/tika_testWORD_protected_passtika.docx', 'encrypted_file'],
  ])('%s fails cleanly with %s', async (file, code) => {
    const outcome = await settle(extract(new ExtractorRegistry(defaultExtractors()), file));
    expect(isPermanentError(outcome), String(outcome)).toBe(true);
    expect((outcome as { code: string }).code).toBe(code);
  });
});
