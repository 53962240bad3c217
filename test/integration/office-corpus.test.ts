import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes } from '../../src/domain/errors.js';
import { normalizeText } from '../../src/domain/text.js';
import type { Extraction } from '../../src/ports/extractor.port.js';
import { corpusRoot } from '../support/cli.js';

const rows = readFileSync(path.join(corpusRoot, 'MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .filter((cols) => (cols[0] ?? '').startsWith('office/'))
  .map((cols) => ({ file: cols[0] ?? '', snippet: cols[7] ?? '' }));

const squash = (s: string): string => normalizeText(s).replace(/\s+/gu, '');
const registry = new ExtractorRegistry(defaultExtractors());
const detector = new MagicTypeDetector();

async function extract(file: string): Promise<Extraction> {
  const full = path.join(corpusRoot, file);
  const extension = path.extname(file).slice(1);
  const type = await detector.detect(full, extension);
  return registry.extract({ path: full, fileName: path.basename(file), extension, size: (await stat(full)).size, type });
}

/** Title, author and page/sheet/slide count each file carries (docProps/core.xml and app.xml). */
const METADATA: Record<string, Partial<Pick<Extraction, 'title' | 'author' | 'pageCount'>>> = {
  'office/tika_testEXCEL.xlsx': { title: 'Simple Excel document', author: 'Keith Bennett' },
  'office/tika_testEXCEL_phonetic.xlsx': { title: undefined, author: 'Windows ユーザー', pageCount: 3 },
  'office/tika_testPPT.pptx': { title: 'Attachment Test', author: 'Rajiv', pageCount: 3 },
  'office/tika_testPPT_various.pptx': { title: 'Slide 1', author: 'Michael McCandless', pageCount: 1 },
  'office/tika_testWORD.docx': { title: 'Sample Word Document', author: 'Keith Bennett', pageCount: 2 },
  'office/tika_testWORD_phonetic.docx': { title: undefined, author: 'Allison, Timothy B.', pageCount: 1 },
  'office/tika_testWORD_various.docx': { title: undefined, author: 'Michael McCandless', pageCount: 2 },
};

describe('office/ corpus', () => {
  it('has rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(7);
  });

  it.each(rows)('$file yields its snippet, title and author', async ({ file, snippet }) => {
    const r = await extract(file);
    expect(r.metadataOnly).toBe(false);
    expect(r.extractor).toBe(`office/${path.extname(file).slice(1)}`);
    expect(squash(r.text), `${file}: "${snippet}" not extracted`).toContain(squash(snippet));
    expect({ title: r.title, author: r.author, pageCount: r.pageCount }).toMatchObject(METADATA[file] ?? {});
  });

  it('leaves the ruby reading out of the Word text (東京, not とうきょう東京)', async () => {
    const r = await extract('office/tika_testWORD_phonetic.docx');
    expect(squash(r.text)).toContain('東京');
    expect(r.text).not.toContain('とうきょう');
  });

  it('leaves phonetic runs out of the Excel cells', async () => {
    const r = await extract('office/tika_testEXCEL_phonetic.xlsx');
    expect(r.text).toContain('製品戦略事業統括本部');
    expect(r.text).toContain('豊田車会社');
    // Readings that exist only as <rPh> runs.
    for (const reading of ['セイヒン', 'トウカツ', 'ホンブ', 'ジギョウ', 'トヨタクルマカイシャ']) expect(r.text).not.toContain(reading);
    // Sheet names come first, cells are tab-separated.
    expect(r.text.startsWith('Sheet1\n')).toBe(true);
    expect(r.text).toMatch(/1\t豊田\t/);
  });

  it('keeps a Word text box once (the VML fallback copy is skipped) with headers, footnotes and tables', async () => {
    const r = await extract('office/tika_testWORD_various.docx');
    expect(r.text.match(/Here is a text box/g)).toHaveLength(1);
    expect(r.text).toContain('Footnote appears here');
    expect(r.text).toContain('Row 1 Col 1\tRow 1 Col 2');
    expect(r.text).toContain('𐌲𐌿𐍄𐌹𐍃𐌺');
  });

  it('reads slides in order, then their notes', async () => {
    const r = await extract('office/tika_testPPT_various.pptx');
    expect(squash(r.text)).toContain(squash('ゾルゲと尾崎、淡々と最期'));
    const deck = await extract('office/tika_testPPT.pptx');
    expect(deck.pageCount).toBe(3);
  });
});

describe('broken/ Office files', () => {
  it('fails the truncated docx (no central directory) as corrupt_file', async () => {
    await expect(extract('broken/tika_testWORD_truncated.docx')).rejects.toMatchObject({ code: ErrorCodes.CorruptFile });
  });

  it('fails the password-protected docx (OLE2 EncryptedPackage) as encrypted_file', async () => {
    await expect(extract('broken/tika_testWORD_protected_passtika.docx')).rejects.toMatchObject({ code: ErrorCodes.EncryptedFile });
  });
});
