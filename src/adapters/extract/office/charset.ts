import { guessEncoding } from '../text-extractor.js';

/** Labels documents use that the WHATWG list (TextDecoder) does not know. */
const LABEL_ALIASES: Readonly<Record<string, string>> = {
  cp932: 'shift_jis',
  ms932: 'shift_jis',
  'windows-932': 'shift_jis',
  sjis: 'shift_jis',
  'x-ms-cp932': 'shift_jis',
  eucjp: 'euc-jp',
  'x-euc': 'euc-jp',
  ujis: 'euc-jp',
  cp51932: 'euc-jp',
  jis: 'iso-2022-jp',
  utf8: 'utf-8',
};

/** The TextDecoder encoding for a declared charset label, or undefined when unknown. */
export function encodingForLabel(label: string): string | undefined {
  const key = label.trim().toLowerCase();
  try {
    const encoding = new TextDecoder(LABEL_ALIASES[key] ?? key).encoding;
    return encoding === 'replacement' ? undefined : encoding;
  } catch {
    return undefined;
  }
}

/** Windows code pages (RTF `\ansicpg`, `\fcharset`, OLE property sets) as TextDecoder labels. */
export function codepageLabel(codepage: number): string | undefined {
  if (codepage >= 1250 && codepage <= 1258) return `windows-${codepage}`;
  const known: Readonly<Record<number, string>> = {
    874: 'windows-874',
    932: 'shift_jis',
    936: 'gbk',
    949: 'euc-kr',
    950: 'big5',
    866: 'ibm866',
    1200: 'utf-16le',
    1201: 'utf-16be',
    10000: 'macintosh',
    20932: 'euc-jp',
    50220: 'iso-2022-jp',
    50221: 'iso-2022-jp',
    50222: 'iso-2022-jp',
    51932: 'euc-jp',
    65001: 'utf-8',
  };
  return known[codepage];
}

const ASCII_HEAD = (bytes: Uint8Array, n: number): string => new TextDecoder('latin1').decode(bytes.subarray(0, n));

/** `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…; charset=…">` near the top. */
export function sniffHtmlCharset(bytes: Uint8Array): string | undefined {
  return /<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(ASCII_HEAD(bytes, 4096))?.[1];
}

/** The `encoding` of an XML declaration. */
export function sniffXmlEncoding(bytes: Uint8Array): string | undefined {
  return /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([\w.:-]+)["']/.exec(ASCII_HEAD(bytes, 1024))?.[1];
}

export interface Decoded {
  readonly text: string;
  readonly encoding: string;
  readonly warnings: readonly string[];
}

function strict(bytes: Uint8Array, encoding: string): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function detected(bytes: Uint8Array, warnings: string[]): Decoded {
  const guess = guessEncoding(bytes);
  if (!guess.confident) warnings.push(`encoding_fallback:${guess.encoding}`);
  if (guess.lossy) warnings.push(`decode_replacement:${guess.encoding}`);
  return { text: guess.text, encoding: guess.encoding, warnings };
}

const hasBom = (b: Uint8Array): boolean =>
  (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) || (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);

/**
 * Decodes a document that may declare its charset (HTML meta, XML declaration). A BOM wins; then
 * the declaration when the bytes are valid in it; otherwise the text decoder's detection. A
 * Latin-1 label is trusted unless the bytes are valid UTF-8 (the usual mislabel); a Japanese page
 * whose label lies falls back to detection, noted as `charset_mismatch`.
 */
export function decodeDeclared(bytes: Uint8Array, declared: string | undefined): Decoded {
  if (hasBom(bytes)) return detected(bytes, []);
  const warnings: string[] = [];
  let label = declared === undefined ? undefined : encodingForLabel(declared);
  if (declared !== undefined && label === undefined) warnings.push(`charset_unknown:${declared.slice(0, 40)}`);
  // A declaration readable as ASCII cannot be UTF-16 (the WHATWG rule): it means UTF-8.
  if (label?.startsWith('utf-16') === true) label = 'utf-8';
  if (label === undefined) return detected(bytes, warnings);
  if (label === 'windows-1252') {
    const utf8 = bytes.some((b) => b >= 0x80) ? strict(bytes, 'utf-8') : undefined;
    if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8', warnings: [`charset_mismatch:${label}->utf-8`] };
    return { text: new TextDecoder(label).decode(bytes), encoding: label, warnings };
  }
  const text = strict(bytes, label);
  if (text !== undefined) return { text, encoding: label, warnings };
  const guess = guessEncoding(bytes);
  if (guess.confident && !guess.lossy) {
    return { text: guess.text, encoding: guess.encoding, warnings: [...warnings, `charset_mismatch:${label}->${guess.encoding}`] };
  }
  return { text: new TextDecoder(label).decode(bytes), encoding: label, warnings: [...warnings, `decode_replacement:${label}`] };
}
