import { readFile } from 'node:fs/promises';
import type { DetectedType, Extraction, ExtractionInput, Extractor } from '../../../ports/extractor.port.js';
import { decodeDeclared, sniffHtmlCharset, sniffXmlEncoding, type Decoded } from './charset.js';
import { assertSize } from './failures.js';
import { htmlToText, jsonToText, xmlToText, type MarkupText } from './markup-text.js';

type Kind = 'html' | 'xml' | 'json' | 'jsonl' | 'csv' | 'tsv' | 'markdown';

/** By the detector's extension: it can only say "text" (or "xml") for these, so the name decides. */
const KINDS: Readonly<Record<string, Kind>> = {
  html: 'html', htm: 'html', xhtml: 'html',
  xml: 'xml',
  json: 'json', jsonl: 'jsonl', ndjson: 'jsonl',
  csv: 'csv', tsv: 'tsv',
  md: 'markdown', markdown: 'markdown',
};

const TEXTUAL_MIMES = new Set(['application/xml', 'application/json', 'application/xhtml+xml']);

export interface MarkupExtractorOptions {
  /** Larger files fail with `too_large`. Default 64 MiB. */
  readonly maxBytes?: number;
}

/** Charset: BOM, then the document's own declaration (HTML meta, XML declaration), then detection. */
function decode(kind: Kind, bytes: Uint8Array): Decoded {
  if (kind === 'html') return decodeDeclared(bytes, sniffHtmlCharset(bytes));
  if (kind === 'xml') return decodeDeclared(bytes, sniffXmlEncoding(bytes) ?? sniffHtmlCharset(bytes));
  return decodeDeclared(bytes, undefined);
}

function convert(kind: Kind, text: string): { result: MarkupText; warnings: string[] } {
  switch (kind) {
    case 'html':
      return { result: htmlToText(text), warnings: [] };
    case 'xml':
      return { result: xmlToText(text), warnings: [] };
    case 'json':
    case 'jsonl': {
      const json = jsonToText(text, kind === 'jsonl');
      return { result: { text: json.text }, warnings: json.valid ? [] : ['json_invalid'] };
    }
    default:
      // CSV, TSV and Markdown are read as they are: their syntax is light enough to index.
      return { result: { text }, warnings: [] };
  }
}

/** HTML, XML, JSON, CSV/TSV and Markdown: decoded like text, then their markup turned into text. */
export class MarkupExtractor implements Extractor {
  readonly name = 'markup';
  private readonly maxBytes: number;

  constructor(options: MarkupExtractorOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  supports(type: DetectedType): boolean {
    return (type.mime.startsWith('text/') || TEXTUAL_MIMES.has(type.mime)) && KINDS[type.ext] !== undefined;
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const started = performance.now();
    const kind = KINDS[input.type.ext] ?? 'markdown';
    await assertSize(input.path, this.maxBytes, kind);
    const bytes = await readFile(input.path, input.signal === undefined ? {} : { signal: input.signal });
    const decoded = decode(kind, bytes);
    const { result, warnings } = convert(kind, decoded.text);
    return {
      text: result.text,
      ...(result.title === undefined ? {} : { title: result.title }),
      ...(result.author === undefined ? {} : { author: result.author }),
      ocrUsed: false,
      metadataOnly: false,
      extractor: `markup/${kind}`,
      warnings: [...decoded.warnings, ...warnings],
      timings: { markupMs: performance.now() - started },
    };
  }
}
