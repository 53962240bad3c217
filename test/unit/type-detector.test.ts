import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MagicTypeDetector } from '../../src/adapters/extract/type-detector.js';
import type { DetectedType } from '../../src/ports/extractor.port.js';

// A complete 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

/** A stored (uncompressed) ZIP; file-type reads local headers only, so CRCs can stay zero. */
function storedZip(entries: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const parts = entries.map(([name, data]) => {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(Buffer.byteLength(name), 26);
    return Buffer.concat([header, Buffer.from(name), data]);
  });
  return Buffer.concat(parts);
}
const CONTENT_TYPES =
  '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'type-detector-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function detect(bytes: Uint8Array, extension: string): Promise<DetectedType> {
  counter += 1;
  const file = path.join(dir, `f${counter}${extension === '' ? '' : `.${extension}`}`);
  await writeFile(file, bytes);
  return new MagicTypeDetector().detect(file, extension);
}

function noise(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 987654321;
  for (let i = 0; i < length; i += 1) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('MagicTypeDetector', () => {
  it('believes the bytes over the extension and notes the mismatch', async () => {
    expect(await detect(PDF, 'txt')).toEqual({
      mime: 'application/pdf',
      ext: 'pdf',
      source: 'magic',
      mismatch: 'extension .txt but content is application/pdf',
    });
  });

  it('detects PNG magic without a mismatch', async () => {
    expect(await detect(PNG, 'png')).toEqual({ mime: 'image/png', ext: 'png', source: 'magic' });
  });

  it('treats jpeg/jpg style aliases as no mismatch', async () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    const t = await detect(jpeg, 'jpeg');
    expect(t.mime).toBe('image/jpeg');
    expect(t.mismatch).toBeUndefined();
  });

  it.each([
    ['UTF-8 Japanese', new TextEncoder().encode('日本語のテキストです。\n'.repeat(50)), 'txt', 'txt'],
    ['Shift_JIS', Uint8Array.from(Encoding.convert(Encoding.stringToCode('日本語①㈱'.repeat(50)), 'SJIS', 'UNICODE')), 'txt', 'txt'],
    ['EUC-JP', Uint8Array.from(Encoding.convert(Encoding.stringToCode('日本語の文章'.repeat(50)), 'EUCJP', 'UNICODE')), 'csv', 'csv'],
    ['markdown', new TextEncoder().encode('# Title\n\nSome *text*.\n'), 'md', 'md'],
    ['text without extension', new TextEncoder().encode('plain words\n'), '', 'txt'],
    ['text with an unknown extension', new TextEncoder().encode('key = value\n'), 'conf', 'txt'],
    // file-type mistakes this for an MPEG audio frame.
    ['UTF-16LE with BOM', Uint8Array.from([0xff, 0xfe, 0x42, 0x30, 0x44, 0x30]), 'txt', 'txt'],
    ['UTF-16BE without BOM', Uint8Array.from(Buffer.from('日本語 text\n'.repeat(30), 'utf16le').swap16()), 'txt', 'txt'],
    ['XML, which file-type recognises', new TextEncoder().encode('<?xml version="1.0"?><root>テスト</root>'), 'xml', 'xml'],
  ])('calls %s text', async (_name, bytes, extension, ext) => {
    expect(await detect(bytes, extension)).toEqual({ mime: 'text/plain', ext, source: 'text' });
  });

  it('notes a text file named like a binary format', async () => {
    const t = await detect(new TextEncoder().encode('not really a pdf\n'), 'pdf');
    expect(t).toMatchObject({ mime: 'text/plain', source: 'text', mismatch: 'extension .pdf but content is text/plain' });
  });

  it('calls a zero-byte file text', async () => {
    expect(await detect(new Uint8Array(0), 'txt')).toEqual({ mime: 'text/plain', ext: 'txt', source: 'text' });
    expect(await detect(new Uint8Array(0), 'bin')).toMatchObject({ mime: 'text/plain', source: 'text' });
  });

  it('calls unknown binary application/octet-stream', async () => {
    expect(await detect(noise(4096), '')).toEqual({ mime: 'application/octet-stream', ext: 'bin', source: 'unknown' });
    expect(await detect(noise(4096), 'dat')).toEqual({ mime: 'application/octet-stream', ext: 'dat', source: 'unknown' });
  });

  it('falls back to the extension when binary bytes match no magic', async () => {
    expect(await detect(noise(4096), 'docx')).toEqual({
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ext: 'docx',
      source: 'extension',
    });
  });

  it('reads past 4 KiB when the sample only says zip', async () => {
    const zip = storedZip([
      ['docProps/thumbnail.bin', noise(5000)],
      ['[Content_Types].xml', new TextEncoder().encode(CONTENT_TYPES)],
    ]);
    expect(await detect(zip, '')).toEqual({
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ext: 'docx',
      source: 'magic',
    });
  });

  it('lets a .doc/.xls extension name the flavour of an OLE2 container', async () => {
    const cfb = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(504)]);
    expect(await detect(cfb, 'xls')).toEqual({ mime: 'application/vnd.ms-excel', ext: 'xls', source: 'magic' });
  });

  it('accepts a leading dot and upper case in the extension', async () => {
    expect(await detect(PDF, '.PDF')).toEqual({ mime: 'application/pdf', ext: 'pdf', source: 'magic' });
  });
});
