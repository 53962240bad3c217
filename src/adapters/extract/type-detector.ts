import { open } from 'node:fs/promises';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { DetectedType, TypeDetector } from '../../ports/extractor.port.js';
import { guessEncoding } from './text-extractor.js';

const SAMPLE_BYTES = 4096;
/** An unlabelled (windows-1252) sample counts as text only if almost no character is a control. */
const MIN_CLEAN_LATIN = 0.95;

/** Extensions of text formats; the extension then names the format (html, xml, json…) for its extractor. */
const TEXT_EXTENSIONS = new Set([
  'txt', 'text', 'md', 'markdown', 'csv', 'tsv', 'json', 'jsonl', 'ndjson', 'xml', 'html', 'htm', 'xhtml',
  'log', 'ini', 'yaml', 'yml', 'toml', 'rst', 'tex',
]);

/** Used only when the bytes say nothing. */
const EXTENSION_MIME: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  rtf: 'application/rtf',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip',
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  tif: 'image/tiff',
  bmp: 'image/bmp',
  webp: 'image/webp',
};

/** Spellings of one type; canonical extension on the right. */
const ALIASES: Readonly<Record<string, string>> = { jpeg: 'jpg', jpe: 'jpg', tiff: 'tif', htm: 'html', xhtml: 'html', markdown: 'md' };

/**
 * Containers whose flavour magic cannot always name: OLE2 is always `cfb` (doc, xls, ppt and
 * encrypted OOXML alike), and a ZIP whose parts file-type cannot reach stays `zip`. When the
 * extension names a member of the family, it decides the flavour.
 */
const CONTAINER_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  zip: ['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp'],
  cfb: ['doc', 'xls', 'ppt'],
};

const canonical = (ext: string): string => ALIASES[ext] ?? ext;

function normalizeExtension(extension: string): string {
  return extension.replace(/^\./, '').toLowerCase();
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function hasTextBom(bytes: Uint8Array): boolean {
  const [a, b, c] = bytes;
  return (a === 0xef && b === 0xbb && c === 0xbf) || (a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff);
}

/** BOMs, valid UTF-8, 7-bit JIS, Shift_JIS/EUC-JP, UTF-16 patterns, or clean Latin text. */
function looksLikeText(sample: Uint8Array): boolean {
  const guess = guessEncoding(sample, true);
  if (guess.confident) return true;
  return !sample.includes(0) && guess.clean >= MIN_CLEAN_LATIN;
}

function mismatch(extension: string, actualExt: string, mime: string): string | undefined {
  if (extension === '' || canonical(extension) === canonical(actualExt)) return undefined;
  return `extension .${extension} but content is ${mime}`;
}

/** An HTML page saved under another name (web systems export "Excel" files as HTML tables). */
const HTML_START = /^(?:\xef\xbb\xbf)?\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html)[\s>]/i;

function textType(extension: string, magicExt?: string, sample?: Uint8Array): DetectedType {
  const sniffed = sample !== undefined && HTML_START.test(new TextDecoder('latin1').decode(sample)) ? 'html' : undefined;
  const ext = TEXT_EXTENSIONS.has(extension) ? canonical(extension) : (sniffed ?? magicExt ?? 'txt');
  const base = { mime: 'text/plain', ext, source: 'text' as const };
  // A text file called .pdf or .png is worth noting; one called .dat or .conf is not.
  const note = EXTENSION_MIME[canonical(extension)] === undefined ? undefined : mismatch(extension, ext, 'text/plain');
  return note === undefined ? base : { ...base, mismatch: note };
}

/** Magic-byte and content sniffing over the first 4 KiB of a file. */
export class MagicTypeDetector implements TypeDetector {
  async detect(path: string, extension: string): Promise<DetectedType> {
    const ext = normalizeExtension(extension);
    const sample = await readHead(path);
    if (sample.length === 0) return textType(ext);
    // Before magic: file-type reads a UTF-16LE BOM followed by some kana as an MPEG audio frame.
    if (hasTextBom(sample) && guessEncoding(sample, true).clean >= MIN_CLEAN_LATIN) return textType(ext);

    let magic = await fileTypeFromBuffer(sample);
    const textual = magic !== undefined && (magic.ext === 'xml' || magic.mime.startsWith('text/'));
    if (textual || (magic === undefined && looksLikeText(sample))) return textType(ext, magic?.ext, sample);
    // Some signatures lie past 4 KiB (TIFF IFDs, OOXML parts after other ZIP entries); only for
    // those does file-type read further into the file, seeking rather than loading it.
    if (magic === undefined || magic.ext === 'zip') magic = (await fileTypeFromFile(path)) ?? magic;
    if (magic !== undefined) {
      if (CONTAINER_MEMBERS[magic.ext]?.includes(canonical(ext)) === true) {
        return { mime: EXTENSION_MIME[canonical(ext)] ?? magic.mime, ext: canonical(ext), source: 'magic' };
      }
      const note = mismatch(ext, magic.ext, magic.mime);
      const base = { mime: magic.mime, ext: magic.ext, source: 'magic' as const };
      return note === undefined ? base : { ...base, mismatch: note };
    }

    const byExtension = EXTENSION_MIME[canonical(ext)];
    if (byExtension !== undefined) return { mime: byExtension, ext: canonical(ext), source: 'extension' };
    if (TEXT_EXTENSIONS.has(ext)) return { mime: 'text/plain', ext: canonical(ext), source: 'extension' };
    return { mime: 'application/octet-stream', ext: ext === '' ? 'bin' : ext, source: 'unknown' };
  }
}
