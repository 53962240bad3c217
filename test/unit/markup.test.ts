import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDeclared } from '../../src/adapters/extract/office/charset.js';
import { MarkupExtractor } from '../../src/adapters/extract/office/markup.js';
import { defaultExtractors, ExtractorRegistry } from '../../src/adapters/extract/registry.js';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import { ErrorCodes } from '../../src/domain/errors.js';
import type { DetectedType, Extraction } from '../../src/ports/extractor.port.js';

const encode = (s: string, to: 'SJIS' | 'EUCJP'): Buffer => Buffer.from(Encoding.convert(Encoding.stringToCode(s), to, 'UNICODE'));
const text = (ext: string): DetectedType => ({ mime: 'text/plain', ext, source: 'text' });

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'markup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function extract(bytes: Uint8Array, ext: string, extractor = new MarkupExtractor()): Promise<Extraction> {
  counter += 1;
  const file = path.join(dir, `m${counter}.${ext}`);
  await writeFile(file, bytes);
  return extractor.extract({ path: file, fileName: path.basename(file), extension: ext, size: bytes.length, type: text(ext) });
}

const PAGE = `<!DOCTYPE html><html><head><meta charset="Shift_JIS"><title>会議のお知らせ</title><meta name="Author" content="総務部 山田">
<style>body { font-family: "ＭＳ ゴシック"; }</style><script>var x = "スクリプト";</script></head>
<body><h1>定例会議</h1><p>日時：４月１日<br>場所：第１会議室</p><noscript>有効にしてください</noscript>
<table><tr><td>議題</td><td>予算</td></tr></table><p>本日は
晴天なり &amp; 快晴&#x3002;</p></body></html>`;

describe('HTML', () => {
  it('decodes a Shift_JIS page by its <meta charset>, with title, author, blocks and cells', async () => {
    const r = await extract(encode(PAGE, 'SJIS'), 'html');
    expect(r).toMatchObject({ extractor: 'markup/html', title: '会議のお知らせ', author: '総務部 山田', warnings: [] });
    expect(r.text).toBe('定例会議\n日時：４月１日\n場所：第１会議室\n議題\t予算\t\n本日は晴天なり & 快晴。');
    for (const hidden of ['スクリプト', 'ゴシック', '有効に', '会議のお知らせ']) expect(r.text).not.toContain(hidden);
  });

  it('reads the charset of <meta http-equiv="Content-Type"> (EUC-JP) and labels outside the WHATWG list (cp932)', async () => {
    const eucPage = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=EUC-JP"></head><body>設計メモ</body></html>';
    expect((await extract(encode(eucPage, 'EUCJP'), 'html')).text).toBe('設計メモ');
    const cp932 = '<html><head><meta charset=cp932></head><body>①②㈱髙</body></html>';
    expect(await extract(encode(cp932, 'SJIS'), 'html')).toMatchObject({ text: '①②㈱髙', warnings: [] });
  });

  it('detects the encoding of a page that declares none', async () => {
    const r = await extract(encode('<html><body><p>文字コードの宣言がないページです。</p></body></html>', 'SJIS'), 'html');
    expect(r.text).toBe('文字コードの宣言がないページです。');
  });

  it('falls back to detection when the declaration lies, and notes it', async () => {
    const lying = Buffer.from('<html><head><meta charset="Shift_JIS"></head><body>実はUTF-8です</body></html>', 'utf8');
    expect(await extract(lying, 'html')).toMatchObject({ text: '実はUTF-8です', warnings: ['charset_mismatch:shift_jis->utf-8'] });
    const latin = Buffer.from('<html><head><meta charset="iso-8859-1"></head><body>日本語</body></html>', 'utf8');
    expect(await extract(latin, 'html')).toMatchObject({ text: '日本語', warnings: ['charset_mismatch:windows-1252->utf-8'] });
    const realLatin = Buffer.from('<html><head><meta charset="iso-8859-1"></head><body>café</body></html>', 'latin1');
    expect(await extract(realLatin, 'html')).toMatchObject({ text: 'café', warnings: [] });
  });

  it('reads an HTML table saved as .xls (web-system "Excel" exports) as HTML', async () => {
    const file = path.join(dir, 'export.xls');
    await writeFile(file, encode('<html><head><meta charset="Shift_JIS"></head><body><table><tr><td>売上</td><td>１００</td></tr></table></body></html>', 'SJIS'));
    const type = await new MagicTypeDetector().detect(file, 'xls');
    expect(type).toMatchObject({ mime: 'text/plain', ext: 'html', mismatch: 'extension .xls but content is text/plain' });
    const r = await new ExtractorRegistry(defaultExtractors()).extract({ path: file, fileName: 'export.xls', extension: 'xls', size: 1, type });
    expect(r).toMatchObject({ extractor: 'markup/html', text: '売上\t１００' });
  });
});

describe('XML', () => {
  it('decodes by the XML declaration and keeps text nodes and CDATA, one element per line', async () => {
    const xml = `<?xml version="1.0" encoding="Shift_JIS"?><doc><title>報告書</title><item a="属性は除く">第一項</item><note><![CDATA[<注記> & 補足]]></note></doc>`;
    const r = await extract(encode(xml, 'SJIS'), 'xml');
    expect(r).toMatchObject({ extractor: 'markup/xml', title: '報告書', text: '報告書\n第一項\n<注記> & 補足' });
  });

  it('decodes UTF-16 with a BOM and EUC-JP by declaration', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0" encoding="UTF-16"?><r>ユニコード</r>', 'utf16le')]);
    expect((await extract(utf16, 'xml')).text).toBe('ユニコード');
    expect((await extract(encode('<?xml version="1.0" encoding="EUC-JP"?><r>日本語</r>', 'EUCJP'), 'xml')).text).toBe('日本語');
  });

  it('never expands entities declared in a DOCTYPE', async () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;本文</r>';
    const r = await extract(Buffer.from(xml), 'xml');
    expect(r.text).toContain('本文');
    expect(r.text).not.toContain('AAAA');
  });
});

describe('JSON, CSV, TSV and Markdown', () => {
  it('turns JSON into readable key: value lines, keys and strings included', async () => {
    const json = JSON.stringify({ 件名: '見積依頼', 明細: [{ 品名: 'ノートPC', 数量: 3 }], 確定: true, 備考: null });
    expect(await extract(Buffer.from(json), 'json')).toMatchObject({
      extractor: 'markup/json',
      text: '件名: 見積依頼\n明細:\n品名: ノートPC\n数量: 3\n確定\n備考',
      warnings: [],
    });
  });

  it('keeps invalid JSON as text, and reads JSON Lines line by line', async () => {
    expect(await extract(Buffer.from('{"壊れた": '), 'json')).toMatchObject({ text: '{"壊れた": ', warnings: ['json_invalid'] });
    const lines = '{"a":"一行目"}\n{"b":"二行目"}\n';
    expect((await extract(Buffer.from(lines), 'jsonl')).text).toBe('a: 一行目\nb: 二行目\n');
  });

  it('reads CSV, TSV and Markdown as decoded text', async () => {
    expect(await extract(encode('品名,数量\nりんご,3\n', 'SJIS'), 'csv')).toMatchObject({ text: '品名,数量\nりんご,3\n', extractor: 'markup/csv' });
    const tsv = '品名\t数量\t備考\nノートパソコン\t3\t来週までに納品してください。\n'.repeat(5);
    expect((await extract(encode(tsv, 'EUCJP'), 'tsv')).text).toBe(tsv);
    expect(await extract(Buffer.from('# 見出し\n\n*強調* と `code`\n'), 'md')).toMatchObject({ text: '# 見出し\n\n*強調* と `code`\n', extractor: 'markup/markdown' });
  });

  it('claims only the text formats it parses, and fails over the byte cap with too_large', async () => {
    const m = new MarkupExtractor();
    expect(['html', 'xml', 'json', 'csv', 'tsv', 'md'].every((e) => m.supports(text(e)))).toBe(true);
    expect(m.supports(text('txt'))).toBe(false);
    expect(m.supports({ mime: 'application/pdf', ext: 'pdf', source: 'magic' })).toBe(false);
    await expect(extract(Buffer.from('x'.repeat(200)), 'html', new MarkupExtractor({ maxBytes: 100 }))).rejects.toMatchObject({ code: ErrorCodes.TooLarge });
  });
});

describe('decodeDeclared', () => {
  it('lets a BOM win over any declaration', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<meta charset="Shift_JIS">日本', 'utf8')]);
    expect(decodeDeclared(bytes, 'Shift_JIS')).toMatchObject({ encoding: 'utf-8', text: '<meta charset="Shift_JIS">日本' });
  });

  it('notes an unknown label and detects instead', () => {
    expect(decodeDeclared(encode('日本語の文章です', 'SJIS'), 'x-unknown')).toMatchObject({
      encoding: 'shift_jis',
      text: '日本語の文章です',
      warnings: ['charset_unknown:x-unknown'],
    });
  });
});
