import { readRels, targetsOf } from './opc.js';
import { CellLayout, type TextSink } from './text-sink.js';
import { parseZipXml, SubtreeFilter, type XmlHandler } from './xml-stream.js';
import type { SafeZip } from './zip-reader.js';

/**
 * Subtrees whose text is not the document's: `rt` is the ruby (furigana) reading over its base,
 * `Fallback` repeats a text box for old readers, `moveFrom` is text tracked as moved away;
 * property elements hold tab-stop definitions (`w:tab` there is not a tab character).
 */
const SKIPPED = new Set(['rt', 'Fallback', 'moveFrom', 'pPr', 'rPr', 'sectPr', 'tblPr', 'trPr', 'tcPr']);

/**
 * WordprocessingML body text: `w:t` (and DrawingML/Math `t`), paragraphs as lines, table cells
 * separated by tabs and rows by lines (a cell's own paragraphs break only between them).
 */
function wordHandler(sink: TextSink): XmlHandler {
  const skip = new SubtreeFilter(SKIPPED);
  const cells = new CellLayout(sink);
  let inText = 0;
  return {
    open(name) {
      if (skip.enter(name)) return;
      if (name === 't') inText += 1;
      else if (name === 'tab' || name === 'ptab') cells.push('\t');
      else if (name === 'br' || name === 'cr') cells.push('\n');
      else if (name === 'noBreakHyphen') cells.push('-');
      else if (name === 'tc') cells.openCell();
    },
    close(name) {
      if (skip.leave()) return;
      if (name === 't') inText -= 1;
      else if (name === 'p') cells.endParagraph();
      else if (name === 'tc') cells.closeCell();
      else if (name === 'tr') sink.newline();
    },
    text(text) {
      if (inText > 0 && !skip.active) cells.push(text);
    },
  };
}

const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** The main document, then headers, footers, footnotes, endnotes and comments, each once. */
export async function extractDocx(zip: SafeZip, main: string, sink: TextSink): Promise<{ warnings: string[] }> {
  const rels = await readRels(zip, main);
  const parts = [
    main,
    ...targetsOf(rels, 'header').sort(byName),
    ...targetsOf(rels, 'footer').sort(byName),
    ...targetsOf(rels, 'footnotes'),
    ...targetsOf(rels, 'endnotes'),
    ...targetsOf(rels, 'comments'),
  ];
  const warnings: string[] = [];
  for (const part of new Set(parts)) {
    if (sink.full) break;
    const { errors } = await parseZipXml(zip, part, wordHandler(sink), () => sink.full);
    if (errors > 0) warnings.push(`xml_errors:${part}`);
    sink.newline();
  }
  return { warnings };
}
