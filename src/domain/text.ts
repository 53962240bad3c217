/** Text normalisation shared by every extractor and both index adapters. Pure functions. */

// C0/C1 controls except tab and newline; also lone surrogates and the BOM.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\ufffe]/g;

/** NFKC (full-width → half-width, Kangxi radicals → ideographs, ① → 1), unified newlines, no controls. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .normalize('NFKC')
    .replace(CONTROL, ' ')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Keeps at most `maxChars` characters (by code point, never splitting a surrogate pair). */
export function capText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  let end = maxChars;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), truncated: true };
}

export const Languages = { Japanese: 'ja', English: 'en', Other: 'other', Unknown: 'unknown' } as const;
export type Language = (typeof Languages)[keyof typeof Languages];

const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/gu;
const HAN = /\p{Script=Han}/gu;
const LATIN = /\p{Script=Latin}/gu;
const LETTER = /\p{L}/gu;

function count(re: RegExp, s: string): number {
  return s.match(re)?.length ?? 0;
}

/**
 * A cheap language guess from scripts in the first 20k characters. Kana is decisive for
 * Japanese (Chinese has Han but no kana); Latin-dominant text is called English.
 */
export function guessLanguage(text: string): Language {
  const sample = text.slice(0, 20_000);
  const letters = count(LETTER, sample);
  if (letters < 2) return Languages.Unknown;
  const kana = count(KANA, sample);
  const han = count(HAN, sample);
  const latin = count(LATIN, sample);
  if (kana > 0 && (kana + han) / letters >= 0.2) return Languages.Japanese;
  if (latin / letters >= 0.8) return Languages.English;
  return Languages.Other;
}
