import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * Hostile inputs built on the spot (never committed): each targets one defence of the extractors.
 */

function crc32(data: Buffer, previous = 0): number {
  return zlib.crc32(data, previous);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG header that claims width × height pixels; the image data is a few garbage bytes. */
export function pixelBombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // truecolour
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

interface ZipEntry {
  readonly name: string;
  /** Uncompressed size. */
  readonly size: number;
  readonly crc: number;
  readonly compressed: Buffer;
}

function deflateEntry(name: string, content: Buffer): ZipEntry {
  return { name, size: content.length, crc: crc32(content) >>> 0, compressed: zlib.deflateRawSync(content) };
}

/** `bytes` zeros, deflated chunk by chunk (never held in memory whole). */
function zeroEntry(name: string, bytes: number): ZipEntry {
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  // Independent raw-deflate segments, each sync-flushed, then one empty final block: a valid stream.
  const parts: Buffer[] = [];
  let crc = 0;
  for (let left = bytes; left > 0; left -= chunk.length) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(piece, crc);
    parts.push(zlib.deflateRawSync(piece, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  }
  parts.push(Buffer.from([0x03, 0x00])); // an empty final block ends the deflate stream
  return { name, size: bytes, crc: crc >>> 0, compressed: Buffer.concat(parts) };
}

/** A plain (non-zip64) zip archive of deflated entries. */
function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.compressed.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc, 16);
    central.writeUInt32LE(e.compressed.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.compressed);
    centrals.push(central, name);
    offset += local.length + name.length + e.compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;

/** A .docx whose document.xml inflates to `bytes` of zeros (a decompression bomb). */
export function zipBombDocx(bytes: number): Buffer {
  return zip([deflateEntry('[Content_Types].xml', Buffer.from(CONTENT_TYPES)), zeroEntry('word/document.xml', bytes)]);
}

/** Writes the generated hostile set into `dir` and returns the expected outcome per file name. */
export function writeHostileSet(dir: string, samplePdf: Buffer): Record<string, { reason?: string; indexed?: 'empty' | 'text' }> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'truncated.pdf'), samplePdf.subarray(0, 200));
  fs.writeFileSync(path.join(dir, 'bomb.docx'), zipBombDocx(256 * 1024 * 1024));
  fs.writeFileSync(path.join(dir, 'huge-pixels.png'), pixelBombPng(50_000, 50_000));
  fs.writeFileSync(path.join(dir, 'zero-bytes.pdf'), Buffer.alloc(0));
  fs.writeFileSync(path.join(dir, 'really-a-pdf.txt'), samplePdf);
  fs.writeFileSync(path.join(dir, 'really-text.pdf'), '拡張子がPDFのテキストファイル');
  return {
    'truncated.pdf': { reason: 'corrupt_file' },
    'bomb.docx': { reason: 'decompression_bomb' },
    'huge-pixels.png': { reason: 'too_many_pixels' },
    // Empty objects are indexed empty (metadata only), whatever the extension says.
    'zero-bytes.pdf': { indexed: 'empty' },
    // A wrong extension is noted on the document, never an error.
    'really-a-pdf.txt': { indexed: 'text' },
    'really-text.pdf': { indexed: 'text' },
  };
}
