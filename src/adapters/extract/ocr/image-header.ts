import { open, type FileHandle } from 'node:fs/promises';
import { imageSizeFromFile } from 'image-size/fromFile';

export interface ImagePage {
  readonly width: number;
  readonly height: number;
}

export interface ImageHeader {
  /** `png`, `jpg`, `tiff`, … as image-size names it. */
  readonly format: string;
  /** One entry per page (TIFF directories); `truncated` when the walk stopped at the page cap. */
  readonly pages: readonly ImagePage[];
  readonly truncated: boolean;
}

/** Thrown when the header cannot be read: the caller decides what that means. */
export class UnreadableHeaderError extends Error {}

const TIFF_WIDTH = 256;
const TIFF_HEIGHT = 257;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead < length) throw new UnreadableHeaderError(`TIFF directory at byte ${position} runs past the end of the file`);
  return buffer;
}

/**
 * Walks a TIFF's chain of image file directories (image-size reads only the first), reading each
 * directory where it lies rather than the whole file. Stops after `limit` pages and on loops.
 */
export async function readTiffPages(path: string, limit: number): Promise<{ pages: ImagePage[]; truncated: boolean }> {
  const handle = await open(path, 'r');
  try {
    const head = await readAt(handle, 0, 16);
    const le = head.toString('latin1', 0, 2) === 'II';
    const big = (le ? head.readUInt16LE(2) : head.readUInt16BE(2)) === 43;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const countSize = big ? 8 : 2;
    const entrySize = big ? 20 : 12;
    const offsetSize = big ? 8 : 4;
    const valueAt = big ? 12 : 8;
    const pages: ImagePage[] = [];
    const seen = new Set<number>();
    let offset = big ? u64(head, 8) : u32(head, 4);
    while (offset !== 0) {
      if (pages.length >= limit) return { pages, truncated: true };
      if (seen.has(offset)) throw new UnreadableHeaderError('TIFF directories form a loop');
      seen.add(offset);
      const countBuf = await readAt(handle, offset, countSize);
      const count = big ? u64(countBuf, 0) : u16(countBuf, 0);
      if (count === 0 || count > 4096) throw new UnreadableHeaderError(`TIFF directory with ${count} entries`);
      const dir = await readAt(handle, offset + countSize, count * entrySize + offsetSize);
      const size: { width?: number; height?: number } = {};
      for (let i = 0; i < count; i += 1) {
        const e = i * entrySize;
        const tag = u16(dir, e);
        if (tag !== TIFF_WIDTH && tag !== TIFF_HEIGHT) continue;
        const type = u16(dir, e + 2);
        // SHORT (3), LONG (4) or LONG8 (16), stored inline.
        const value = type === 3 ? u16(dir, e + valueAt) : type === 4 ? u32(dir, e + valueAt) : type === 16 ? u64(dir, e + valueAt) : 0;
        if (tag === TIFF_WIDTH) size.width = value;
        else size.height = value;
      }
      if (!size.width || !size.height) throw new UnreadableHeaderError(`TIFF page ${pages.length + 1} has no width or height`);
      pages.push({ width: size.width, height: size.height });
      const next = count * entrySize;
      offset = big ? u64(dir, next) : u32(dir, next);
    }
    return { pages, truncated: false };
  } finally {
    await handle.close();
  }
}

const TIFF_SIGNATURES = new Set(['49492a00', '4d4d002a', '49492b00', '4d4d002b']);

async function isTiff(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && TIFF_SIGNATURES.has(head.toString('hex'));
  } finally {
    await handle.close();
  }
}

/**
 * Dimensions of every page, from headers only: nothing is decoded. TIFFs are walked here (their
 * directories may sit anywhere, often after the pixel data, past the 512 KiB image-size reads);
 * every other format comes from image-size.
 */
export async function readImageHeader(path: string, maxPages: number): Promise<ImageHeader> {
  if (await isTiff(path)) {
    const { pages, truncated } = await readTiffPages(path, maxPages);
    return { format: 'tiff', pages, truncated };
  }
  let first: { width: number; height: number; type?: string };
  try {
    first = await imageSizeFromFile(path);
  } catch (err) {
    throw new UnreadableHeaderError(`cannot read the image header: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const format = first.type ?? 'unknown';
  if (!(first.width > 0 && first.height > 0)) throw new UnreadableHeaderError(`${format} header without dimensions`);
  return { format, pages: [{ width: first.width, height: first.height }], truncated: false };
}
