/** Hand-built image files for the OCR caps tests: exact headers, with whatever pixel data we want. */

// CRC-32 (PNG chunk checksum); zlib.crc32 only exists from Node 20.15.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG signature + a valid IHDR (8-bit greyscale) claiming `width`×`height`, then `tail` as the rest. */
export function pngHeader(width: number, height: number, tail: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), tail]);
}

export interface GrayPage {
  readonly width: number;
  readonly height: number;
  /** 8-bit grey, row by row; may be shorter than width × height to lie about the size. */
  readonly pixels: Buffer;
}

/** A binary PGM (P5) as pdftoppm -gray writes it. */
export function parsePgm(pgm: Buffer): GrayPage {
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.toString('latin1', 0, 64));
  if (header === null) throw new Error('not a binary PGM');
  return { width: Number(header[1]), height: Number(header[2]), pixels: pgm.subarray(header[0].length) };
}

/** An uncompressed little-endian multi-page TIFF: one strip per page, 8-bit BlackIsZero. */
export function multiPageTiff(pages: readonly GrayPage[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 8;
  const header = Buffer.from([0x49, 0x49, 0x2a, 0x00, 0, 0, 0, 0]);
  parts.push(header);
  let patchNext: { buffer: Buffer; at: number } = { buffer: header, at: 4 };
  for (const page of pages) {
    const dataAt = offset;
    parts.push(page.pixels);
    offset += page.pixels.length + (page.pixels.length % 2);
    if (page.pixels.length % 2 === 1) parts.push(Buffer.alloc(1));
    const entries: Array<[number, number, number]> = [
      [256, 4, page.width],
      [257, 4, page.height],
      [258, 3, 8],
      [259, 3, 1],
      [262, 3, 1],
      [273, 4, dataAt],
      [277, 3, 1],
      [278, 4, page.height],
      [279, 4, page.pixels.length],
    ];
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach(([tag, type, value], i) => {
      const e = 2 + i * 12;
      ifd.writeUInt16LE(tag, e);
      ifd.writeUInt16LE(type, e + 2);
      ifd.writeUInt32LE(1, e + 4);
      if (type === 3) ifd.writeUInt16LE(value, e + 8);
      else ifd.writeUInt32LE(value, e + 8);
    });
    patchNext.buffer.writeUInt32LE(offset, patchNext.at);
    patchNext = { buffer: ifd, at: ifd.length - 4 };
    parts.push(ifd);
    offset += ifd.length;
  }
  return Buffer.concat(parts);
}

/** An uncompressed 24-bit BMP of a grey page (bottom-up rows, padded to 4 bytes), without resolution. */
export function bmp(page: GrayPage): Buffer {
  const rowSize = Math.ceil((page.width * 3) / 4) * 4;
  const pixels = Buffer.alloc(rowSize * page.height);
  for (let y = 0; y < page.height; y += 1) {
    const row = (page.height - 1 - y) * rowSize;
    for (let x = 0; x < page.width; x += 1) pixels.fill(page.pixels[y * page.width + x] ?? 255, row + x * 3, row + x * 3 + 3);
  }
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(page.width, 18);
  header.writeInt32LE(page.height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(pixels.length, 34);
  return Buffer.concat([header, pixels]);
}
