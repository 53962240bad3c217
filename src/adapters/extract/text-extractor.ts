import { readFile, stat } from 'node:fs/promises';
import Encoding from 'encoding-japanese';
import { ErrorCodes, PermanentError } from '../../domain/errors.js';
import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../ports/extractor.port.js';

/** WHATWG labels; `shift_jis` is CP932 (Windows-31J) there, so ①, ㈱ and the NEC/IBM rows decode. */
export type TextEncoding =
  | 'utf-8'
  | 'utf-16le'
  | 'utf-16be'
  | 'iso-2022-jp'
  | 'shift_jis'
  | 'euc-jp'
  | 'windows-1252';

export interface EncodingGuess {
  readonly encoding: TextEncoding;
  readonly text: string;
  /** Some bytes were invalid in the chosen encoding and became U+FFFD. */
  readonly lossy: boolean;
  /** False when no encoding fitted and windows-1252 was used as the last resort. */
  readonly confident: boolean;
  /** Share of decoded characters that are not control characters (0–1); low for binary data. */
  readonly clean: number;
}

export interface TextExtractorOptions {
  /** Larger files fail with `too_large`. Default 64 MiB. */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Below this share of plausible characters a decoding is considered wrong. */
const MIN_PLAUSIBLE = 0.85;
/** At most this share of U+FFFD is tolerated when a strict decode failed. */
const MAX_REPLACEMENT = 0.005;
/** Scoring a sample is enough and keeps a 64 MiB file cheap. */
const SCORE_CHARS = 100_000;
const HINT_BYTES = 1024 * 1024;

// 7-bit JIS designations: ESC $ @, ESC $ B, ESC $ ( D, ESC ( B, ESC ( J, ESC ( I.
// eslint-disable-next-line no-control-regex
const JIS_ESCAPE = /\x1b(?:\$[@B]|\$\(D|\([BJI])/;

/**
 * Weight of one code point as evidence of real text. Swapped UTF-16 byte order turns ASCII into
 * CJK ideographs (0x0061 → U+6100) and kana into Ext-A/PUA, so ideographs count less than ASCII
 * and kana; a correctly decoded file therefore always outscores its byte-swapped twin.
 */
function weight(cp: number): number {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d || cp === 0x0c || (cp >= 0x20 && cp <= 0x7e)) return 1;
  if (cp >= 0x3000 && cp <= 0x30ff) return 1; // CJK punctuation, Hiragana, Katakana
  if (cp >= 0xff01 && cp <= 0xff9f) return 1; // full-width ASCII, half-width katakana
  if (cp >= 0x4e00 && cp <= 0x9fff) return 0.5; // CJK unified ideographs
  if (cp >= 0xf900 && cp <= 0xfaff) return 0.5; // CJK compatibility ideographs (﨑)
  if (cp >= 0xa0 && cp <= 0x24f) return 0.5; // Latin-1 and Latin Extended
  if (cp >= 0x370 && cp <= 0x4ff) return 0.5; // Greek, Cyrillic (both in JIS X 0208)
  if (cp >= 0x2010 && cp <= 0x2bff) return 0.5; // punctuation, arrows, math, ①, boxes, shapes
  if (cp >= 0x3200 && cp <= 0x33ff) return 0.5; // ㈱, ㍉
  return 0;
}

const isControl = (cp: number): boolean =>
  (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0c && cp !== 0x0d && cp !== 0x1b) || (cp >= 0x7f && cp < 0xa0);

interface Score {
  /** Share of characters in the scripts and symbols Japanese and Western text use. */
  readonly plausible: number;
  /** Share of characters that are not control characters (any script). */
  readonly clean: number;
  readonly replacement: number;
  readonly score: number;
}

function score(text: string): Score {
  let total = 0;
  let good = 0;
  let controls = 0;
  let sum = 0;
  let replacement = 0;
  for (const ch of text.slice(0, SCORE_CHARS)) {
    const cp = ch.codePointAt(0) ?? 0;
    const w = weight(cp);
    total += 1;
    sum += w;
    if (w > 0) good += 1;
    if (isControl(cp)) controls += 1;
    if (cp === 0xfffd) replacement += 1;
  }
  if (total === 0) return { plausible: 1, clean: 1, replacement: 0, score: 0 };
  return { plausible: good / total, clean: 1 - controls / total, replacement: replacement / total, score: sum };
}

/** `stream: true` keeps a multi-byte character cut at the end of a sample from counting as invalid. */
function decode(bytes: Uint8Array, encoding: TextEncoding, fatal: boolean, partial: boolean): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal, ignoreBOM: false }).decode(bytes, { stream: partial });
  } catch {
    return undefined;
  }
}

interface Candidate {
  readonly encoding: TextEncoding;
  readonly text: string;
  readonly lossy: boolean;
  readonly clean: number;
  readonly score: number;
}

/**
 * Valid multi-byte UTF-8 is strong evidence on its own, so UTF-8 (any script) only has to be free
 * of control characters; legacy decodings must also land in Japanese/Western character ranges.
 */
function tryCandidate(bytes: Uint8Array, encoding: TextEncoding, partial: boolean): Candidate | undefined {
  const strict = decode(bytes, encoding, true, partial);
  const text = strict ?? decode(bytes, encoding, false, partial) ?? '';
  const s = score(text);
  if ((encoding === 'utf-8' ? s.clean : s.plausible) < MIN_PLAUSIBLE) return undefined;
  if (strict === undefined && s.replacement > MAX_REPLACEMENT) return undefined;
  return { encoding, text, lossy: strict === undefined, clean: s.clean, score: s.score };
}

function bomEncoding(bytes: Uint8Array): TextEncoding | undefined {
  const [a, b, c] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'utf-8';
  if (a === 0xff && b === 0xfe) return 'utf-16le';
  if (a === 0xfe && b === 0xff) return 'utf-16be';
  return undefined;
}

const isSevenBit = (bytes: Uint8Array): boolean => bytes.every((b) => b < 0x80);

/** Candidate order for bytes that are neither BOM-marked, 7-bit JIS nor valid UTF-8. */
function legacyOrder(bytes: Uint8Array): TextEncoding[] {
  const hint = Encoding.detect(bytes.subarray(0, HINT_BYTES));
  if (hint === 'EUCJP') return ['euc-jp', 'shift_jis', 'utf-16be', 'utf-16le'];
  if (hint === 'UTF16' || hint === 'UTF16BE' || hint === 'UTF16LE') return ['utf-16be', 'utf-16le', 'shift_jis', 'euc-jp'];
  return ['shift_jis', 'euc-jp', 'utf-16be', 'utf-16le'];
}

/**
 * Chooses the encoding of a Japanese-or-Western text file. Order: BOM, 7-bit ISO-2022-JP (checked
 * before UTF-8 because it is valid ASCII), strict UTF-8, then Shift_JIS / EUC-JP / UTF-16 without
 * a BOM, ranked by how plausible the decoded characters are. `partial` means `bytes` is only the
 * head of a file. Returns windows-1252 with `confident: false` when nothing fits.
 */
export function guessEncoding(bytes: Uint8Array, partial = false): EncodingGuess {
  if (bytes.length === 0) return { encoding: 'utf-8', text: '', lossy: false, confident: true, clean: 1 };
  const bom = bomEncoding(bytes);
  if (bom !== undefined) {
    const strict = decode(bytes, bom, true, partial);
    const text = strict ?? decode(bytes, bom, false, partial) ?? '';
    return { encoding: bom, text, lossy: strict === undefined, confident: true, clean: score(text).clean };
  }
  const sevenBit = isSevenBit(bytes);
  const ordered: TextEncoding[] = [];
  if (sevenBit && JIS_ESCAPE.test(new TextDecoder('latin1').decode(bytes.subarray(0, HINT_BYTES)))) {
    ordered.push('iso-2022-jp');
  }
  ordered.push('utf-8');
  const hasNul = bytes.includes(0);
  for (const encoding of ordered) {
    const c = tryCandidate(bytes, encoding, partial);
    if (c !== undefined && !c.lossy) return { ...c, confident: true };
  }
  // Ranked legacy candidates: the best-scoring lossless decode wins. Almost any even-length byte
  // string is valid UTF-16, and Shift_JIS pairs read as UTF-16BE land among the CJK ideographs, so
  // UTF-16 without a BOM is only considered when NULs (the high byte of ASCII and newlines) occur.
  const candidates = legacyOrder(bytes)
    .filter((e) => hasNul || !e.startsWith('utf-16'))
    .map((e) => tryCandidate(bytes, e, partial))
    .filter((c): c is Candidate => c !== undefined);
  const best = [...candidates].sort((x, y) => Number(x.lossy) - Number(y.lossy) || y.score - x.score)[0];
  if (best !== undefined) return { ...best, confident: true };
  const text = decode(bytes, 'windows-1252', false, partial) ?? '';
  return { encoding: 'windows-1252', text, lossy: false, confident: false, clean: score(text).clean };
}

/** Decodes text/* files. One file per format: OCR, Office and PDF live in their own extractors. */
export class TextExtractor implements Extractor {
  readonly name = 'text';
  private readonly maxBytes: number;

  constructor(options: TextExtractorOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  supports(type: DetectedType): boolean {
    return type.mime.startsWith('text/');
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    const { size } = await stat(input.path);
    if (size > this.maxBytes) {
      throw new PermanentError(ErrorCodes.TooLarge, `text file is ${size} bytes, limit is ${this.maxBytes}`, {
        details: { size, maxBytes: this.maxBytes },
      });
    }
    const bytes = await readFile(input.path, input.signal === undefined ? {} : { signal: input.signal });
    const guess = guessEncoding(bytes);
    const warnings: string[] = [];
    if (!guess.confident) warnings.push(`encoding_fallback:${guess.encoding}`);
    if (guess.lossy) warnings.push(`decode_replacement:${guess.encoding}`);
    return {
      text: guess.text,
      ocrUsed: false,
      metadataOnly: false,
      extractor: `text/${guess.encoding}`,
      warnings,
      timings: { decodeMs: performance.now() - started },
    };
  }
}
