import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildMatchQuery } from '../../src/adapters/embedded/fts-query.js';
import { makeSnippet, parseQuery, toTokenText } from '../../src/domain/search-text.js';

const slice = (s: { text: string; highlights: ReadonlyArray<readonly [number, number]> }) =>
  s.highlights.map(([a, b]) => s.text.slice(a, b));

describe('toTokenText', () => {
  it('puts every CJK character in its own token and keeps Latin words whole', () => {
    expect(toTokenText('定例会議abc123です').split(/\s+/).filter(Boolean)).toEqual(['定', '例', '会', '議', 'abc123', 'で', 'す']);
  });

  it('treats 々 〆 〇 ー, half-width katakana and Hangul as CJK', () => {
    const tokens = (s: string) => toTokenText(s).split(/\s+/).filter(Boolean);
    expect(tokens('人々〆切〇')).toEqual(['人', '々', '〆', '切', '〇']);
    expect(tokens('ｺｰﾋｰ')).toEqual(['コ', 'ー', 'ヒ', 'ー']);
    expect(tokens('한국')).toEqual(['한', '국']);
  });

  it('normalises full-width alphanumerics (NFKC)', () => {
    expect(toTokenText('ＡＢＣ１２３').trim()).toBe('ABC123');
  });
});

describe('buildMatchQuery', () => {
  it('turns a Japanese word into a phrase of characters and ANDs terms', () => {
    expect(buildMatchQuery('会議 report')).toBe('"会" + "議" AND "report"');
  });

  it('keeps a double-quoted part as one phrase', () => {
    expect(buildMatchQuery('"annual report" 2024')).toBe('"annual" + "report" AND "2024"');
    expect(buildMatchQuery('“annual report”')).toBe('"annual" + "report"');
  });

  it('returns undefined when nothing is searchable', () => {
    for (const q of ['', '   ', '*', '"', '""', '-^:()', '。、「」']) expect(buildMatchQuery(q), q).toBeUndefined();
  });

  it('never produces an FTS5 syntax error or an operator from user input', () => {
    const db = new Database(':memory:');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize = 'unicode61 remove_diacritics 2')");
    db.prepare('INSERT INTO t (a, b) VALUES (?, ?)').run(toTokenText('alpha beta near 会議'), 'secret');
    const hostile = ['AND', 'OR', 'NOT', 'a OR b', 'NEAR(alpha beta)', 'alph*', '"alpha', 'b:secret', '-alpha', '^alpha', 'a"b', '{a b}:x', '+', '\u0000'];
    for (const q of hostile) {
      const match = buildMatchQuery(q);
      if (match === undefined) continue;
      expect(() => db.prepare('SELECT count(*) FROM t WHERE t MATCH ?').get(match), q).not.toThrow();
    }
    // `b:secret` must not become a column filter, and `alph*` not a prefix query.
    const hits = (q: string) => (db.prepare('SELECT count(*) AS n FROM t WHERE t MATCH ?').get(buildMatchQuery(q)) as { n: number }).n;
    expect(hits('alph*')).toBe(0);
    expect(hits('a OR alpha')).toBe(0);
    db.close();
  });

  it('caps very long queries', () => {
    expect(parseQuery('word '.repeat(10_000)).length).toBeLessThanOrEqual(200);
  });
});

describe('makeSnippet', () => {
  it('highlights a Japanese word split by a line break', () => {
    const s = makeSnippet('宮沢賢治「あのイーハ\nトーヴォのすきとおった風」', 'あのイーハトーヴォ');
    expect(slice(s)).toEqual(['あのイーハ トーヴォ']);
    expect(s.text).not.toContain('\n');
  });

  it('matches case-insensitively, whole words only, and full-width queries', () => {
    const s = makeSnippet('Tracing is not Trace-based. TRACE it.', 'ｔｒａｃｅ');
    expect(slice(s)).toEqual(['Trace', 'TRACE']);
  });

  it('shifts offsets for a leading ellipsis and cuts long content', () => {
    const content = `${'あ'.repeat(300)}目的の語${'い'.repeat(300)}`;
    const s = makeSnippet(content, '目的', { maxChars: 60 });
    expect(s.text.startsWith('…')).toBe(true);
    expect(s.text.endsWith('…')).toBe(true);
    expect(s.text.length).toBeLessThanOrEqual(62);
    expect(slice(s)).toEqual(['目的']);
  });

  it('never splits a surrogate pair at the window edges', () => {
    const content = `${'𠮷'.repeat(200)}検索${'𠮷'.repeat(200)}`;
    for (const maxChars of [41, 60, 77]) {
      const s = makeSnippet(content, '検索', { maxChars });
      expect(s.text, String(maxChars)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      expect(slice(s)).toEqual(['検索']);
    }
    const head = makeSnippet('𠮷'.repeat(100), 'nothing', { maxChars: 11 });
    expect(head.text).toBe(`${'𠮷'.repeat(5)}…`);
  });

  it('highlights a surrogate-pair query exactly', () => {
    const s = makeSnippet('山田と𠮷野家へ行く', '𠮷野家');
    expect(slice(s)).toEqual(['𠮷野家']);
  });

  it('prefers the window holding the most distinct terms', () => {
    const content = `alpha ${'filler '.repeat(60)}alpha beta together`;
    const s = makeSnippet(content, 'alpha beta', { maxChars: 80 });
    expect(slice(s)).toEqual(['alpha', 'beta']);
  });

  it('returns the start of the content without highlights when nothing matches', () => {
    expect(makeSnippet('short text', 'absent')).toEqual({ text: 'short text', highlights: [] });
    const long = makeSnippet('x'.repeat(500), 'absent');
    expect(long.text).toBe(`${'x'.repeat(160)}…`);
    expect(long.highlights).toEqual([]);
    expect(makeSnippet('', '会議')).toEqual({ text: '', highlights: [] });
  });

  it('contains no markup: content is returned as text', () => {
    const s = makeSnippet('<b>会議</b> & <script>', '会議');
    expect(s.text).toBe('<b>会議</b> & <script>');
    expect(slice(s)).toEqual(['会議']);
  });
});
