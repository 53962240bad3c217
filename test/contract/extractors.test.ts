import path from 'node:path';
import { MetadataOnlyExtractor } from '../../src/adapters/extract/metadata-only-extractor.js';
import { PdfExtractor } from '../../src/adapters/extract/pdf-extractor.js';
import { defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { TextExtractor } from '../../src/adapters/extract/text-extractor.js';
import { corpusRoot, repoRoot } from '../support/cli.js';
import { describeExtractorContract } from './extractor.contract.js';

const pdf = { mime: 'application/pdf', ext: 'pdf', source: 'magic' } as const;
const text = { mime: 'text/plain', ext: 'txt', source: 'text' } as const;
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
  ],
});
