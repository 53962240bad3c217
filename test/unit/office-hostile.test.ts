import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyOfficeExtractor } from '../../src/adapters/extract/office/legacy-office.js';
import { OoxmlExtractor } from '../../src/adapters/extract/office/ooxml.js';
import { DEFAULT_EXTRACTION_SETTINGS, defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes, isPermanentError } from '../../src/domain/errors.js';
import type { DetectedType, Extraction, Extractor } from '../../src/ports/extractor.port.js';
import { buildCfb, summaryInformation } from '../support/cfb-builder.js';
import { corpusRoot } from '../support/cli.js';
import { buildZip, docxEntries, wordDocument, zeroBombDeflate, type ZipEntrySpec } from '../support/zip-builder.js';

const DOCX: DetectedType = { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: 'docx', source: 'magic' };
const GiB = 1024 * 1024 * 1024;

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'office-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(bytes: Uint8Array, extension: string): Promise<string> {
  counter += 1;
  const file = path.join(dir, `f${counter}.${extension}`);
  await writeFile(file, bytes);
  return file;
}

async function run(extractor: Extractor, file: string, type: DetectedType = DOCX): Promise<{ outcome: Extraction | unknown; ms: number }> {
  const started = performance.now();
  const input = { path: file, fileName: path.basename(file), extension: path.extname(file).slice(1), size: (await stat(file)).size, type };
  const outcome = await extractor.extract(input).catch((err: unknown) => err);
  return { outcome, ms: performance.now() - started };
}

const ooxml = (maxDecompressedBytes = DEFAULT_EXTRACTION_SETTINGS.maxDecompressedBytes): OoxmlExtractor =>
  new OoxmlExtractor({ maxDecompressedBytes });

function expectCode(outcome: unknown, code: string): void {
  expect(isPermanentError(outcome), String(outcome)).toBe(true);
  expect(outcome).toMatchObject({ code });
}

/** A document part of `paragraphs` distinct paragraphs (compresses like real text, ~10:1). */
const bigDocument = (paragraphs: number): string =>
  wordDocument(Array.from({ length: paragraphs }, (_, i) => `<w:p><w:r><w:t>段落 ${i} ${(i * 7919) % 104729}</w:t></w:r></w:p>`).join(''));

describe('zip bombs', () => {
  it('refuses a 2 GiB zero bomb from its declared size, before inflating a byte', async () => {
    const bomb: ZipEntrySpec = { name: 'word/document.xml', raw: { deflated: zeroBombDeflate(2048), declaredSize: 2 * GiB } };
    const { outcome, ms } = await run(ooxml(), await write(buildZip(docxEntries(bomb)), 'docx'));
    expectCode(outcome, ErrorCodes.DecompressionBomb);
    expect(ms).toBeLessThan(1000);
  });

  it('stops a 2 GiB bomb whose header claims 1 KiB at the first chunk past the claim', async () => {
    const liar: ZipEntrySpec = { name: 'word/document.xml', raw: { deflated: zeroBombDeflate(2048), declaredSize: 1024 } };
    const { outcome, ms } = await run(ooxml(), await write(buildZip(docxEntries(liar)), 'docx'));
    expectCode(outcome, ErrorCodes.DecompressionBomb);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses an entry compressed past 1000:1 even when it fits under the byte cap', async () => {
    const dense: ZipEntrySpec = { name: 'word/document.xml', raw: { deflated: zeroBombDeflate(512), declaredSize: 512 * 1024 * 1024 } };
    const { outcome, ms } = await run(ooxml(), await write(buildZip(docxEntries(dense)), 'docx'));
    expectCode(outcome, ErrorCodes.DecompressionBomb);
    expect(ms).toBeLessThan(1000);
  });

  it('counts inflated bytes across entries against one budget', async () => {
    const rels = `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="h" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>`;
    const entries = docxEntries(bigDocument(60_000), [
      { name: 'word/_rels/document.xml.rels', data: rels },
      { name: 'word/header1.xml', data: bigDocument(60_000) },
    ]);
    const file = await write(buildZip(entries), 'docx');
    // Each part inflates to ~2.6 MB: alone it fits in 4 MiB, both do not.
    const { outcome } = await run(ooxml(4 * 1024 * 1024), file);
    expectCode(outcome, ErrorCodes.DecompressionBomb);
    expect((outcome as { details: Record<string, unknown> }).details).toMatchObject({ entry: 'word/header1.xml' });
    const ok = await run(ooxml(8 * 1024 * 1024), file);
    expect((ok.outcome as Extraction).text).toContain('段落 59999');
  });

  it('refuses an archive listing 100 000 entries before reading its directory', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({ name: `word/media/x${i}.xml`, data: '', store: true }));
    const { outcome, ms } = await run(ooxml(), await write(buildZip(docxEntries(wordDocument(''), many)), 'docx'));
    expectCode(outcome, ErrorCodes.DecompressionBomb);
    expect(ms).toBeLessThan(1000);
  });

  it('does not expand entities declared in a DOCTYPE (billion laughs)', async () => {
    const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const xml = `<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY l0 "lol">${levels}]>${wordDocument('<w:p><w:r><w:t>&l9;本文</w:t></w:r></w:p>')}`;
    const { outcome, ms } = await run(ooxml(), await write(buildZip(docxEntries(xml)), 'docx'));
    expect((outcome as Extraction).text).toContain('本文');
    expect((outcome as Extraction).text).not.toContain('lol');
    expect(ms).toBeLessThan(1000);
  });
});

describe('broken and disguised Office files', () => {
  it('fails a truncated docx (no central directory) as corrupt_file', async () => {
    const whole = buildZip(docxEntries(bigDocument(200)));
    expectCode((await run(ooxml(), await write(whole.subarray(0, whole.length / 2), 'docx'))).outcome, ErrorCodes.CorruptFile);
    const corpus = path.join(corpusRoot, 'broken/tika_testWORD_truncated.docx');
    expectCode((await run(ooxml(), corpus)).outcome, ErrorCodes.CorruptFile);
  });

  it('fails garbage where the deflate stream should be as corrupt_file', async () => {
    const garbage: ZipEntrySpec = { name: 'word/document.xml', raw: { deflated: Buffer.alloc(4000, 0xff), declaredSize: 10_000 } };
    expectCode((await run(ooxml(), await write(buildZip(docxEntries(garbage)), 'docx'))).outcome, ErrorCodes.CorruptFile);
  });

  it('fails a docx without its main part, and an entry escaping the archive, as corrupt_file', async () => {
    const noMain = buildZip(docxEntries({ name: 'word/other.xml', data: wordDocument('') }));
    expectCode((await run(ooxml(), await write(noMain, 'docx'))).outcome, ErrorCodes.CorruptFile);
    const escaping = buildZip(docxEntries(wordDocument(''), [{ name: '../../etc/evil.xml', data: 'x' }]));
    expectCode((await run(ooxml(), await write(escaping, 'docx'))).outcome, ErrorCodes.CorruptFile);
  });

  it('fails a zip-encrypted part as encrypted_file', async () => {
    const locked = buildZip(docxEntries({ name: 'word/document.xml', data: wordDocument(''), encrypted: true }));
    expectCode((await run(ooxml(), await write(locked, 'docx'))).outcome, ErrorCodes.EncryptedFile);
  });

  it('recognises a password-protected docx (OLE2 EncryptedPackage) as encrypted_file', async () => {
    const file = path.join(corpusRoot, 'broken/tika_testWORD_protected_passtika.docx');
    const type = await new MagicTypeDetector().detect(file, 'docx');
    expect(type).toMatchObject({ mime: 'application/x-cfb', mismatch: 'extension .docx but content is application/x-cfb' });
    expectCode((await run(new ExtractorRegistry(defaultExtractors()), file, type)).outcome, ErrorCodes.EncryptedFile);
    // The OOXML extractor alone, told the file is a docx, reaches the same answer.
    expectCode((await run(ooxml(), file)).outcome, ErrorCodes.EncryptedFile);
  });

  it('indexes a plain-text file named .docx as text, with a mismatch note', async () => {
    const file = await write(Buffer.from('これはワード文書ではありません。\n'), 'docx');
    const type = await new MagicTypeDetector().detect(file, 'docx');
    expect(type).toMatchObject({ mime: 'text/plain', mismatch: 'extension .docx but content is text/plain' });
    const { outcome } = await run(new ExtractorRegistry(defaultExtractors()), file, type);
    expect(outcome).toMatchObject({ text: 'これはワード文書ではありません。\n', extractor: 'text/utf-8', metadataOnly: false });
  });
});

describe('legacy Office (OLE2) files', () => {
  const cfb: DetectedType = { mime: 'application/msword', ext: 'doc', source: 'magic' };
  const sjis = (s: string): Uint8Array => Uint8Array.from(Encoding.convert(Encoding.stringToCode(s), 'SJIS', 'UNICODE'));
  /** A Word 97 FIB header: wIdent 0xA5EC, nFib 193, flags at 0x0A. */
  const fib = (flags: number): Uint8Array => {
    const b = Buffer.alloc(4096);
    b.writeUInt16LE(0xa5ec, 0);
    b.writeUInt16LE(193, 2);
    b.writeUInt16LE(flags, 0x0a);
    return b;
  };

  it('indexes a .doc metadata-only, with its CP932 title and author and its page count', async () => {
    const summary = summaryInformation({ codepage: 932, title: sjis('見積書'), author: sjis('山田太郎'), pageCount: 3 });
    const file = await write(buildCfb([{ name: 'WordDocument', data: fib(0) }, { name: '\u0005SummaryInformation', data: summary }]), 'doc');
    const type = await new MagicTypeDetector().detect(file, 'doc');
    expect(type).toEqual(cfb);
    const { outcome } = await run(new ExtractorRegistry(defaultExtractors()), file, type);
    expect(outcome).toMatchObject({ text: '', metadataOnly: true, extractor: 'office/doc', title: '見積書', author: '山田太郎', pageCount: 3 });
  });

  it('fails a password-protected .doc (FIB fEncrypted) and .xls (FILEPASS) as encrypted_file', async () => {
    const doc = await write(buildCfb([{ name: 'WordDocument', data: fib(0x0100) }]), 'doc');
    expectCode((await run(new LegacyOfficeExtractor(), doc, cfb)).outcome, ErrorCodes.EncryptedFile);
    // BOF (0x0809, 16 bytes), then FILEPASS (0x002F).
    const workbook = Buffer.alloc(4096);
    workbook.writeUInt16LE(0x0809, 0);
    workbook.writeUInt16LE(16, 2);
    workbook.writeUInt16LE(0x002f, 20);
    workbook.writeUInt16LE(4, 22);
    const xls = await write(buildCfb([{ name: 'Workbook', data: workbook }]), 'xls');
    expectCode((await run(new LegacyOfficeExtractor(), xls, { mime: 'application/vnd.ms-excel', ext: 'xls', source: 'magic' })).outcome, ErrorCodes.EncryptedFile);
  });

  it('fails an OLE2 header with a looping sector chain as corrupt_file', async () => {
    const bytes = buildCfb([{ name: 'WordDocument', data: fib(0) }]);
    // Point the directory's FAT entry at itself.
    const dirStart = bytes.readUInt32LE(0x30);
    bytes.writeUInt32LE(dirStart, 512 + dirStart * 4);
    expectCode((await run(new LegacyOfficeExtractor(), await write(bytes, 'doc'), cfb)).outcome, ErrorCodes.CorruptFile);
  });
});
