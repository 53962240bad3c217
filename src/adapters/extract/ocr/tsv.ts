/**
 * Tesseract's TSV output (one row per page, block, paragraph, line and word, with boxes and word
 * confidences) turned into plain text plus the two numbers the OCR strategy decides on.
 */

export interface OcrText {
  /** Lines joined by `\n`, paragraphs by a blank line, pages ended by `\f` (like tesseract's txt). */
  readonly text: string;
  readonly pages: number;
  /** Non-whitespace characters recognised. */
  readonly chars: number;
  /** Word confidence (0–100) weighted by characters; 0 when nothing was recognised. */
  readonly meanConfidence: number;
  /** Share of characters in lines at least twice as tall as wide: vertical text (or a page on its side). */
  readonly verticalShare: number;
}

// Japanese scripts, CJK punctuation and full-width forms: no space between two of them.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\u30a0-\u30ff\uff00-\uffef]/u;

interface Line {
  readonly key: string;
  readonly vertical: boolean;
  readonly words: string[];
}

const DIGIT = /[0-9\uff10-\uff19]/u;

/** Japanese next to Japanese, or a number next to Japanese (`27年度`, `50名`): no space. */
function tight(before: string, after: string): boolean {
  return (CJK.test(before) && (CJK.test(after) || DIGIT.test(after))) || (DIGIT.test(before) && CJK.test(after));
}

function joinWords(words: readonly string[]): string {
  let out = '';
  for (const word of words) {
    const glue = out === '' || tight(out.slice(-1), word.charAt(0)) ? '' : ' ';
    out += glue + word;
  }
  return out;
}

/**
 * Tesseract separates Japanese words (often single characters) with spaces; we drop the spaces
 * between Japanese characters (and between Japanese and numbers) so that phrases and snippets
 * read as written. Latin words keep their spaces.
 */
export function parseTesseractTsv(tsv: string): OcrText {
  const pages = new Map<number, Map<string, Line[]>>();
  const lines = new Map<string, Line>();
  let chars = 0;
  let vertical = 0;
  let weighted = 0;
  for (const row of tsv.split('\n')) {
    const cols = row.split('\t');
    if (cols.length < 12 || !/^\d+$/.test(cols[0] ?? '')) continue;
    const [level, page, block, par, line] = cols.slice(0, 5).map(Number);
    const paragraphKey = `${block}/${par}`;
    const key = `${page}/${paragraphKey}/${line}`;
    if (level === 1 && page !== undefined && !pages.has(page)) pages.set(page, new Map());
    if (level === 4 && page !== undefined) {
      const width = Number(cols[8]);
      const height = Number(cols[9]);
      const entry: Line = { key, vertical: height > 2 * width, words: [] };
      lines.set(key, entry);
      const paragraphs = pages.get(page) ?? new Map<string, Line[]>();
      pages.set(page, paragraphs);
      paragraphs.set(paragraphKey, [...(paragraphs.get(paragraphKey) ?? []), entry]);
    }
    const word = (cols[11] ?? '').trim();
    if (level !== 5 || word === '') continue;
    const owner = lines.get(key);
    if (owner === undefined) continue;
    owner.words.push(word);
    const n = [...word.replace(/\s+/gu, '')].length;
    chars += n;
    if (owner.vertical) vertical += n;
    weighted += Math.max(0, Number(cols[10])) * n;
  }
  const text = [...pages.values()]
    .map((paragraphs) =>
      [...paragraphs.values()]
        .map((ls) => ls.map((l) => joinWords(l.words)).filter((l) => l !== '').join('\n'))
        .filter((p) => p !== '')
        .join('\n\n'),
    )
    .map((page) => `${page}\f`)
    .join('');
  return {
    text,
    pages: pages.size,
    chars,
    meanConfidence: chars === 0 ? 0 : weighted / chars,
    verticalShare: chars === 0 ? 0 : vertical / chars,
  };
}
