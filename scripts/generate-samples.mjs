#!/usr/bin/env node
// Writes the demo files in samples/ (committed; re-run after editing the texts below).
// Japanese in several encodings and a PDF whose text layer uses a CID font, like real
// Japanese office output. Run: node scripts/generate-samples.mjs
import fs from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';

const out = path.resolve(import.meta.dirname, '..', 'samples');
fs.mkdirSync(out, { recursive: true });

const encode = (text, to) => Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to, from: 'UNICODE' }));

const minutes = `第12回 定例会議 議事録
日時: 2026年4月14日(火) 10:00〜11:30
場所: 本社 3階 会議室A
出席者: 山田、佐藤、鈴木、田中

1. 前回の議事録の確認
   特に修正なし。

2. 新倉庫の設計図について
   鈴木より配置図の第2版を説明。搬入口の位置を変更する。
   図3の通路幅は 2.5m を確保すること。

3. 見積の進捗
   佐藤より、空調工事の見積を3社に依頼済みと報告。

次回の会議は4月28日(火)。
`;
fs.writeFileSync(path.join(out, '議事録_定例会議_第12回.txt'), minutes);

const quote = `見積依頼書
株式会社サンプル商事 御中

下記の通りお見積りをお願い申し上げます。
① 品名: 業務用エアコン 天井カセット形 ４台
② 納期: 2026年6月末日
③ 設置場所: 大阪営業所 ２階 事務室

㈱ファイルサーチ 総務部 高橋
`;
fs.writeFileSync(path.join(out, '見積依頼_ShiftJIS.txt'), encode(quote, 'SJIS'));

const memo = `設計メモ (EUC-JP)
全文検索は日本語の1文字・2文字の語でも見つかること。
例: 「図」「会議」。全角ＡＢＣと半角ABCは同じ語として扱う。
`;
fs.writeFileSync(path.join(out, '設計メモ_EUC-JP.txt'), encode(memo, 'EUCJP'));

const notice = `お知らせ (ISO-2022-JP)
来週月曜日は全館停電のため、ファイルサーバを停止します。
`;
fs.writeFileSync(path.join(out, 'お知らせ_ISO-2022-JP.txt'), encode(notice, 'JIS'));

fs.writeFileSync(path.join(out, 'release-notes.md'), `# Release notes

## 0.1.0
- Files in a folder become searchable documents through a durable queue.
- Japanese search: one- and two-character words, full-width and half-width forms.
`);

fs.writeFileSync(path.join(out, '製品カタログ_2026.pdf'), japanesePdf({
  title: '製品カタログ 2026',
  author: 'ファイルサーチ株式会社',
  latin: 'Product catalogue 2026 - FileSearch Inc.',
  lines: ['製品カタログ 2026年版', '高速全文検索サーバ「ファイルサーチ」', '日本語の文書をすばやく検索できます。', '価格は別途お見積りいたします。'],
}));
console.log(`wrote ${fs.readdirSync(out).length} files to ${out}`);

/**
 * A one-page PDF: a Type0 font (non-embedded HeiseiKakuGo-W5, Adobe-Japan1, UniJIS-UCS2-H
 * CMap, so codes are UCS-2) plus a ToUnicode CMap, and Helvetica for a Latin line.
 */
function japanesePdf({ title, author, latin, lines }) {
  const ucs2 = (s) => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')).join('');
  const utf16Text = (s) => `<FEFF${ucs2(s)}>`;
  let content = `BT /F2 12 Tf 72 760 Td (${latin}) Tj ET\n`;
  lines.forEach((line, i) => {
    content += `BT /F1 ${i === 0 ? 20 : 14} Tf 72 ${720 - i * 32} Td <${ucs2(line)}> Tj ET\n`;
  });
  const ranges = [];
  for (let hi = 0; hi < 256; hi += 1) {
    const h = hi.toString(16).toUpperCase().padStart(2, '0');
    ranges.push(`<${h}00> <${h}FF> <${h}00>`);
  }
  const chunks = [];
  for (let i = 0; i < ranges.length; i += 100) chunks.push(`${Math.min(100, ranges.length - i)} beginbfrange\n${ranges.slice(i, i + 100).join('\n')}\nendbfrange`);
  const toUnicode = `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
${chunks.join('\n')}
endcmap CMapName currentdict /CMap defineresource pop end end`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 8 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /UniJIS-UCS2-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>',
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 9 0 R /DW 1000 >>',
    `<< /Length ${Buffer.byteLength(toUnicode)} >>\nstream\n${toUnicode}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 /FontBBox [-92 -250 1010 922] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 737 /StemV 114 >>',
    `<< /Title ${utf16Text(title)} /Author ${utf16Text(author)} /Producer (filesearch-worker samples) >>`,
  ];
  let pdf = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
