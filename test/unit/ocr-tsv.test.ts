import { describe, expect, it } from 'vitest';
import { looksLikeMisreadVertical } from '../../src/adapters/extract/ocr/ocr-engine.js';
import { parseTesseractTsv } from '../../src/adapters/extract/ocr/tsv.js';

const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
const row = (cols: ReadonlyArray<string | number>): string => cols.join('\t');
/** A line box, then its words (each 10 × 10, the given confidence). */
function line(page: number, block: number, par: number, n: number, box: [number, number], words: ReadonlyArray<[string, number]>): string[] {
  return [
    row([4, page, block, par, n, 0, 0, 0, box[0], box[1], -1, '']),
    ...words.map(([text, conf], i) => row([5, page, block, par, n, i + 1, 0, 0, 10, 10, conf, text])),
  ];
}

describe('parseTesseractTsv', () => {
  it('rebuilds lines, paragraphs and pages; keeps Latin spaces, drops spaces inside Japanese', () => {
    const tsv = [
      HEADER,
      row([1, 1, 0, 0, 0, 0, 0, 0, 800, 600, -1, '']),
      ...line(1, 1, 1, 1, [300, 20], [['The', 96], ['quick', 90], ['dog', 93]]),
      ...line(1, 1, 1, 2, [300, 20], [['研修', 80], ['生', 80], ['50', 80], ['名', 80], ['に', 80], ['NDL', 80], ['で', 80]]),
      ...line(1, 2, 1, 1, [300, 20], [['second', 50], ['paragraph', 50]]),
      row([1, 2, 0, 0, 0, 0, 0, 0, 800, 600, -1, '']),
      ...line(2, 1, 1, 1, [300, 20], [['page', 90], ['two', 90], [' ', 95]]),
    ].join('\n');
    const r = parseTesseractTsv(tsv);
    expect(r.text).toBe('The quick dog\n研修生50名に NDL で\n\nsecond paragraph\fpage two\f');
    expect(r.pages).toBe(2);
    expect(r.chars).toBe(11 + 11 + 15 + 7);
    expect(r.verticalShare).toBe(0);
  });

  it('weighs confidence by characters and measures the share of text in tall, narrow lines', () => {
    const tsv = [
      HEADER,
      row([1, 1, 0, 0, 0, 0, 0, 0, 800, 1200, -1, '']),
      ...line(1, 1, 1, 1, [12, 300], [['BOQMIV', 0], ['記', 30]]),
      ...line(1, 1, 1, 2, [200, 12], [['title', 90]]),
    ].join('\n');
    const r = parseTesseractTsv(tsv);
    expect(r.chars).toBe(12);
    expect(r.verticalShare).toBeCloseTo(7 / 12);
    expect(r.meanConfidence).toBeCloseTo((30 + 5 * 90) / 12);
  });

  it('is empty, not an error, for a page without words', () => {
    const r = parseTesseractTsv(`${HEADER}\n${row([1, 1, 0, 0, 0, 0, 0, 0, 100, 100, -1, ''])}\n`);
    expect(r).toEqual({ text: '\f', pages: 1, chars: 0, meanConfidence: 0, verticalShare: 0 });
  });
});

describe('looksLikeMisreadVertical (when the jpn_vert pass runs)', () => {
  // First-pass numbers measured with jpn+eng, psm 1 on the corpus.
  it.each([
    ['NDL geppo page (tategaki)', { chars: 837, meanConfidence: 16.5, verticalShare: 0.97 }, true],
    ['handwritten tategaki (almost nothing read)', { chars: 1, meanConfidence: 0, verticalShare: 0 }, true],
    ['cardinal.pdf page on its side (English, confident)', { chars: 3742, meanConfidence: 95.7, verticalShare: 1 }, false],
    ['NDL horizontal report page', { chars: 1436, meanConfidence: 74.4, verticalShare: 0 }, false],
    ['street sign photo', { chars: 30, meanConfidence: 54.7, verticalShare: 0 }, false],
    ['blank page', { chars: 0, meanConfidence: 0, verticalShare: 0 }, false],
  ])('%s → %s', (_name, pass, expected) => {
    expect(looksLikeMisreadVertical(pass)).toBe(expected);
  });
});
