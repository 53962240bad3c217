import type { Extraction, ExtractionInput } from '../../../ports/extractor.port.js';
import { corruptFile, encryptedFile } from './failures.js';
import { CellLayout, TextSink } from './text-sink.js';
import { parseZipXml, SubtreeFilter, type XmlHandler } from './xml-stream.js';
import { ZipDocumentExtractor, type ZipExtractorOptions } from './zip-document.js';
import type { SafeZip } from './zip-reader.js';

type Family = 'odt' | 'ods' | 'odp';

const FAMILIES: Readonly<Record<string, Family>> = { odt: 'odt', ott: 'odt', ods: 'ods', ots: 'ods', odp: 'odp', otp: 'odp' };
const MIMETYPES: Readonly<Record<string, Family>> = {
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.text-template': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.spreadsheet-template': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/vnd.oasis.opendocument.presentation-template': 'odp',
};

/**
 * Not the document's text: ruby readings, deleted text kept for change tracking, footnote
 * numbers, and the author/date of an annotation (its body is kept).
 */
const SKIPPED = new Set(['ruby-text', 'tracked-changes', 'note-citation', 'creator', 'date']);

interface BodyStats {
  tables: number;
  pages: number;
}

/** `text:p`/`text:h` as lines, `text:s`/`text:tab`/`text:line-break`, table cells as tabs. */
function bodyHandler(sink: TextSink, stats: BodyStats): XmlHandler {
  const skip = new SubtreeFilter(SKIPPED);
  const cells = new CellLayout(sink);
  let inParagraph = 0;
  let tableDepth = 0;
  return {
    open(name, a) {
      if (skip.enter(name)) return;
      if (name === 'p' || name === 'h') inParagraph += 1;
      else if (name === 'tab') cells.push('\t');
      else if (name === 'line-break') cells.push('\n');
      else if (name === 's') cells.push(' '.repeat(Math.min(Number.parseInt(a['text:c'] ?? '1', 10) || 1, 100)));
      else if (name === 'table-cell' || name === 'covered-table-cell') cells.openCell();
      else if (name === 'page') stats.pages += 1;
      else if (name === 'table') {
        if (tableDepth === 0) stats.tables += 1;
        tableDepth += 1;
      }
    },
    close(name) {
      if (skip.leave()) return;
      if (name === 'p' || name === 'h') {
        inParagraph -= 1;
        cells.endParagraph();
      } else if (name === 'table-cell' || name === 'covered-table-cell') cells.closeCell();
      else if (name === 'table-row') sink.newline();
      else if (name === 'table') tableDepth -= 1;
    },
    text(text) {
      if (inParagraph > 0 && !skip.active) cells.push(text);
    },
  };
}

interface OdfMeta {
  title?: string;
  author?: string;
  pages?: number;
}

/** `dc:title`, `meta:initial-creator` (the author; `dc:creator` is the last editor) and the page count. */
async function readMeta(zip: SafeZip): Promise<OdfMeta> {
  const values = new Map<string, string>();
  let pages: number | undefined;
  let current: string | undefined;
  await parseZipXml(zip, 'meta.xml', {
    open(name, a) {
      if (name === 'document-statistic') pages = Number.parseInt(a['meta:page-count'] ?? '', 10);
      if (['title', 'initial-creator', 'creator'].includes(name) && !values.has(name)) current = name;
    },
    text(t) {
      if (current !== undefined) values.set(current, (values.get(current) ?? '') + t);
    },
    close() {
      current = undefined;
    },
  });
  const title = values.get('title')?.trim() || undefined;
  const author = (values.get('initial-creator') ?? values.get('creator'))?.trim() || undefined;
  return {
    ...(title === undefined ? {} : { title }),
    ...(author === undefined ? {} : { author }),
    ...(pages !== undefined && Number.isInteger(pages) && pages > 0 ? { pages } : {}),
  };
}

/** An encrypted ODF package keeps its manifest readable and lists `encryption-data` per entry. */
async function isEncrypted(zip: SafeZip): Promise<boolean> {
  let encrypted = false;
  await parseZipXml(zip, 'META-INF/manifest.xml', {
    open(name) {
      if (name === 'encryption-data') encrypted = true;
    },
  });
  return encrypted;
}

/** OpenDocument text, spreadsheets and presentations (LibreOffice, Ichitaro and Google exports). */
export class OdfExtractor extends ZipDocumentExtractor {
  readonly name = 'office/odf';

  constructor(options: ZipExtractorOptions) {
    super(options, new Set(Object.keys(FAMILIES)));
  }

  protected async extractFrom(zip: SafeZip, input: ExtractionInput, started: number): Promise<Extraction> {
    if (await isEncrypted(zip)) throw encryptedFile('password-protected OpenDocument file');
    if (!zip.has('content.xml')) throw corruptFile('OpenDocument package has no content.xml');
    const mimetype = (await zip.read('mimetype'))?.toString('latin1').trim() ?? '';
    const family = MIMETYPES[mimetype] ?? FAMILIES[input.type.ext] ?? 'odt';

    const sink = new TextSink(this.maxTextChars);
    const stats: BodyStats = { tables: 0, pages: 0 };
    const { errors } = await parseZipXml(zip, 'content.xml', bodyHandler(sink, stats), () => sink.full);
    const meta = await readMeta(zip);
    const pageCount = family === 'odt' ? meta.pages : family === 'ods' ? stats.tables : stats.pages;
    const warnings = [...(errors > 0 ? ['xml_errors:content.xml'] : []), ...(sink.truncated ? [`text_truncated:${this.maxTextChars}`] : [])];
    return {
      text: sink.toString(),
      ...(meta.title === undefined ? {} : { title: meta.title }),
      ...(meta.author === undefined ? {} : { author: meta.author }),
      ...(pageCount === undefined ? {} : { pageCount }),
      ocrUsed: false,
      metadataOnly: false,
      extractor: `office/${family}`,
      warnings,
      timings: { officeMs: performance.now() - started },
    };
  }
}
