import { highlightRanges } from '../domain/search-text.js';
import type { DocumentSummary, SearchHit, SearchIndex } from '../ports/search-index.port.js';
import type { DocumentResponse, DocumentSummaryView, SearchHitView, SearchResponse } from './api-types.js';

/**
 * The search and document endpoints, as functions of the query string: parameters are checked
 * here (a bad one is a 400 with the parameter named), the index does the rest.
 */

export class BadRequest extends Error {
  readonly code = 'bad_request';
}

export const MAX_CONTENT_CHARS = 500_000;
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;
/** OpenSearch's default max_result_window: deeper pages are refused rather than failing there. */
const MAX_RESULT_WINDOW = 10_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EXTENSION = /^[a-z0-9]{1,16}$/;

export async function searchApi(index: Pick<SearchIndex, 'search'>, params: URLSearchParams): Promise<SearchResponse> {
  const query = (params.get('q') ?? '').trim();
  if (query.length > 1_000) throw new BadRequest('q: at most 1,000 characters');
  const page = intParam(params, 'page', 1, 1, 10_000);
  const pageSize = intParam(params, 'size', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
  if (page * pageSize > MAX_RESULT_WINDOW) throw new BadRequest(`page: results beyond the first ${MAX_RESULT_WINDOW} are not available; narrow the search`);
  const extensions = (params.get('type') ?? '')
    .split(',')
    .map((e) => e.trim().replace(/^\./, '').toLowerCase())
    .filter((e) => e !== '');
  for (const e of extensions) if (!EXTENSION.test(e)) throw new BadRequest(`type: ${JSON.stringify(e)} is not a file extension`);
  const from = dateParam(params, 'from');
  const to = dateParam(params, 'to');
  if (query === '') return { query, total: 0, page, pageSize, hits: [] };
  const result = await index.search({
    text: query,
    limit: pageSize,
    offset: (page - 1) * pageSize,
    filters: {
      ...(extensions.length === 0 ? {} : { extensions }),
      ...(from === undefined ? {} : { modifiedFrom: from }),
      ...(to === undefined ? {} : { modifiedTo: to }),
    },
  });
  return { query, total: result.total, page, pageSize, hits: result.hits.map(hitView) };
}

export async function documentApi(index: Pick<SearchIndex, 'get'>, params: URLSearchParams): Promise<DocumentResponse | undefined> {
  const id = params.get('id') ?? '';
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new BadRequest('id: a document id is required');
  const doc = await index.get(id);
  if (doc === undefined) return undefined;
  const query = (params.get('q') ?? '').trim().slice(0, 1_000);
  const content = doc.content.slice(0, MAX_CONTENT_CHARS);
  return {
    ...summaryView(doc.id, doc),
    language: doc.language,
    extractor: doc.extractor,
    metadataOnly: doc.metadataOnly,
    warnings: [...doc.warnings],
    charCount: doc.charCount,
    truncated: doc.truncated,
    processingMs: doc.processingMs,
    ...optional('etag', doc.etag),
    ...optional('versionId', doc.versionId),
    ...optional('author', doc.author),
    ...optional('typeMismatch', doc.typeMismatch),
    content,
    contentClipped: doc.content.length > content.length,
    highlights: query === '' ? [] : highlightRanges(content, query),
  };
}

function hitView(hit: SearchHit): SearchHitView {
  return {
    ...summaryView(hit.id, hit.document),
    snippet: { text: hit.snippet.text, highlights: hit.snippet.highlights.map(([s, e]) => [s, e] as const) },
  };
}

function summaryView(id: string, d: DocumentSummary): DocumentSummaryView {
  return {
    id,
    bucket: d.bucket,
    key: d.key,
    fileName: d.fileName,
    extension: d.extension,
    mimeType: d.mimeType,
    size: d.size,
    indexedAt: d.indexedAt,
    ocrUsed: d.ocrUsed,
    ...optional('lastModified', d.lastModified),
    ...optional('title', d.title),
    ...optional('pageCount', d.pageCount),
  };
}

/** `{ key: value }`, or nothing when the value is absent (exact optional properties). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequest(`${name}: a whole number from ${min} to ${max}`);
  return n;
}

function dateParam(params: URLSearchParams, name: string): string | undefined {
  const raw = (params.get(name) ?? '').trim();
  if (raw === '') return undefined;
  if (!DATE.test(raw) || Number.isNaN(Date.parse(raw))) throw new BadRequest(`${name}: a date as YYYY-MM-DD`);
  return raw;
}
