import type { Extraction, ExtractionInput } from '../../../ports/extractor.port.js';
import { corruptFile } from './failures.js';
import { extractDocx } from './ooxml-docx.js';
import { extractPptx } from './ooxml-pptx.js';
import { extractXlsx } from './ooxml-xlsx.js';
import { readPackageProperties, readRels, targetsOf } from './opc.js';
import { TextSink } from './text-sink.js';
import { ZipDocumentExtractor, type ZipExtractorOptions } from './zip-document.js';
import type { SafeZip } from './zip-reader.js';

type Family = 'docx' | 'xlsx' | 'pptx';

/** Extensions (from magic, or from the name when magic only said zip) and the family they belong to. */
const FAMILIES: Readonly<Record<string, Family>> = {
  docx: 'docx', docm: 'docx', dotx: 'docx', dotm: 'docx',
  xlsx: 'xlsx', xlsm: 'xlsx', xltx: 'xlsx', xltm: 'xlsx',
  pptx: 'pptx', pptm: 'pptx', potx: 'pptx', potm: 'pptx', ppsx: 'pptx', ppsm: 'pptx',
};

/** Where each family keeps its main part when the package relationships do not say. */
const DEFAULT_MAIN: Readonly<Record<Family, string>> = { docx: 'word/document.xml', xlsx: 'xl/workbook.xml', pptx: 'ppt/presentation.xml' };

function familyOfPart(part: string): Family | undefined {
  if (part.startsWith('word/')) return 'docx';
  if (part.startsWith('xl/')) return 'xlsx';
  if (part.startsWith('ppt/')) return 'pptx';
  return undefined;
}

/** Office Open XML: Word, Excel and PowerPoint 2007+ (and their macro/template variants). */
export class OoxmlExtractor extends ZipDocumentExtractor {
  readonly name = 'office/ooxml';

  constructor(options: ZipExtractorOptions) {
    super(options, new Set(Object.keys(FAMILIES)));
  }

  protected async extractFrom(zip: SafeZip, input: ExtractionInput, started: number): Promise<Extraction> {
    const rootRels = await readRels(zip, '');
    const declared = targetsOf(rootRels, 'officeDocument')[0];
    const family = (declared === undefined ? undefined : familyOfPart(declared)) ?? FAMILIES[input.type.ext] ?? 'docx';
    const main = declared ?? DEFAULT_MAIN[family];
    if (!zip.has(main)) throw corruptFile(`${input.type.ext} package has no main part (${main})`);

    const sink = new TextSink(this.maxTextChars);
    const parts: { pageCount?: number; warnings: string[] } =
      family === 'docx' ? await extractDocx(zip, main, sink) : family === 'xlsx' ? await extractXlsx(zip, main, sink) : await extractPptx(zip, main, sink);
    const props = await readPackageProperties(zip, rootRels);
    // Word's own page count (app.xml) for documents; sheets and slides are counted.
    const pageCount = parts.pageCount ?? props.pages;
    const warnings = [...parts.warnings, ...(sink.truncated ? [`text_truncated:${this.maxTextChars}`] : [])];
    return {
      text: sink.toString(),
      ...(props.title === undefined ? {} : { title: props.title }),
      ...(props.author === undefined ? {} : { author: props.author }),
      ...(pageCount === undefined ? {} : { pageCount }),
      ocrUsed: false,
      metadataOnly: false,
      extractor: `office/${family}`,
      warnings,
      timings: { officeMs: performance.now() - started },
    };
  }
}
