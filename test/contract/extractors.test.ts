import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { afterAll } from 'vitest';
import { MetadataOnlyExtractor } from '../../src/adapters/extract/metadata-only-extractor.js';
import { LegacyOfficeExtractor } from '../../src/adapters/extract/office/legacy-office.js';
import { MarkupExtractor } from '../../src/adapters/extract/office/markup.js';
import { OdfExtractor } from '../../src/adapters/extract/office/odf.js';
import { OoxmlExtractor } from '../../src/adapters/extract/office/ooxml.js';
import { RtfExtractor } from '../../src/adapters/extract/office/rtf.js';
import { PdfExtractor } from '../../src/adapters/extract/pdf-extractor.js';
import { DEFAULT_EXTRACTION_SETTINGS, defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { TextExtractor } from '../../src/adapters/extract/text-extractor.js';
import { buildCfb, summaryInformation } from '../support/cfb-builder.js';
import { corpusRoot, repoRoot } from '../support/cli.js';
import { buildZip } from '../support/zip-builder.js';
import { describeExtractorContract } from './extractor.contract.js';

const pdf = { mime: 'application/pdf', ext: 'pdf', source: 'magic' } as const;
const text = { mime: 'text/plain', ext: 'txt', source: 'text' } as const;
const docx = { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: 'docx', source: 'magic' } as const;
const xlsx = { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: 'xlsx', source: 'magic' } as const;
const pptx = { mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', ext: 'pptx', source: 'magic' } as const;
const odt = { mime: 'application/vnd.oasis.opendocument.text', ext: 'odt', source: 'magic' } as const;
const rtf = { mime: 'application/rtf', ext: 'rtf', source: 'magic' } as const;
const cfb = { mime: 'application/x-cfb', ext: 'cfb', source: 'magic' } as const;
const html = { mime: 'text/plain', ext: 'html', source: 'text' } as const;

const sample = (name: string) => path.join(repoRoot, 'samples', name);
const corpus = (name: string) => path.join(corpusRoot, name);

const pdfCases = {
  good: [
    { file: sample('製品カタログ_2026.pdf'), type: pdf, contains: '日本語の文書をすばやく検索できます' },
    { file: corpus('pdf-text/pdfjs_issue16538.pdf'), type: pdf, contains: 'リスク中立確率' },
  ],
  bad: [
    { file: corpus('broken/pdfjs_issue21579.pdf'), type: pdf, contains: '', code: 'encrypted_file' },
    { file: corpus('broken/pdfjs_REDHAT-1531897-0.pdf'), type: pdf, contains: '', code: 'corrupt_file' },
  ],
};

describeExtractorContract('PdfExtractor (poppler)', { makeExtractor: () => new PdfExtractor({ engine: 'poppler' }), ...pdfCases });
describeExtractorContract('PdfExtractor (pdf.js)', { makeExtractor: () => new PdfExtractor({ engine: 'pdfjs' }), ...pdfCases });
describeExtractorContract('TextExtractor', {
  makeExtractor: () => new TextExtractor(),
  good: [
    { file: sample('見積依頼_ShiftJIS.txt'), type: text, contains: '見積依頼書' },
    { file: corpus('text/chardet_iso2022jp_readme.txt'), type: text, contains: 'プロジェクトの概要' },
  ],
});
// Text cannot be corrupt, only too large: a 100-byte cap makes that case.
describeExtractorContract('TextExtractor with a 100-byte cap', {
  makeExtractor: () => new TextExtractor({ maxBytes: 100 }),
  good: [{ file: sample('お知らせ_ISO-2022-JP.txt'), type: text, contains: '全館停電' }],
  bad: [{ file: sample('議事録_定例会議_第12回.txt'), type: text, contains: '', code: 'too_large' }],
});
describeExtractorContract('MetadataOnlyExtractor', {
  makeExtractor: () => new MetadataOnlyExtractor(),
  good: [{ file: corpus('office/tika_testWORD.docx'), type: { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: 'docx', source: 'magic' }, contains: '' }],
});
describeExtractorContract('ExtractorRegistry (defaults)', {
  makeExtractor: () => new ExtractorRegistry(defaultExtractors()),
  good: [
    { file: sample('製品カタログ_2026.pdf'), type: pdf, contains: '製品カタログ' },
    { file: sample('設計メモ_EUC-JP.txt'), type: text, contains: '全文検索' },
    { file: corpus('office/tika_testWORD.docx'), type: { mime: 'application/zip', ext: 'zip', source: 'magic' }, contains: '' },
    { file: corpus('office/tika_testWORD.docx'), type: docx, contains: 'Sample Word Document' },
    { file: sample('release-notes.md'), type: { mime: 'text/plain', ext: 'md', source: 'text' }, contains: '' },
  ],
});

// Office and markup formats. The corpus has OOXML only; the other formats are generated here.
const fixtures = mkdtempSync(path.join(tmpdir(), 'extractor-contract-'));
afterAll(() => rmSync(fixtures, { recursive: true, force: true }));
function fixture(name: string, bytes: Uint8Array): string {
  const file = path.join(fixtures, name);
  writeFileSync(file, bytes);
  return file;
}
const sjis = (s: string): Buffer => Buffer.from(Encoding.convert(Encoding.stringToCode(s), 'SJIS', 'UNICODE'));
const odtBytes = buildZip([
  { name: 'mimetype', data: odt.mime, store: true },
  {
    name: 'content.xml',
    data: '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>オープン文書の本文</text:p></office:text></office:body></office:document-content>',
  },
]);
const rtfBytes = Buffer.concat([Buffer.from("{\\rtf1\\ansi\\ansicpg932 "), Buffer.from([...sjis('リッチテキストの本文')].map((b) => `\\'${b.toString(16)}`).join('')), Buffer.from('\\par}')]);

describeExtractorContract('OoxmlExtractor', {
  makeExtractor: () => new OoxmlExtractor({ maxDecompressedBytes: DEFAULT_EXTRACTION_SETTINGS.maxDecompressedBytes }),
  good: [
    { file: corpus('office/tika_testWORD_phonetic.docx'), type: docx, contains: '東京' },
    { file: corpus('office/tika_testEXCEL_phonetic.xlsx'), type: xlsx, contains: '製品戦略事業統括本部' },
    { file: corpus('office/tika_testPPT_various.pptx'), type: pptx, contains: 'ゾルゲと尾崎' },
  ],
  bad: [
    { file: corpus('broken/tika_testWORD_truncated.docx'), type: docx, contains: '', code: 'corrupt_file' },
    { file: corpus('broken/tika_testWORD_protected_passtika.docx'), type: docx, contains: '', code: 'encrypted_file' },
  ],
});
describeExtractorContract('OdfExtractor', {
  makeExtractor: () => new OdfExtractor({ maxDecompressedBytes: DEFAULT_EXTRACTION_SETTINGS.maxDecompressedBytes }),
  good: [{ file: fixture('good.odt', odtBytes), type: odt, contains: 'オープン文書の本文' }],
  bad: [{ file: fixture('truncated.odt', odtBytes.subarray(0, odtBytes.length - 30)), type: odt, contains: '', code: 'corrupt_file' }],
});
describeExtractorContract('LegacyOfficeExtractor', {
  makeExtractor: () => new LegacyOfficeExtractor(),
  good: [
    {
      file: fixture('legacy.doc', buildCfb([{ name: '\u0005SummaryInformation', data: summaryInformation({ codepage: 932, title: sjis('旧形式') }) }])),
      type: { mime: 'application/msword', ext: 'doc', source: 'magic' },
      contains: '',
    },
  ],
  bad: [{ file: corpus('broken/tika_testWORD_protected_passtika.docx'), type: cfb, contains: '', code: 'encrypted_file' }],
});
describeExtractorContract('RtfExtractor', {
  makeExtractor: () => new RtfExtractor(),
  good: [{ file: fixture('good.rtf', rtfBytes), type: rtf, contains: 'リッチテキストの本文' }],
  bad: [{ file: sample('release-notes.md'), type: rtf, contains: '', code: 'corrupt_file' }],
});
describeExtractorContract('MarkupExtractor', {
  makeExtractor: () => new MarkupExtractor(),
  good: [
    { file: fixture('page.html', sjis('<html><head><meta charset="Shift_JIS"></head><body><p>ホームページ</p></body></html>')), type: html, contains: 'ホームページ' },
    { file: sample('release-notes.md'), type: { mime: 'text/plain', ext: 'md', source: 'text' }, contains: '' },
  ],
});
describeExtractorContract('MarkupExtractor with a 100-byte cap', {
  makeExtractor: () => new MarkupExtractor({ maxBytes: 100 }),
  good: [{ file: fixture('small.html', Buffer.from('<p>小さい</p>')), type: html, contains: '小さい' }],
  bad: [{ file: sample('議事録_定例会議_第12回.txt'), type: html, contains: '', code: 'too_large' }],
});
