/**
 * Minimal OLE2 / Compound File Binary writer for tests ([MS-CFB] version 3, 512-byte sectors):
 * streams under 4096 bytes go to the mini stream, as real files do, larger ones to regular sectors.
 */

const SECTOR = 512;
const MINI = 64;
const CUTOFF = 4096;
const FREE = 0xffffffff;
const END = 0xfffffffe;
const FAT_SECTOR = 0xfffffffd;

export interface CfbStream {
  readonly name: string;
  readonly data: Uint8Array;
}

const ceil = (n: number, d: number): number => Math.ceil(n / d);

export function buildCfb(streams: readonly CfbStream[]): Buffer {
  const small = streams.filter((s) => s.data.length < CUTOFF);
  const miniSectors = small.reduce((n, s) => n + ceil(s.data.length, MINI), 0);
  const dirSectors = ceil(streams.length + 1, SECTOR / 128);
  const miniFatSectors = ceil(miniSectors * 4, SECTOR);
  const miniStreamSectors = ceil(miniSectors * MINI, SECTOR);
  const regular = streams.filter((s) => s.data.length >= CUTOFF);
  const regularSectors = regular.reduce((n, s) => n + ceil(s.data.length, SECTOR), 0);
  const others = dirSectors + miniFatSectors + miniStreamSectors + regularSectors;
  let fatSectors = 1;
  while (others + fatSectors > fatSectors * (SECTOR / 4)) fatSectors += 1;

  const fat = new Array<number>(fatSectors * (SECTOR / 4)).fill(FREE);
  let next = 0;
  const allocate = (count: number): number => {
    if (count === 0) return END;
    const start = next;
    for (let i = 0; i < count; i += 1) fat[start + i] = i === count - 1 ? END : start + i + 1;
    next += count;
    return start;
  };
  for (let i = 0; i < fatSectors; i += 1) fat[next++] = FAT_SECTOR;
  const dirStart = allocate(dirSectors);
  const miniFatStart = allocate(miniFatSectors);
  const miniStreamStart = allocate(miniStreamSectors);

  const sectors = new Map<number, Buffer>();
  const put = (start: number, data: Uint8Array): void => {
    // Every allocation is contiguous, so a chain is consecutive sectors.
    for (let i = 0; i * SECTOR < data.length; i += 1) sectors.set(start + i, Buffer.from(data.subarray(i * SECTOR, (i + 1) * SECTOR)));
  };

  // Mini stream and mini FAT.
  const miniFat = new Array<number>(miniFatSectors * (SECTOR / 4)).fill(FREE);
  const miniStream = Buffer.alloc(miniStreamSectors * SECTOR);
  const starts = new Map<CfbStream, number>();
  let nextMini = 0;
  for (const s of small) {
    const count = ceil(s.data.length, MINI);
    starts.set(s, count === 0 ? END : nextMini);
    for (let i = 0; i < count; i += 1) miniFat[nextMini + i] = i === count - 1 ? END : nextMini + i + 1;
    Buffer.from(s.data).copy(miniStream, nextMini * MINI);
    nextMini += count;
  }
  for (const s of regular) {
    const start = allocate(ceil(s.data.length, SECTOR));
    starts.set(s, start);
    put(start, s.data);
  }
  put(miniStreamStart, miniStream);
  const miniFatBytes = Buffer.alloc(miniFatSectors * SECTOR);
  miniFat.forEach((v, i) => miniFatBytes.writeUInt32LE(v, i * 4));
  put(miniFatStart, miniFatBytes);

  // Directory: the root (owning the mini stream), then each stream as the root's right-leaning list.
  const directory = Buffer.alloc(dirSectors * SECTOR);
  const entry = (index: number, name: string, type: number, start: number, size: number): void => {
    const at = index * 128;
    directory.write(name, at, 'utf16le');
    directory.writeUInt16LE((name.length + 1) * 2, at + 0x40);
    directory[at + 0x42] = type;
    directory[at + 0x43] = 1;
    directory.writeUInt32LE(FREE, at + 0x44);
    directory.writeUInt32LE(index > 0 && index < streams.length ? index + 1 : FREE, at + 0x48);
    directory.writeUInt32LE(index === 0 && streams.length > 0 ? 1 : FREE, at + 0x4c);
    directory.writeUInt32LE(start, at + 0x74);
    directory.writeUInt32LE(size, at + 0x78);
  };
  entry(0, 'Root Entry', 5, miniSectors > 0 ? miniStreamStart : END, miniSectors * MINI);
  streams.forEach((s, i) => entry(i + 1, s.name, 2, starts.get(s) ?? END, s.data.length));
  put(dirStart, directory);

  const fatBytes = Buffer.alloc(fatSectors * SECTOR);
  fat.forEach((v, i) => fatBytes.writeUInt32LE(v, i * 4));
  put(0, fatBytes);

  const header = Buffer.alloc(SECTOR);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x3e, 0x18);
  header.writeUInt16LE(3, 0x1a);
  header.writeUInt16LE(0xfffe, 0x1c);
  header.writeUInt16LE(9, 0x1e);
  header.writeUInt16LE(6, 0x20);
  header.writeUInt32LE(fatSectors, 0x2c);
  header.writeUInt32LE(dirStart, 0x30);
  header.writeUInt32LE(CUTOFF, 0x38);
  header.writeUInt32LE(miniFatStart, 0x3c);
  header.writeUInt32LE(miniFatSectors, 0x40);
  header.writeUInt32LE(END, 0x44);
  for (let i = 0; i < 109; i += 1) header.writeUInt32LE(i < fatSectors ? i : FREE, 0x4c + i * 4);
  const body = Array.from({ length: next }, (_, i) => sectors.get(i) ?? Buffer.alloc(SECTOR));
  return Buffer.concat([header, ...body.map((b) => (b.length === SECTOR ? b : Buffer.concat([b, Buffer.alloc(SECTOR - b.length)])))]);
}

/** A SummaryInformation property set: code page, title and author (in that code page), page count. */
export function summaryInformation(props: { codepage: number; title?: Uint8Array; author?: Uint8Array; pageCount?: number }): Buffer {
  const values: Array<[number, Buffer]> = [];
  const i2 = Buffer.alloc(8);
  i2.writeUInt32LE(2, 0);
  i2.writeUInt16LE(props.codepage, 4);
  values.push([1, i2]);
  const lpstr = (bytes: Uint8Array): Buffer => {
    const withNul = Buffer.concat([Buffer.from(bytes), Buffer.alloc(1)]);
    const b = Buffer.alloc(8 + ceil(withNul.length, 4) * 4);
    b.writeUInt32LE(0x1e, 0);
    b.writeUInt32LE(withNul.length, 4);
    withNul.copy(b, 8);
    return b;
  };
  if (props.title !== undefined) values.push([2, lpstr(props.title)]);
  if (props.author !== undefined) values.push([4, lpstr(props.author)]);
  if (props.pageCount !== undefined) {
    const i4 = Buffer.alloc(8);
    i4.writeUInt32LE(3, 0);
    i4.writeInt32LE(props.pageCount, 4);
    values.push([14, i4]);
  }
  const index = Buffer.alloc(8 + values.length * 8);
  let offset = index.length;
  values.forEach(([pid, v], i) => {
    index.writeUInt32LE(pid, 8 + i * 8);
    index.writeUInt32LE(offset, 12 + i * 8);
    offset += v.length;
  });
  index.writeUInt32LE(offset, 0);
  index.writeUInt32LE(values.length, 4);
  const head = Buffer.alloc(48);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt32LE(1, 24);
  Buffer.from('e0859ff2f94f6810ab9108002b27b3d9', 'hex').copy(head, 28);
  head.writeUInt32LE(48, 44);
  return Buffer.concat([head, index, ...values.map(([, v]) => v)]);
}
