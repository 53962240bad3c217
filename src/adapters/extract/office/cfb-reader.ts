import { open, type FileHandle } from 'node:fs/promises';
import { corruptFile } from './failures.js';

/**
 * A minimal reader for OLE2 / Compound File Binary containers ([MS-CFB]): the directory and the
 * first bytes of a stream — enough to recognise encryption and read the summary properties of
 * legacy .doc/.xls/.ppt files and of password-protected OOXML. Every chain walk is bounded.
 */

export const CFB_SIGNATURE = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

const END_OF_CHAIN = 0xfffffffe;
const HEADER_DIFAT_ENTRIES = 109;
/** Directories of real files hold tens of entries; this bounds a hostile directory chain. */
const MAX_DIRECTORY_SECTORS = 4096;

export interface CfbEntry {
  readonly name: string;
  /** 1 storage, 2 stream, 5 root. */
  readonly type: number;
  readonly start: number;
  readonly size: number;
}

export async function hasCfbSignature(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return bytesRead === 8 && head.every((b, i) => b === CFB_SIGNATURE[i]);
  } finally {
    await handle.close();
  }
}

export class CfbReader {
  private miniFat: Uint32Array | undefined;
  private miniStream: Buffer | undefined;

  private constructor(
    private readonly file: FileHandle,
    private readonly fileSize: number,
    private readonly sectorSize: number,
    private readonly miniSectorSize: number,
    private readonly miniCutoff: number,
    private readonly miniFatStart: number,
    private readonly fat: Uint32Array,
    readonly entries: readonly CfbEntry[],
  ) {}

  static async open(path: string): Promise<CfbReader> {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const header = await readAt(file, 0, 512);
      if (header.length < 512 || !CFB_SIGNATURE.every((b, i) => header[i] === b)) throw corruptFile('not an OLE2 compound file');
      const sectorShift = header.readUInt16LE(0x1e);
      if (sectorShift !== 9 && sectorShift !== 12) throw corruptFile(`OLE2 sector shift ${sectorShift} is invalid`);
      const sectorSize = 1 << sectorShift;
      const fat = await readFat(file, header, sectorSize, size);
      const dirSectors = chain(fat, header.readUInt32LE(0x30), MAX_DIRECTORY_SECTORS);
      const directory = Buffer.concat(await Promise.all(dirSectors.map((s) => readAt(file, sectorOffset(s, sectorSize), sectorSize))));
      const entries = parseDirectory(directory);
      return new CfbReader(file, size, sectorSize, 1 << header.readUInt16LE(0x20), header.readUInt32LE(0x38), header.readUInt32LE(0x3c), fat, entries);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  find(name: string): CfbEntry | undefined {
    return this.entries.find((e) => e.type === 2 && e.name === name);
  }

  /** Up to `maxBytes` from the start of a stream. */
  async read(entry: CfbEntry, maxBytes: number): Promise<Buffer> {
    const wanted = Math.min(entry.size, maxBytes);
    if (entry.size >= this.miniCutoff) return this.readChain(entry.start, wanted);
    // Small streams live in the mini stream, itself stored in the root entry's chain.
    const root = this.entries.find((e) => e.type === 5);
    if (root === undefined) throw corruptFile('OLE2 file has no root entry');
    this.miniFat ??= toUint32(await this.readChain(this.miniFatStart, this.fileSize));
    this.miniStream ??= await this.readChain(root.start, root.size);
    const miniStream = this.miniStream;
    const parts: Buffer[] = [];
    let have = 0;
    for (const mini of chain(this.miniFat, entry.start, Math.ceil(wanted / this.miniSectorSize))) {
      const from = mini * this.miniSectorSize;
      if (from >= miniStream.length) throw corruptFile('OLE2 mini stream chain points past its end');
      parts.push(miniStream.subarray(from, from + this.miniSectorSize));
      have += this.miniSectorSize;
      if (have >= wanted) break;
    }
    return Buffer.concat(parts).subarray(0, wanted);
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async readChain(start: number, maxBytes: number): Promise<Buffer> {
    const sectors = chain(this.fat, start, Math.ceil(maxBytes / this.sectorSize));
    const parts = await Promise.all(sectors.map((s) => readAt(this.file, sectorOffset(s, this.sectorSize), this.sectorSize)));
    return Buffer.concat(parts).subarray(0, maxBytes);
  }
}

const sectorOffset = (sector: number, sectorSize: number): number => (sector + 1) * sectorSize;

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function toUint32(buffer: Buffer): Uint32Array {
  const out = new Uint32Array(Math.floor(buffer.length / 4));
  for (let i = 0; i < out.length; i += 1) out[i] = buffer.readUInt32LE(i * 4);
  return out;
}

/** Follows a sector chain for at most `maxSectors` steps; loops and wild pointers are corruption. */
function chain(fat: Uint32Array, start: number, maxSectors: number): number[] {
  const sectors: number[] = [];
  let current = start;
  while (current !== END_OF_CHAIN && sectors.length < maxSectors) {
    if (current >= fat.length) throw corruptFile(`OLE2 sector chain points to sector ${current}, beyond the allocation table`);
    sectors.push(current);
    current = fat[current] ?? END_OF_CHAIN;
    if (sectors.length > fat.length) throw corruptFile('OLE2 sector chain loops');
  }
  return sectors;
}

/** The FAT sectors are listed by the header's 109 DIFAT slots, then by a chain of DIFAT sectors. */
async function readFat(file: FileHandle, header: Buffer, sectorSize: number, fileSize: number): Promise<Uint32Array> {
  const fatSectors = header.readUInt32LE(0x2c);
  if (fatSectors > fileSize / sectorSize) throw corruptFile(`OLE2 header claims ${fatSectors} FAT sectors`);
  const ids: number[] = [];
  for (let i = 0; i < HEADER_DIFAT_ENTRIES && ids.length < fatSectors; i += 1) ids.push(header.readUInt32LE(0x4c + i * 4));
  let difat = header.readUInt32LE(0x44);
  const perSector = sectorSize / 4 - 1;
  for (let hops = 0; ids.length < fatSectors && difat < END_OF_CHAIN - 4; hops += 1) {
    if (hops > fatSectors) throw corruptFile('OLE2 DIFAT chain loops');
    const sector = await readAt(file, sectorOffset(difat, sectorSize), sectorSize);
    if (sector.length < sectorSize) throw corruptFile('OLE2 DIFAT chain points past the end of the file');
    for (let i = 0; i < perSector && ids.length < fatSectors; i += 1) ids.push(sector.readUInt32LE(i * 4));
    difat = sector.readUInt32LE(perSector * 4);
  }
  const parts = await Promise.all(ids.map((id) => readAt(file, sectorOffset(id, sectorSize), sectorSize)));
  return toUint32(Buffer.concat(parts));
}

function parseDirectory(directory: Buffer): CfbEntry[] {
  const entries: CfbEntry[] = [];
  for (let at = 0; at + 128 <= directory.length; at += 128) {
    const type = directory[at + 0x42] ?? 0;
    if (type === 0) continue;
    const nameBytes = Math.min(directory.readUInt16LE(at + 0x40), 64);
    const name = directory.toString('utf16le', at, at + Math.max(nameBytes - 2, 0));
    entries.push({ name, type, start: directory.readUInt32LE(at + 0x74), size: directory.readUInt32LE(at + 0x78) });
  }
  return entries;
}
