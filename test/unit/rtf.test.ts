import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtfExtractor } from '../../src/adapters/extract/office/rtf.js';
import { rtfToText } from '../../src/adapters/extract/office/rtf-to-text.js';
import { ErrorCodes } from '../../src/domain/errors.js';

/** Shift_JIS bytes of `s` as RTF `\'hh` escapes, the way Word writes Japanese. */
const sjisHex = (s: string): string =>
  Encoding.convert(Encoding.stringToCode(s), 'SJIS', 'UNICODE')
    .map((b) => `\\'${b.toString(16).padStart(2, '0')}`)
    .join('');
const rtf = (s: string): string => rtfToText(Buffer.from(s, 'latin1')).text;

describe('rtfToText', () => {
  it('decodes \\\'hh bytes as CP932 under \\ansicpg932 with a \\fcharset128 font, title and author from \\info', () => {
    const doc =
      `{\\rtf1\\ansi\\ansicpg932\\deff0{\\fonttbl{\\f0\\fnil\\fcharset128 ${sjisHex('ＭＳ 明朝')};}}` +
      `{\\info{\\title ${sjisHex('見積書')}}{\\author ${sjisHex('山田')}}{\\company ${sjisHex('株式会社')}}}` +
      `\\f0\\fs21 ${sjisHex('日本語の文書です。①㈱')}\\par ${sjisHex('二行目')}\\par}`;
    const r = rtfToText(Buffer.from(doc, 'latin1'));
    expect(r.text).toBe('日本語の文書です。①㈱\n二行目\n');
    expect(r).toMatchObject({ title: '見積書', author: '山田', truncated: false });
  });

  it('uses \\uN and drops its \\ucN fallback characters', () => {
    expect(rtf(`{\\rtf1\\ansi\\ansicpg932\\uc2 \\u26085${sjisHex('日')}\\u26412${sjisHex('本')}}`)).toBe('日本');
    expect(rtf('{\\rtf1\\ansi\\uc1 \\u26085?\\u-3 ?x}')).toBe('日\ufffdx');
    // Astral characters arrive as two negative UTF-16 code units.
    expect(rtf('{\\rtf1\\ansi\\uc1\\u-10174?\\u-8265?}')).toBe('𠮷');
    // \uc0: no fallback at all; the count is per group.
    expect(rtf('{\\rtf1\\ansi{\\uc0\\u12354}\\u12356?}')).toBe('あい');
  });

  it('decodes a Japanese font in a Western document by the font\'s charset', () => {
    const doc = `{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0\\froman Times;}{\\f1\\fnil\\fcharset128 MS Mincho;}}\\f0 caf\\'e9 \\f1 ${sjisHex('東京')}\\f0  end}`;
    expect(rtf(doc)).toBe('café 東京 end');
  });

  it('follows Word 2010 output: per-font charsets (Calibri CE = 1250), \\u with fallback, header destinations', () => {
    // Shaped like Word's own output (fonts, starred defaults, empty headers, \\rtlch/\\ltrch runs).
    const doc =
      '{\\rtf1\\adeflang1025\\ansi\\ansicpg1252\\uc1\\adeff31507\\deff0\\stshfdbch31506{\\fonttbl{\\f0\\fbidi \\froman\\fcharset0\\fprq2{\\*\\panose 02020603050405020304}Times New Roman;}' +
      '{\\fhiminor\\f31506\\fbidi \\fswiss\\fcharset0\\fprq2 Calibri;}{\\f37\\fbidi \\fswiss\\fcharset0\\fprq2 Calibri;}{\\f663\\fbidi \\fswiss\\fcharset238\\fprq2 Calibri CE;}}' +
      '{\\*\\defchp \\f31506\\fs22 }{\\info{\\creatim\\yr2010\\mo10}{\\nofpages1}}{\\*\\rsidtbl \\rsid2501661}{\\headerl \\pard\\plain {\\insrsid1 \n\\par }}' +
      '\\pard\\plain \\ltrpar\\ql \\rtlch\\fcs1 \\af31507 \\ltrch\\fcs0 \\f31506\\fs22 {\\rtlch\\fcs1 \\af663 \\ltrch\\fcs0 \\f663\\lang1048 \\\'c8l\\\'e1nek t\\\'fddne\n\\par ' +
      "Mrtv\\'e9ho mo\\'f8e}{\\rtlch\\fcs1 \\af37 \\ltrch\\fcs0 \\f37 \\u8201\\'3f}{\\f663 n.}\n\\par }";
    expect(rtf(doc)).toBe('\nČlánek týdne\nMrtvého moře\u2009n.\n');
  });

  it('keeps a Shift_JIS pair whole when its trail byte is written as \\\\ or \\{', () => {
    // ソ = 83 5C, 表 = 95 5C: Word may escape the trail byte as a control symbol.
    expect(rtf(`{\\rtf1\\ansi\\ansicpg932 \\'83\\\\\\'95\\\\${sjisHex('示')}}`)).toBe('ソ表示');
    // Word also pairs bytes split by a group boundary or a formatting word.
    expect(rtf("{\\rtf1\\ansi\\ansicpg932 \\dbch{\\'89}{\\'bd}\\dbch{\\f0\\'89\\f0\\'bd}}")).toBe('何何');
  });

  it('skips tables, pictures, field instructions and starred destinations; keeps field results', () => {
    const doc =
      '{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}{\\colortbl;\\red255\\green0\\blue0;}{\\stylesheet{\\s1 Heading;}}' +
      '{\\*\\generator Riched20;}{\\*\\themedata 0123abcd}{\\pict\\pngblip 89504e47}' +
      'See {\\field{\\*\\fldinst HYPERLINK "http://example.com"}{\\fldrslt the site}}.\\par ' +
      'a\\tab b\\line c\\cell d\\row \\{braces\\} back\\\\slash\\~nbsp}';
    expect(rtf(doc)).toBe('See the site.\na\tb\nc\td\n{braces} back\\slash\u00a0nbsp');
  });

  it('skips \\binN raw bytes and survives deep nesting and a missing closing brace', () => {
    expect(rtf('{\\rtf1 A\\bin3 {\\}B}')).toBe('AB');
    expect(rtf(`{\\rtf1 ${'{'.repeat(100_000)}deep${'}'.repeat(100_000)}}`)).toBe('deep');
    expect(rtf('{\\rtf1 unterminated \\par')).toBe('unterminated \n');
  });

  it('caps the text and says so', () => {
    const r = rtfToText(Buffer.from(`{\\rtf1 ${'x'.repeat(100)}}`, 'latin1'), 10);
    expect(r).toMatchObject({ text: 'xxxxxxxxxx', truncated: true });
  });
});

describe('RtfExtractor', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rtf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const type = { mime: 'application/rtf', ext: 'rtf', source: 'magic' } as const;
  const extract = async (extractor: RtfExtractor, content: string) => {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.rtf`);
    await writeFile(file, Buffer.from(content, 'latin1'));
    return extractor.extract({ path: file, fileName: 'x.rtf', extension: 'rtf', size: content.length, type });
  };

  it('extracts a Word-style Japanese RTF', async () => {
    const r = await extract(new RtfExtractor(), `{\\rtf1\\ansi\\ansicpg932 {\\info{\\title ${sjisHex('議事録')}}}${sjisHex('定例会議')}\\par}`);
    expect(r).toMatchObject({ text: '定例会議\n', title: '議事録', extractor: 'rtf', metadataOnly: false, warnings: [] });
    expect(new RtfExtractor().supports(type)).toBe(true);
  });

  it('fails a file without the {\\rtf header as corrupt_file, and one over the cap as too_large', async () => {
    await expect(extract(new RtfExtractor(), 'just text')).rejects.toMatchObject({ code: ErrorCodes.CorruptFile });
    await expect(extract(new RtfExtractor({ maxBytes: 10 }), `{\\rtf1 ${'x'.repeat(20)}}`)).rejects.toMatchObject({ code: ErrorCodes.TooLarge });
  });
});
