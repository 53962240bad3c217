import { posix } from 'node:path';
import { readRels, targetsOf, type Relationship } from './opc.js';
import { TextBuffer, type TextSink } from './text-sink.js';
import { parseZipXml, relIdOf, SubtreeFilter, type XmlHandler } from './xml-stream.js';
import type { SafeZip } from './zip-reader.js';

/** `rPh` is a phonetic (furigana) run over the string; `f` is a formula, not a value. */
const SKIPPED = new Set(['rPh', 'f', 'extLst']);

/** Excel writes characters XML cannot carry as `_xHHHH_`. */
const unescapeXlsx = (s: string): string =>
  s.includes('_x') ? s.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : s;

/** Every `si` of the shared-string table, phonetic runs left out. */
async function readSharedStrings(zip: SafeZip, part: string | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (part === undefined) return strings;
  const skip = new SubtreeFilter(SKIPPED);
  const value = new TextBuffer();
  let inText = 0;
  await parseZipXml(zip, part, {
    open(name) {
      if (!skip.enter(name) && name === 't') inText += 1;
    },
    close(name) {
      if (skip.leave()) return;
      if (name === 't') inText -= 1;
      else if (name === 'si') strings.push(unescapeXlsx(value.take()));
    },
    text(t) {
      if (inText > 0 && !skip.active) value.push(t);
    },
  });
  return strings;
}

function cellText(type: string, raw: string, shared: readonly string[]): string {
  switch (type) {
    case 's':
      return shared[Number.parseInt(raw, 10)] ?? '';
    case 'b':
      return raw === '1' ? 'TRUE' : raw === '0' ? 'FALSE' : '';
    case 'e':
      return ''; // #DIV/0! and friends are not content
    default:
      return unescapeXlsx(raw);
  }
}

/** Cells of a row joined by tabs, rows as lines; values as stored (numbers unformatted). */
function sheetHandler(shared: readonly string[], sink: TextSink): XmlHandler {
  const skip = new SubtreeFilter(SKIPPED);
  const value = new TextBuffer();
  let type = 'n';
  let inValue = 0;
  let rowHasCell = false;
  return {
    open(name, a) {
      if (skip.enter(name)) return;
      if (name === 'c') {
        type = a['t'] ?? 'n';
        value.take();
      } else if (name === 'v' || name === 't') inValue += 1;
      else if (name === 'row') rowHasCell = false;
    },
    close(name) {
      if (skip.leave()) return;
      if (name === 'v' || name === 't') inValue -= 1;
      else if (name === 'c') {
        const text = cellText(type, value.take(), shared);
        if (text === '') return;
        if (rowHasCell) sink.push('\t');
        sink.push(text);
        rowHasCell = true;
      } else if (name === 'row' && rowHasCell) sink.newline();
    },
    text(t) {
      if (inValue > 0 && !skip.active) value.push(t);
    },
  };
}

/** Comment text (not the author list), phonetic runs left out. */
function commentHandler(sink: TextSink): XmlHandler {
  const skip = new SubtreeFilter(new Set(['rPh', 'authors']));
  let inText = 0;
  return {
    open(name) {
      if (!skip.enter(name) && name === 't') inText += 1;
    },
    close(name) {
      if (skip.leave()) return;
      if (name === 't') inText -= 1;
      else if (name === 'comment') sink.newline();
    },
    text(t) {
      if (inText > 0 && !skip.active) sink.push(unescapeXlsx(t));
    },
  };
}

interface SheetRef {
  readonly name: string;
  readonly rel: Relationship | undefined;
}

async function readSheetList(zip: SafeZip, workbook: string, rels: readonly Relationship[]): Promise<SheetRef[]> {
  const byId = new Map(rels.map((r) => [r.id, r]));
  const sheets: SheetRef[] = [];
  await parseZipXml(zip, workbook, {
    open(name, a) {
      if (name !== 'sheet') return;
      const id = relIdOf(a);
      sheets.push({ name: a['name'] ?? '', rel: id === undefined ? undefined : byId.get(id) });
    },
  });
  return sheets;
}

/** Every sheet in workbook order: its name, its cells, then its comments. Page count = sheets. */
export async function extractXlsx(zip: SafeZip, workbook: string, sink: TextSink): Promise<{ pageCount: number; warnings: string[] }> {
  const rels = await readRels(zip, workbook);
  const sharedPart = targetsOf(rels, 'sharedStrings')[0] ?? posix.join(posix.dirname(workbook), 'sharedStrings.xml');
  const shared = await readSharedStrings(zip, sharedPart);
  const sheets = await readSheetList(zip, workbook, rels);
  const warnings: string[] = [];
  for (const sheet of sheets) {
    if (sink.full) break;
    sink.push(sheet.name);
    sink.newline();
    // Chart sheets and dialog sheets have a name but no cells.
    if (sheet.rel?.kind !== 'worksheet') continue;
    const { errors } = await parseZipXml(zip, sheet.rel.target, sheetHandler(shared, sink), () => sink.full);
    if (errors > 0) warnings.push(`xml_errors:${sheet.rel.target}`);
    for (const comments of targetsOf(await readRels(zip, sheet.rel.target), 'comments')) {
      await parseZipXml(zip, comments, commentHandler(sink), () => sink.full);
    }
    sink.newline();
  }
  return { pageCount: sheets.length, warnings };
}
