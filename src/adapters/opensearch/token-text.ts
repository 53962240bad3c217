import { parseQuery, toTokenText } from '../../domain/search-text.js';

/**
 * The token stream SQLite's `unicode61 remove_diacritics 2` tokenizer makes of `toTokenText`
 * output, produced here so that OpenSearch only has to split on spaces (the `fs_tokens`
 * analyzer: whitespace tokenizer + lowercase). Doing it in JS instead of with a Lucene tokenizer
 * keeps both indexes on one definition of a token: the `standard` tokenizer (UAX#29) would keep
 * `my_report`, `example.com` and `3.14` whole where unicode61 splits them, and a query for
 * `report` would then find the file in SQLite only.
 */

// What unicode61 keeps as token characters (see domain/search-text.ts); everything else separates.
const SEPARATORS = /[^\p{L}\p{N}\p{M}\p{Co}]+/u;
const CJK_START = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u3006\u3007\u30fc]/u;
// unicode61's remove_diacritics folds Latin letters only (é → e, but not Greek έ nor ガ → カ),
// i.e. the combining marks U+0300..U+0331 that follow a Latin base letter after decomposition.
const LATIN_DIACRITICS = /(\p{Script=Latin})[\u0300-\u0331]+/gu;

/** One token as unicode61 stores it: lower case, Latin diacritics removed. */
export function foldToken(token: string): string {
  if (CJK_START.test(token)) return token;
  return token.toLowerCase().normalize('NFD').replace(LATIN_DIACRITICS, '$1').normalize('NFC');
}

function fold(tokens: readonly string[]): string[] {
  return tokens.map(foldToken).filter((t) => t !== '');
}

/** The text of a `tokens.*` field: the tokens of `toTokenText(text)`, folded, one space apart. */
export function indexTokenText(text: string): string {
  return fold(toTokenText(text).split(SEPARATORS)).join(' ');
}

/** The user query as phrases (one per term, tokens one space apart); empty when unsearchable. */
export function queryPhrases(userQuery: string): string[] {
  return parseQuery(userQuery)
    .map((term) => fold(term.tokens).join(' '))
    .filter((phrase) => phrase !== '');
}
