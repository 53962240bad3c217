import { normalizeText } from './text.js';

/**
 * How search text is tokenised, shared by both index adapters so they find the same documents.
 * Every CJK character is its own token and a Japanese query is a phrase of single characters: an
 * exact substring match that ignores whitespace (PDF text breaks lines mid-word), and one- and
 * two-character queries (図, 会議) work without a dictionary. Latin words and numbers stay words.
 * (SQLite FTS5 cannot take a custom tokenizer from Node, so the embedded index stores
 * `toTokenText` output; OpenSearch gets the same text in a field with a whitespace-aware analyzer.)
 */

/** A snippet of the content with the matched ranges (UTF-16 offsets into `text`). */
export interface Snippet {
  readonly text: string;
  readonly highlights: ReadonlyArray<readonly [start: number, end: number]>;
}

// 々 〆 〇 ー are Common/Han-adjacent marks that belong inside Japanese words.
const CJK = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3005\\u3006\\u3007\\u30fc]';
// What unicode61 keeps as token characters (letters, numbers, marks, private use).
const TOKEN_CHAR = '[\\p{L}\\p{N}\\p{M}\\p{Co}]';
const CJK_CHAR = new RegExp(`${CJK}\\p{M}*`, 'gu');
const TOKEN = new RegExp(`${CJK}\\p{M}*|(?:(?!${CJK})${TOKEN_CHAR})+`, 'gu');
const IS_CJK = new RegExp(`^${CJK}`, 'u');
// A double-quoted phrase (closing quote optional) or a bare whitespace-separated word.
const QUERY_PART = /"([^"]*)"?|[^\s"]+/g;
const CURLY_QUOTES = /[\u201c\u201d\u201e\u201f\u301d\u301e]/g;

/** Long queries are cut: a pasted page of text must not become a 10,000-token phrase. */
export const MAX_QUERY_CHARS = 1_000;

/** Text as the index tokenises it: NFKC, with every CJK character spaced into its own token. */
export function toTokenText(text: string): string {
  return normalizeText(text).replace(CJK_CHAR, ' $& ');
}

/** One search term: the tokens that must appear adjacent, in order (a phrase). */
export interface QueryTerm {
  readonly tokens: readonly string[];
}

/** Splits a user query into terms; `"quoted parts"` are one term. Terms without tokens are dropped. */
export function parseQuery(userQuery: string): QueryTerm[] {
  const text = normalizeText(userQuery.slice(0, MAX_QUERY_CHARS)).replace(CURLY_QUOTES, '"');
  const terms: QueryTerm[] = [];
  for (const part of text.matchAll(QUERY_PART)) {
    const tokens = (part[1] ?? part[0]).match(TOKEN) ?? [];
    if (tokens.length > 0) terms.push({ tokens });
  }
  return terms;
}

export interface SnippetOptions {
  readonly maxChars?: number;
}

interface Match {
  readonly start: number;
  readonly end: number;
  readonly term: number;
}

const DEFAULT_SNIPPET_CHARS = 160;
const MAX_MATCHES_PER_TERM = 100;
const MAX_WINDOW_CANDIDATES = 50;
const ELLIPSIS = '\u2026';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regex finding a term in normalised content the way FTS5 matched it: case-insensitive,
 * whitespace between CJK characters allowed, separators between words allowed, and Latin tokens
 * only as whole words (FTS5 matches tokens, not prefixes).
 */
function termPattern(term: QueryTerm): RegExp {
  const cjk = term.tokens.map((t) => IS_CJK.test(t));
  let source = cjk[0] ? '' : `(?:(?<!${TOKEN_CHAR})|(?<=${CJK}))`;
  term.tokens.forEach((token, i) => {
    if (i > 0) source += cjk[i - 1] && cjk[i] ? '\\s*' : cjk[i - 1] || cjk[i] ? '[^\\p{L}\\p{N}]*' : '[^\\p{L}\\p{N}]+';
    source += escapeRegExp(token);
  });
  if (!cjk[cjk.length - 1]) source += `(?:(?!${TOKEN_CHAR})|(?=${CJK}))`;
  return new RegExp(source, 'giu');
}

function findMatches(content: string, terms: readonly QueryTerm[]): Match[] {
  const matches: Match[] = [];
  terms.forEach((term, index) => {
    let found = 0;
    for (const m of content.matchAll(termPattern(term))) {
      matches.push({ start: m.index, end: m.index + m[0].length, term: index });
      if (++found >= MAX_MATCHES_PER_TERM) break;
    }
  });
  return matches.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** The match to centre on: the earliest one whose window holds the most distinct terms. */
function pickAnchor(matches: readonly Match[], maxChars: number): { start: number; end: number } {
  let best = { start: 0, end: 0, distinct: -1 };
  for (let i = 0; i < Math.min(matches.length, MAX_WINDOW_CANDIDATES); i++) {
    const anchor = matches[i] as Match;
    const seen = new Set<number>();
    let end = anchor.end;
    for (let j = i; j < matches.length; j++) {
      const m = matches[j] as Match;
      if (m.end - anchor.start > maxChars) break;
      seen.add(m.term);
      end = Math.max(end, m.end);
    }
    if (seen.size > best.distinct) best = { start: anchor.start, end, distinct: seen.size };
  }
  return best;
}

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Moves the window edges inwards so that no surrogate pair is split. */
function snapToCodePoints(content: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  if (s > 0 && s < content.length && isLow(content.charCodeAt(s))) s += 1;
  if (e < content.length && e > s && isHigh(content.charCodeAt(e - 1))) e -= 1;
  return [s, e];
}

function windowAround(content: string, anchor: { start: number; end: number }, maxChars: number): [number, number] {
  const span = Math.min(anchor.end - anchor.start, maxChars);
  const lead = Math.min(Math.floor((maxChars - span) / 2), Math.floor(maxChars / 4));
  let start = Math.max(0, anchor.start - lead);
  const end = Math.min(content.length, start + maxChars);
  if (end - start < maxChars) start = Math.max(0, end - maxChars);
  // Start Latin text on a word boundary when one is close: "…based system" reads better than "…sed system".
  if (start > 0) {
    const gap = content.slice(start, Math.min(anchor.start, start + 15)).search(/\s/);
    if (gap >= 0) start += gap + 1;
  }
  return snapToCodePoints(content, start, end);
}

function render(content: string, start: number, end: number, matches: readonly Match[]): Snippet {
  const prefix = start > 0 ? ELLIPSIS : '';
  const suffix = end < content.length ? ELLIPSIS : '';
  // One-for-one replacement keeps offsets valid while putting the snippet on one line.
  const text = prefix + content.slice(start, end).replace(/\s/g, ' ') + suffix;
  const highlights: Array<[number, number]> = [];
  for (const m of matches) {
    if (m.start < start || m.end > end) continue;
    const range: [number, number] = [m.start - start + prefix.length, m.end - start + prefix.length];
    const last = highlights[highlights.length - 1];
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else highlights.push(range);
  }
  return { text, highlights };
}

/**
 * A plain-text snippet of `content` around the query's matches, with highlight ranges as UTF-16
 * offsets into `text`. No markup: the caller renders highlights safely. Without a match in the
 * content (the hit came from the file name or title) the snippet is the start of the content.
 */
export function makeSnippet(content: string, userQuery: string, options: SnippetOptions = {}): Snippet {
  const maxChars = Math.max(1, Math.floor(options.maxChars ?? DEFAULT_SNIPPET_CHARS));
  const matches = findMatches(content, parseQuery(userQuery));
  if (matches.length === 0) {
    const [start, end] = snapToCodePoints(content, 0, Math.min(content.length, maxChars));
    return render(content, start, end, []);
  }
  const [start, end] = windowAround(content, pickAnchor(matches, maxChars), maxChars);
  return render(content, start, end, matches);
}

/**
 * Where the query matches in `content` (UTF-16 offsets, sorted, merged), for highlighting a
 * whole document; at most `max` ranges (each term's first matches).
 */
export function highlightRanges(content: string, userQuery: string, max = 1_000): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const m of findMatches(content, parseQuery(userQuery))) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && m.start <= last[1]) last[1] = Math.max(last[1], m.end);
    else if (ranges.length < max) ranges.push([m.start, m.end]);
  }
  return ranges;
}
