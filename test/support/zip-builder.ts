import { constants, crc32, deflateRawSync } from 'node:zlib';

/** Hand-built zip archives for tests, hostile ones included (lying sizes, bombs, zip64 counts). */

export interface ZipEntrySpec {
  readonly name: string;
  /** Content; deflated unless `store`. */
  readonly data?: Uint8Array | string;
  readonly store?: boolean;
  /** Already-deflated bytes and the size to declare for them (bombs and liars). */
  readonly raw?: { readonly deflated: Uint8Array; readonly declaredSize: number };
  /** General-purpose flag bit 0: "traditional PKWARE encryption". */
  readonly encrypted?: boolean;
}

interface Built {
  readonly name: Buffer;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly body: Uint8Array;
  readonly size: number;
  readonly offset: number;
}

function header(signature: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(signature, 0);
  return b;
}

export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const chunks: Uint8Array[] = [];
  const built: Built[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : (e.data ?? new Uint8Array(0));
    const body = e.raw?.deflated ?? (e.store === true ? data : deflateRawSync(data));
    const b: Built = {
      name: Buffer.from(e.name, 'utf8'),
      method: e.store === true && e.raw === undefined ? 0 : 8,
      flags: 0x0800 | (e.encrypted === true ? 1 : 0),
      crc: e.raw === undefined ? crc32(data) : 0,
      body,
      size: e.raw?.declaredSize ?? data.length,
      offset,
    };
    const local = header(0x04034b50, 30);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(b.flags, 6);
    local.writeUInt16LE(b.method, 8);
    local.writeUInt32LE(b.crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(b.size, 22);
    local.writeUInt16LE(b.name.length, 26);
    chunks.push(local, b.name, body);
    offset += 30 + b.name.length + body.length;
    built.push(b);
  }
  const cdStart = offset;
  for (const b of built) {
    const central = header(0x02014b50, 46);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(b.flags, 8);
    central.writeUInt16LE(b.method, 10);
    central.writeUInt32LE(b.crc, 16);
    central.writeUInt32LE(b.body.length, 20);
    central.writeUInt32LE(b.size, 24);
    central.writeUInt16LE(b.name.length, 28);
    central.writeUInt32LE(b.offset, 42);
    chunks.push(central, b.name);
    offset += 46 + b.name.length;
  }
  const cdSize = offset - cdStart;
  const count = built.length;
  if (count > 0xffff) {
    // Zip64 end of central directory record and locator: the only way to list > 65 535 entries.
    const record = header(0x06064b50, 56);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(cdSize), 40);
    record.writeBigUInt64LE(BigInt(cdStart), 48);
    const locator = header(0x07064b50, 20);
    locator.writeBigUInt64LE(BigInt(offset), 8);
    locator.writeUInt32LE(1, 16);
    chunks.push(record, locator);
  }
  const end = header(0x06054b50, 22);
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(cdStart, 16);
  chunks.push(end);
  return Buffer.concat(chunks);
}

/**
 * Deflate data for `mebibytes` MiB of zeros in ~1 KB per MiB, built without compressing them:
 * one fully flushed (self-contained, non-final) block run for 1 MiB, repeated, then an empty
 * final block.
 */
export function zeroBombDeflate(mebibytes: number): Buffer {
  const kernel = deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: constants.Z_FULL_FLUSH });
  return Buffer.concat([...Array.from({ length: mebibytes }, () => kernel), Buffer.from([0x03, 0x00])]);
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const ROOT_RELS = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

/** `<w:p>` paragraphs wrapped as a WordprocessingML document part. */
export const wordDocument = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;

/** A minimal .docx: content types, package rels, and the entries given (document.xml among them). */
export function docxEntries(document: ZipEntrySpec | string, extra: readonly ZipEntrySpec[] = []): ZipEntrySpec[] {
  const doc = typeof document === 'string' ? { name: 'word/document.xml', data: document } : document;
  return [{ name: '[Content_Types].xml', data: CONTENT_TYPES }, { name: '_rels/.rels', data: ROOT_RELS }, doc, ...extra];
}
