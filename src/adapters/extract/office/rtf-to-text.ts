import { TextDecoder } from 'node:util';
import { codepageLabel } from './charset.js';

/**
 * RTF to plain text. Groups, control words and destinations per the RTF 1.9 spec, as Word and
 * LibreOffice write them: `\'hh` bytes decode in the code page of the current font's charset
 * (`\fcharset128` = CP932) or the document's `\ansicpgN`; `\uN` is Unicode, followed by `\ucN`
 * fallback characters that are dropped. Never recursive: nesting depth costs only a stack entry.
 */

export interface RtfText {
  readonly text: string;
  readonly title?: string;
  readonly author?: string;
  readonly truncated: boolean;
}

type Destination = 'text' | 'skip' | 'fonttbl' | 'info' | 'title' | 'author';

interface GroupState {
  dest: Destination;
  /** Fallback characters written after each `\uN`. */
  uc: number;
  font: number | undefined;
  /** Inside the font table: the font whose entry is being read. */
  fontDef: number | undefined;
}

/** Destinations whose content is never text: tables, pictures, field instructions, metadata. */
const SKIPPED = new Set([
  'colortbl', 'stylesheet', 'listtable', 'listoverridetable', 'revtbl', 'rsidtbl', 'generator', 'xmlnstbl',
  'themedata', 'colorschememapping', 'latentstyles', 'datastore', 'pict', 'objdata', 'objclass', 'objname',
  'objalias', 'objsect', 'objtime', 'fldinst', 'pntext', 'pntxta', 'pntxtb', 'listtext', 'bkmkstart', 'bkmkend',
  'filetbl', 'mmathPr', 'userprops', 'docvar', 'xe', 'tc', 'txe', 'pgdsctbl', 'passwordhash', 'protusertbl',
  'ftnsep', 'ftnsepc', 'aftnsep', 'aftnsepc', 'nonshppict', 'shppict', 'sp', 'sn', 'sv', 'atnid', 'atnauthor',
  'atndate', 'atnref', 'template', 'wgrffmtfilter', 'blipuid', 'picprop', 'falt', 'panose', 'fchars', 'lchars',
]);

const SYMBOLS: Readonly<Record<string, string>> = {
  par: '\n', line: '\n', sect: '\n', page: '\n', row: '\n', nestrow: '\n',
  tab: '\t', cell: '\t', nestcell: '\t',
  emdash: '\u2014', endash: '\u2013', bullet: '\u2022', lquote: '\u2018', rquote: '\u2019',
  ldblquote: '\u201c', rdblquote: '\u201d', emspace: ' ', enspace: ' ', qmspace: ' ',
};

/** `\fcharsetN` → Windows code page. 0/1 (ANSI/default) follow the document's `\ansicpg`. */
const CHARSET_CODEPAGE: Readonly<Record<number, number>> = {
  2: 1252, 77: 10000, 128: 932, 129: 949, 134: 936, 136: 950, 161: 1253, 162: 1254, 163: 1258,
  177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250,
};

const isLetter = (b: number): boolean => (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a);
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

class RtfConverter {
  private readonly text: string[] = [];
  private readonly title: string[] = [];
  private readonly author: string[] = [];
  private textLength = 0;
  truncated = false;

  private state: GroupState = { dest: 'text', uc: 1, font: undefined, fontDef: undefined };
  private readonly stack: GroupState[] = [];
  private readonly fonts = new Map<number, number>();
  private readonly decoders = new Map<number, TextDecoder>();
  private docCodepage = 1252;
  private defaultFont: number | undefined;
  /**
   * Bytes (from `\'hh` and raw text) awaiting decoding together, so a double-byte pair stays whole
   * even across a group boundary or a formatting word (`\dbch{\'89}{\'bd}` is 何, as Word reads it).
   * They are decoded when text of another kind, code page or destination arrives.
   */
  private pending: number[] = [];
  private pendingCodepage = 1252;
  private pendingDest: Destination = 'text';
  private skipChars = 0;
  private ignorable = false;

  constructor(private readonly maxChars: number) {}

  run(bytes: Uint8Array): RtfText {
    let i = Math.max(bytes.indexOf(0x7b), 0); // a BOM or blank lines before `{\rtf` are not text
    while (i < bytes.length && !this.truncated) {
      const c = bytes[i] ?? 0;
      if (c === 0x7b) {
        this.stack.push({ ...this.state });
        this.skipChars = 0;
        i += 1;
      } else if (c === 0x7d) {
        this.state = this.stack.pop() ?? this.state;
        this.skipChars = 0;
        i += 1;
      } else if (c === 0x5c) {
        i = this.control(bytes, i);
      } else {
        if (c !== 0x0d && c !== 0x0a) this.addByte(c);
        i += 1;
      }
    }
    this.flush();
    const meta = (parts: string[]): string | undefined => parts.join('').trim() || undefined;
    const title = meta(this.title);
    const author = meta(this.author);
    return { text: this.text.join(''), ...(title === undefined ? {} : { title }), ...(author === undefined ? {} : { author }), truncated: this.truncated };
  }

  /** Handles the control word or symbol at `i` (a backslash); returns the index after it. */
  private control(bytes: Uint8Array, i: number): number {
    const next = bytes[i + 1];
    if (next === undefined) return i + 1;
    if (isLetter(next)) {
      let j = i + 1;
      while (j < bytes.length && isLetter(bytes[j] ?? 0) && j - i <= 32) j += 1;
      const word = Buffer.from(bytes.subarray(i + 1, j)).toString('latin1');
      let k = j;
      if (bytes[k] === 0x2d) k += 1;
      const digitsStart = k;
      while (k < bytes.length && isDigit(bytes[k] ?? 0) && k - digitsStart < 10) k += 1;
      let param: number | undefined;
      if (k > digitsStart) param = Number.parseInt(Buffer.from(bytes.subarray(j, k)).toString('latin1'), 10);
      else k = j;
      if (bytes[k] === 0x20) k += 1;
      // \binN: N raw bytes follow, whatever they contain.
      if (word === 'bin') return k + Math.max(param ?? 0, 0);
      this.word(word, param);
      return k;
    }
    switch (next) {
      case 0x27: {
        const hex = Number.parseInt(Buffer.from(bytes.subarray(i + 2, i + 4)).toString('latin1'), 16);
        if (!Number.isNaN(hex)) this.addByte(hex);
        return i + 4;
      }
      case 0x2a:
        this.ignorable = true;
        return i + 2;
      // Escaped bytes stay bytes: a Shift_JIS trail byte can be 0x5C, 0x7B or 0x7D.
      case 0x5c:
      case 0x7b:
      case 0x7d:
        this.addByte(next);
        return i + 2;
      case 0x0a:
      case 0x0d:
        this.word('par', undefined);
        return i + 2;
      case 0x7e:
        this.emit('\u00a0');
        return i + 2;
      case 0x5f:
        this.emit('\u2011');
        return i + 2;
      default:
        return i + 2; // \- optional hyphen, \| \: index formatting
    }
  }

  private word(word: string, param: number | undefined): void {
    const state = this.state;
    if (this.ignorable) {
      this.ignorable = false;
      if (word !== 'fonttbl') {
        state.dest = 'skip';
        return;
      }
    }
    if (this.skipChars > 0) {
      this.skipChars -= 1;
      return;
    }
    if (state.dest === 'skip') return;
    if (word === 'fonttbl') state.dest = 'fonttbl';
    else if (word === 'info') state.dest = 'info';
    else if (state.dest === 'info' && (word === 'title' || word === 'author')) state.dest = word;
    else if (SKIPPED.has(word)) state.dest = 'skip';
    else if (state.dest === 'fonttbl') this.fontTable(word, param);
    else this.formatting(word, param);
  }

  private fontTable(word: string, param: number | undefined): void {
    if (word === 'f') this.state.fontDef = param;
    const font = this.state.fontDef;
    if (font === undefined || param === undefined) return;
    if (word === 'fcharset' && CHARSET_CODEPAGE[param] !== undefined) this.fonts.set(font, CHARSET_CODEPAGE[param]);
    else if (word === 'cpg') this.fonts.set(font, param);
  }

  private formatting(word: string, param: number | undefined): void {
    const state = this.state;
    const symbol = SYMBOLS[word];
    if (symbol !== undefined) this.emit(symbol);
    else if (word === 'u' && param !== undefined) {
      this.emit(String.fromCharCode(param < 0 ? param + 65536 : param));
      this.skipChars = state.uc;
    } else if (word === 'uc') state.uc = Math.max(param ?? 1, 0);
    else if (word === 'f') state.font = param;
    else if (word === 'plain') state.font = this.defaultFont;
    else if (word === 'ansicpg' && param !== undefined) this.docCodepage = param;
    else if (word === 'mac') this.docCodepage = 10000;
    else if (word === 'pc') this.docCodepage = 437;
    else if (word === 'pca') this.docCodepage = 850;
    else if (word === 'deff') {
      this.defaultFont = param;
      state.font ??= param;
    }
  }

  private get codepage(): number {
    const font = this.state.font;
    return (font === undefined ? undefined : this.fonts.get(font)) ?? this.docCodepage;
  }

  private addByte(byte: number): void {
    if (this.skipChars > 0) {
      this.skipChars -= 1;
      return;
    }
    const dest = this.state.dest;
    if (dest !== 'text' && dest !== 'title' && dest !== 'author') return;
    const codepage = this.codepage;
    if (this.pending.length > 0 && (codepage !== this.pendingCodepage || dest !== this.pendingDest)) this.flush();
    this.pendingCodepage = codepage;
    this.pendingDest = dest;
    this.pending.push(byte);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const codepage = this.pendingCodepage;
    let decoder = this.decoders.get(codepage);
    if (decoder === undefined) {
      decoder = new TextDecoder(codepageLabel(codepage) ?? 'windows-1252');
      this.decoders.set(codepage, decoder);
    }
    const bytes = Uint8Array.from(this.pending);
    this.pending = [];
    this.write(decoder.decode(bytes), this.pendingDest);
  }

  private emit(text: string): void {
    this.flush();
    this.write(text, this.state.dest);
  }

  private write(text: string, dest: Destination): void {
    if (dest === 'title') this.title.push(text);
    else if (dest === 'author') this.author.push(text);
    else if (dest === 'text') {
      const room = this.maxChars - this.textLength;
      if (text.length > room) this.truncated = true;
      const kept = text.length > room ? text.slice(0, room) : text;
      this.text.push(kept);
      this.textLength += kept.length;
    }
  }
}

/** Converts RTF bytes to text; `maxChars` caps the body text (the rest is dropped, `truncated`). */
export function rtfToText(bytes: Uint8Array, maxChars = Number.MAX_SAFE_INTEGER): RtfText {
  return new RtfConverter(maxChars).run(bytes);
}

/** `{\rtf` after optional whitespace or a UTF-8 BOM. */
export const isRtf = (bytes: Uint8Array): boolean => /^(?:\xef\xbb\xbf)?\s*\{\\rtf/.test(Buffer.from(bytes.subarray(0, 64)).toString('latin1'));
