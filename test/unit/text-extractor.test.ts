import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guessEncoding, TextExtractor } from '../../src/adapters/extract/text-extractor.js';
import { ErrorCodes, isPermanentError } from '../../src/domain/errors.js';
import type { Extraction } from '../../src/ports/extractor.port.js';

const JA = '日本語のテキスト、カタカナとひらがな。ABC 123\n二行目です。';
const CP932_ONLY = '①②㈱㍉髙﨑№∵ 株式会社テスト';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'text-extractor-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function extract(bytes: Uint8Array, extractor = new TextExtractor()): Promise<Extraction> {
  counter += 1;
  const file = path.join(dir, `f${counter}.txt`);
  await writeFile(file, bytes);
  const type = { mime: 'text/plain', ext: 'txt', source: 'text' as const };
  return extractor.extract({ path: file, fileName: `f${counter}.txt`, extension: 'txt', size: bytes.length, type });
}

const encode = (text: string, to: Encoding.Encoding): Uint8Array =>
  Uint8Array.from(Encoding.convert(Encoding.stringToCode(text), { to, from: 'UNICODE' }));

function utf16(text: string, bigEndian: boolean, bom: boolean): Uint8Array {
  const units = [...(bom ? [0xfeff] : []), ...Array.from(text, (_, i) => text.charCodeAt(i))];
  const out = new Uint8Array(units.length * 2);
  units.forEach((u, i) => {
    out[i * 2] = bigEndian ? u >> 8 : u & 0xff;
    out[i * 2 + 1] = bigEndian ? u & 0xff : u >> 8;
  });
  return out;
}

/** Deterministic noise covering every byte value, NULs included. */
function garbage(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 12345;
  for (let i = 0; i < length; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('TextExtractor', () => {
  it('decodes UTF-8', async () => {
    const r = await extract(new TextEncoder().encode(JA));
    expect(r).toMatchObject({ text: JA, extractor: 'text/utf-8', warnings: [], metadataOnly: false, ocrUsed: false });
  });

  it('strips a UTF-8 BOM', async () => {
    const r = await extract(Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JA)]));
    expect(r.text).toBe(JA);
    expect(r.extractor).toBe('text/utf-8');
  });

  it.each([
    ['utf-16le', false],
    ['utf-16be', true],
  ])('decodes %s with a BOM', async (name, bigEndian) => {
    const r = await extract(utf16(JA, bigEndian, true));
    expect(r.text).toBe(JA);
    expect(r.extractor).toBe(`text/${name}`);
  });

  it('decodes Shift_JIS as CP932, including ①, ㈱ and the NEC/IBM extensions', async () => {
    const bytes = encode(`${JA}\n${CP932_ONLY}`, 'SJIS');
    const r = await extract(bytes);
    expect(r.extractor).toBe('text/shift_jis');
    expect(r.text).toBe(`${JA}\n${CP932_ONLY}`);
    expect(r.warnings).toEqual([]);
  });

  it('decodes EUC-JP', async () => {
    const r = await extract(encode(JA, 'EUCJP'));
    expect(r).toMatchObject({ text: JA, extractor: 'text/euc-jp', warnings: [] });
  });

  it('decodes ISO-2022-JP (7-bit, so it must win over UTF-8)', async () => {
    const bytes = encode(JA, 'JIS');
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    const r = await extract(bytes);
    expect(r).toMatchObject({ text: JA, extractor: 'text/iso-2022-jp', warnings: [] });
  });

  it.each([
    ['utf-16be', true],
    ['utf-16le', false],
  ])('decodes %s without a BOM by scoring both byte orders', async (name, bigEndian) => {
    const r = await extract(utf16(JA, bigEndian, false));
    expect(r.extractor).toBe(`text/${name}`);
    expect(r.text).toBe(JA);
  });

  it('returns empty text for an empty file', async () => {
    const r = await extract(new Uint8Array(0));
    expect(r).toMatchObject({ text: '', warnings: [], metadataOnly: false });
  });

  it('falls back to windows-1252 with a warning for binary garbage', async () => {
    const r = await extract(garbage(2000));
    expect(r.extractor).toBe('text/windows-1252');
    expect(r.warnings).toContain('encoding_fallback:windows-1252');
  });

  it('falls back to windows-1252 for Latin-1 text rather than inventing kanji', async () => {
    const r = await extract(Uint8Array.from(Buffer.from('Café résumé, naïve über straße. Très bien!', 'latin1')));
    expect(r.text).toBe('Café résumé, naïve über straße. Très bien!');
    expect(r.warnings).toContain('encoding_fallback:windows-1252');
  });

  it('records a warning when Shift_JIS needed replacement characters', async () => {
    const good = encode(JA.repeat(40), 'SJIS');
    const r = await extract(Uint8Array.from([...good, 0x82, 0xff, ...good]));
    expect(r.extractor).toBe('text/shift_jis');
    expect(r.warnings).toContain('decode_replacement:shift_jis');
    expect(r.text).toContain('\ufffd');
  });

  it('rejects a file above maxBytes as a permanent too_large error', async () => {
    const err = await extract(new Uint8Array(11).fill(0x41), new TextExtractor({ maxBytes: 10 })).catch((e: unknown) => e);
    expect(isPermanentError(err)).toBe(true);
    expect(err).toMatchObject({ code: ErrorCodes.TooLarge });
  });
});

describe('guessEncoding on a partial sample', () => {
  it('accepts UTF-8 cut in the middle of a character', () => {
    const bytes = new TextEncoder().encode('あ'.repeat(2000)).subarray(0, 4096);
    expect(guessEncoding(bytes, true)).toMatchObject({ encoding: 'utf-8', confident: true, lossy: false });
  });

  it('accepts Shift_JIS cut after a lead byte', () => {
    const bytes = encode('漢字'.repeat(1500), 'SJIS').subarray(0, 4095);
    expect(guessEncoding(bytes, true)).toMatchObject({ encoding: 'shift_jis', confident: true, lossy: false });
  });

  it('is not confident about noise', () => {
    expect(guessEncoding(garbage(4096), true).confident).toBe(false);
  });
});
