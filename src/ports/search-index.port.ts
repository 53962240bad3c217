import type { SearchDocument } from '../domain/document.js';
import type { FilesearchError } from '../domain/errors.js';
import type { Snippet } from '../domain/search-text.js';

export type { Snippet } from '../domain/search-text.js';

/**
 * The search index: bulk upsert/delete with a result per item (so the worker deletes exactly
 * the messages whose documents were acknowledged), search with highlighted snippets, count.
 * Implemented by SqliteSearchIndex (embedded) and OpenSearchSearchIndex.
 */

export type IndexOperation =
  | { readonly type: 'upsert'; readonly document: SearchDocument }
  | { readonly type: 'delete'; readonly id: string; readonly sequencer?: string };

export const IndexOutcomes = {
  Indexed: 'indexed',
  Deleted: 'deleted',
  /** Nothing to delete; a success. */
  NotFound: 'not_found',
  /** An older event lost to a newer document; a success (the message is done). */
  Stale: 'stale',
  Failed: 'failed',
} as const;
export type IndexOutcome = (typeof IndexOutcomes)[keyof typeof IndexOutcomes];

export interface IndexItemResult {
  readonly id: string;
  readonly outcome: IndexOutcome;
  /** Present when outcome is `failed`: transient (retry) or permanent (dead-letter). */
  readonly error?: FilesearchError;
}

export interface SearchFilters {
  readonly extensions?: readonly string[];
  readonly modifiedFrom?: string;
  readonly modifiedTo?: string;
  readonly bucket?: string;
}

export interface SearchQuery {
  readonly text: string;
  readonly limit?: number;
  readonly offset?: number;
  readonly filters?: SearchFilters;
}


export type DocumentSummary = Omit<SearchDocument, 'content'>;

export interface SearchHit {
  readonly id: string;
  readonly score: number;
  readonly document: DocumentSummary;
  readonly snippet: Snippet;
}

export interface SearchResult {
  readonly total: number;
  readonly hits: readonly SearchHit[];
}

export interface SearchIndex {
  /** Creates tables / index template if absent. Idempotent. */
  ensureSchema(): Promise<void>;
  /** One result per operation, in order. Never throws for a per-item failure. */
  bulk(operations: readonly IndexOperation[]): Promise<IndexItemResult[]>;
  search(query: SearchQuery): Promise<SearchResult>;
  get(id: string): Promise<SearchDocument | undefined>;
  count(): Promise<number>;
  /**
   * Resolves when the index can take writes now; throws a transient error when it cannot. Cheap:
   * the circuit breaker probes with it while the worker receives nothing.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}
