import { ErrorCodes, PermanentError } from '../../domain/errors.js';
import { normalizeText } from '../../domain/text.js';
import type { SearchFilters, SearchQuery } from '../../ports/search-index.port.js';
import { queryPhrases } from './token-text.js';

/**
 * The search request for a user query, with the embedded index's semantics: every term must
 * match (a phrase of tokens, in the file name, the title or the content), filters narrow, and
 * BM25 ranks with the file name weighing 10, the title 5 and the content 1. User text only ever
 * reaches `match_phrase`/`match` queries, never query-string syntax.
 */

export const MAX_LIMIT = 1_000;
export const DEFAULT_LIMIT = 10;
/** OpenSearch's default `index.max_result_window`: from + size beyond it is refused. */
export const MAX_RESULT_WINDOW = 10_000;
// Lucene refuses queries over 1,024 clauses; each term costs three (one per field).
const MAX_TERMS = 250;
// The ranking clause gets the start of the query: enough to rank, few clauses.
const RANK_QUERY_CHARS = 64;
const RANK_BOOST = 1;

const FIELD_BOOSTS = { 'tokens.names': 10, 'tokens.title': 5, 'tokens.content': 1 } as const;

/** A date-only bound covers the whole day: modifiedTo 2024-01-31 includes 2024-01-31T18:00Z. */
function toBound(value: string, edge: 'from' | 'to'): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T${edge === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new PermanentError(ErrorCodes.IndexRejected, `invalid date in search filter: ${value}`);
  return new Date(ms).toISOString();
}

export function clampInt(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}

/** Tombstones are documents too; nothing but bulk may see them. */
export function liveOnly(): { bool: { must_not: Array<{ term: { deleted: boolean } }> } } {
  return { bool: { must_not: [{ term: { deleted: true } }] } };
}

function filterClauses(filters: SearchFilters = {}): object[] {
  const clauses: object[] = [liveOnly()];
  const extensions = (filters.extensions ?? []).map((e) => e.replace(/^\./, '').toLowerCase()).filter((e) => e !== '');
  if (extensions.length > 0) clauses.push({ terms: { extension: extensions } });
  if (filters.bucket !== undefined) clauses.push({ term: { bucket: filters.bucket } });
  const range: Record<string, string> = {};
  if (filters.modifiedFrom !== undefined) range['gte'] = toBound(filters.modifiedFrom, 'from');
  if (filters.modifiedTo !== undefined) range['lte'] = toBound(filters.modifiedTo, 'to');
  if (Object.keys(range).length > 0) clauses.push({ range: { lastModified: { ...range, format: 'strict_date_optional_time' } } });
  return clauses;
}

/** One term: a phrase in any of the three fields. */
function termClause(phrase: string): object {
  const should = Object.entries(FIELD_BOOSTS).map(([field, boost]) => ({ match_phrase: { [field]: { query: phrase, boost } } }));
  return { bool: { should, minimum_should_match: 1 } };
}

export interface SearchRequest {
  readonly from: number;
  readonly size: number;
  readonly body: Record<string, unknown>;
}

/** The request, or undefined when nothing in the query is searchable (no hits, no request). */
export function buildSearchRequest(query: SearchQuery): SearchRequest | undefined {
  const phrases = queryPhrases(query.text).slice(0, MAX_TERMS);
  if (phrases.length === 0) return undefined;
  const size = clampInt(query.limit ?? DEFAULT_LIMIT, 0, MAX_LIMIT);
  const from = clampInt(query.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const rankText = normalizeText(query.text).slice(0, RANK_QUERY_CHARS);
  const body = {
    query: {
      bool: {
        must: phrases.map(termClause),
        // Morphological (kuromoji) or bigram relevance of the content: reorders, never matches.
        should: [{ match: { content: { query: rankText, boost: RANK_BOOST } } }],
        filter: filterClauses(query.filters),
      },
    },
    track_total_hits: true,
    // Equal scores keep a stable order across pages.
    sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
  };
  return { from, size, body };
}
