import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../../ports/extractor.port.js';
import { CfbReader } from './cfb-reader.js';
import { codepageLabel } from './charset.js';
import { encryptedFile } from './failures.js';

/**
 * OLE2 containers: Word/Excel/PowerPoint 97–2003 files, and password-protected OOXML (a .docx
 * whose bytes are OLE2 holding an `EncryptedPackage`). Encrypted ones fail with `encrypted_file`;
 * legacy formats are indexed metadata-only (title, author, page count from SummaryInformation) —
 * their binary text streams are not parsed.
 */

const LEGACY_MIMES = new Set(['application/x-cfb', 'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']);
const SUMMARY_INFORMATION = '\u0005SummaryInformation';
const PID = { codepage: 1, title: 2, author: 4, pageCount: 14 } as const;

/** Why the container is encrypted, or undefined. */
export async function describeCfbEncryption(cfb: CfbReader): Promise<string | undefined> {
  if (cfb.find('EncryptedPackage') !== undefined || cfb.find('EncryptionInfo') !== undefined) {
    return 'password-protected Office document (OOXML EncryptedPackage)';
  }
  if (cfb.find('EncryptedSummary') !== undefined) return 'password-protected PowerPoint 97-2003 document';
  const word = cfb.find('WordDocument');
  if (word !== undefined) {
    // FibBase: wIdent 0xA5EC, then flags at 0x0A; fEncrypted = 0x0100, fObfuscated = 0x8000.
    const fib = await cfb.read(word, 12);
    if (fib.length >= 12 && fib.readUInt16LE(0) === 0xa5ec && (fib.readUInt16LE(0x0a) & 0x8100) !== 0) {
      return 'password-protected Word 97-2003 document';
    }
  }
  const book = cfb.find('Workbook') ?? cfb.find('Book');
  if (book !== undefined && hasFilePass(await cfb.read(book, 8192))) return 'password-protected Excel 97-2003 workbook';
  return undefined;
}

/** A FILEPASS record (0x002F) among the workbook globals, before the first BOUNDSHEET (0x0085). */
function hasFilePass(stream: Buffer): boolean {
  for (let at = 0, n = 0; at + 4 <= stream.length && n < 500; n += 1) {
    const type = stream.readUInt16LE(at);
    if (type === 0x002f) return true;
    if (type === 0x0085 || type === 0x000a) return false;
    at += 4 + stream.readUInt16LE(at + 2);
  }
  return false;
}

interface SummaryProperties {
  title?: string;
  author?: string;
  pageCount?: number;
}

/** The first section of an OLE property set ([MS-OLEPS]): strings and integers by property id. */
function parseSummary(buf: Buffer): SummaryProperties {
  if (buf.length < 48 || buf.readUInt16LE(0) !== 0xfffe) return {};
  const section = buf.readUInt32LE(44);
  if (section + 8 > buf.length) return {};
  const count = Math.min(buf.readUInt32LE(section + 4), 256);
  const values = new Map<number, { type: number; at: number }>();
  for (let i = 0; i < count; i += 1) {
    const entry = section + 8 + i * 8;
    if (entry + 8 > buf.length) break;
    const at = section + buf.readUInt32LE(entry + 4);
    if (at + 8 <= buf.length) values.set(buf.readUInt32LE(entry), { type: buf.readUInt16LE(at), at });
  }
  const cp = values.get(PID.codepage);
  const codepage = cp?.type === 2 ? buf.readUInt16LE(cp.at + 4) : 1252;
  const text = (pid: number): string | undefined => {
    const v = values.get(pid);
    if (v === undefined) return undefined;
    const length = buf.readUInt32LE(v.at + 4);
    let s: string | undefined;
    if (v.type === 0x1e) {
      s = new TextDecoder(codepageLabel(codepage) ?? 'windows-1252').decode(buf.subarray(v.at + 8, Math.min(v.at + 8 + length, buf.length)));
    } else if (v.type === 0x1f) {
      s = buf.toString('utf16le', v.at + 8, Math.min(v.at + 8 + length * 2, buf.length));
    }
    const trimmed = s?.replace(/\0+$/u, '').trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const pages = values.get(PID.pageCount);
  const pageCount = pages?.type === 3 ? buf.readInt32LE(pages.at + 4) : undefined;
  const title = text(PID.title);
  const author = text(PID.author);
  return {
    ...(title === undefined ? {} : { title }),
    ...(author === undefined ? {} : { author }),
    ...(pageCount !== undefined && pageCount > 0 ? { pageCount } : {}),
  };
}

function flavour(cfb: CfbReader): string {
  if (cfb.find('WordDocument') !== undefined) return 'doc';
  if (cfb.find('Workbook') !== undefined || cfb.find('Book') !== undefined) return 'xls';
  if (cfb.find('PowerPoint Document') !== undefined) return 'ppt';
  return 'cfb';
}

export class LegacyOfficeExtractor implements Extractor {
  readonly name = 'office/legacy';

  /** Only real OLE2 bytes: a .doc whose bytes matched nothing is left to the metadata-only fallback. */
  supports(type: DetectedType): boolean {
    return type.source === 'magic' && LEGACY_MIMES.has(type.mime);
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    const cfb = await CfbReader.open(input.path);
    try {
      const encryption = await describeCfbEncryption(cfb);
      if (encryption !== undefined) throw encryptedFile(encryption);
      const summary = cfb.find(SUMMARY_INFORMATION);
      const props = summary === undefined ? {} : parseSummary(await cfb.read(summary, 64 * 1024));
      const kind = flavour(cfb);
      return {
        text: '',
        ...props,
        ocrUsed: false,
        metadataOnly: true,
        extractor: `office/${kind}`,
        warnings: [`unsupported_format:${input.type.mime}`],
        timings: { officeMs: performance.now() - started },
      };
    } finally {
      await cfb.close();
    }
  }
}
