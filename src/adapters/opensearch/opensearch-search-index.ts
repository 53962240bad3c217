import type { API, Client } from '@opensearch-project/opensearch';
import type { SearchDocument } from '../../domain/document.js';
import { isPermanentError, type FilesearchError } from '../../domain/errors.js';
import { makeSnippet } from '../../domain/search-text.js';
import { systemClock, type Clock } from '../../ports/clock.port.js';
import {
  IndexOutcomes,
  type DocumentSummary,
  type IndexItemResult,
  type IndexOperation,
  type SearchHit,
  type SearchIndex,
  type SearchQuery,
  type SearchResult,
} from '../../ports/search-index.port.js';
import { idOf, readItem, toBulkLine, type BulkLine, type BulkResponseItem } from './bulk-results.js';
import { ensureIndex, INTERNAL_FIELDS, type Analysis, type AnalyzerOption } from './index-schema.js';
import { rejected, responseOf, toIndexError, unavailable } from './opensearch-errors.js';
import { buildSearchRequest, liveOnly, MAX_RESULT_WINDOW, type SearchRequest } from './search-query.js';

export type { Analysis, AnalyzerOption } from './index-schema.js';

/**
 * The search index on OpenSearch (Amazon OpenSearch Service in production). Finds the same
 * documents as the embedded SQLite index for the same query (token-text.ts, search-query.ts),
 * keeps stale events out with a sequencer check inside each update, and remembers deletes as
 * tombstones (bulk-results.ts) that searches, `get` and `count` never show.
 */

export interface OpenSearchSearchIndexOptions {
  /** Built by createOpenSearchClient; closed by close(). */
  readonly client: Client;
  readonly index: string;
  /** `auto` (default): kuromoji when the cluster has the plugin, else CJK bigrams. `standard`: bigrams. */
  readonly analyzer?: AnalyzerOption;
  /** Tests only: every bulk refreshes the index so its writes are searchable at once. */
  readonly refreshOnWrite?: boolean;
  /** Stamps tombstones. */
  readonly clock?: Clock;
}

type SourceDocument = Record<string, unknown>;

interface SearchResponseBody {
  readonly hits: {
    readonly total?: number | { readonly value: number };
    readonly hits: ReadonlyArray<{ readonly _id: string; readonly _score?: number | null; readonly sort?: unknown[]; readonly _source?: SourceDocument }>;
  };
}

function withoutInternalFields(source: SourceDocument): SourceDocument {
  const copy = { ...source };
  for (const field of INTERNAL_FIELDS) delete copy[field];
  return copy;
}

function totalOf(total: number | { readonly value: number } | undefined): number {
  return typeof total === 'number' ? total : (total?.value ?? 0);
}

/** A whole request that failed is nobody's document's fault: retry it, unless it is our credentials. */
function wholeRequestError(err: unknown): FilesearchError {
  const error = toIndexError(err);
  return isPermanentError(error) ? unavailable(error.message, err) : error;
}

export class OpenSearchSearchIndex implements SearchIndex {
  private readonly client: Client;
  private readonly index: string;
  private readonly analyzer: AnalyzerOption;
  private readonly refreshOnWrite: boolean;
  private readonly clock: Clock;
  private schema: Promise<Analysis> | undefined;
  private chosen: Analysis | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: OpenSearchSearchIndexOptions) {
    this.client = options.client;
    this.index = options.index;
    this.analyzer = options.analyzer ?? 'auto';
    this.refreshOnWrite = options.refreshOnWrite ?? false;
    this.clock = options.clock ?? systemClock;
  }

  /** How the index ranks Japanese content; known once ensureSchema() has run. */
  get analysis(): Analysis | undefined {
    return this.chosen;
  }

  async ensureSchema(): Promise<void> {
    // Concurrent callers share one attempt; a failed attempt can be retried.
    this.schema ??= ensureIndex(this.client, this.index, this.analyzer).catch((err: unknown) => {
      this.schema = undefined;
      throw err;
    });
    this.chosen = await this.schema;
  }

  async bulk(operations: readonly IndexOperation[]): Promise<IndexItemResult[]> {
    const now = new Date(this.clock.now()).toISOString();
    const lines = operations.map((op) => toBulkLine(this.index, op, now));
    const results: IndexItemResult[] = [];
    const pending: number[] = [];
    lines.forEach((line, i) => {
      const op = operations[i] as IndexOperation;
      if ('error' in line) results[i] = { id: idOf(op), outcome: IndexOutcomes.Failed, error: line.error };
      else pending.push(i);
    });
    await this.send(pending, operations, lines, results);
    return results;
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const request = buildSearchRequest(query);
    if (request === undefined) return { total: 0, hits: [] };
    // Beyond the result window OpenSearch refuses to page: report the total, no hits.
    const beyond = request.from + request.size > MAX_RESULT_WINDOW;
    const body = await this.runSearch(beyond ? { ...request, from: 0, size: 0 } : request);
    const hits = body.hits.hits.map((hit): SearchHit => {
      const source = withoutInternalFields(hit._source ?? {});
      const { content, ...summary } = source;
      const score = hit._score ?? (typeof hit.sort?.[0] === 'number' ? hit.sort[0] : 0);
      return {
        id: hit._id,
        score,
        document: summary as unknown as DocumentSummary,
        snippet: makeSnippet(typeof content === 'string' ? content : '', query.text),
      };
    });
    return { total: totalOf(body.hits.total), hits };
  }

  async get(id: string): Promise<SearchDocument | undefined> {
    if (id === '') return undefined;
    try {
      const { body } = await this.client.get({ index: this.index, id }, { ignore: [404] });
      const source = (body as { found?: boolean; _source?: SourceDocument }).found === true ? body._source : undefined;
      if (source === undefined || source['deleted'] === true) return undefined;
      return withoutInternalFields(source) as unknown as SearchDocument;
    } catch (err) {
      throw toIndexError(err);
    }
  }

  /**
   * The index answers a request (a count) within 5 s, without the client's own retries: the
   * breaker's probe and pre-flight must not hang on a server that accepts and never answers.
   */
  async ping(): Promise<void> {
    try {
      await this.client.count({ index: this.index, ignore_unavailable: true }, { requestTimeout: 5_000, maxRetries: 0 });
    } catch (err) {
      throw toIndexError(err);
    }
  }

  async count(): Promise<number> {
    try {
      const { body } = await this.client.count({ index: this.index, ignore_unavailable: true, body: { query: liveOnly() } });
      return body.count ?? 0;
    } catch (err) {
      throw toIndexError(err);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.client.close().catch(() => undefined);
    return this.closing;
  }

  private async runSearch(request: SearchRequest): Promise<SearchResponseBody> {
    try {
      const { body } = await this.client.search({
        index: this.index,
        from: request.from,
        size: request.size,
        ignore_unavailable: true,
        track_scores: true,
        body: request.body,
      });
      return body as unknown as SearchResponseBody;
    } catch (err) {
      throw toIndexError(err);
    }
  }

  /** One `_bulk` request; a body the server finds too large (413) is split in halves. */
  private async send(
    positions: readonly number[],
    operations: readonly IndexOperation[],
    lines: readonly BulkLine[],
    results: IndexItemResult[],
  ): Promise<void> {
    if (positions.length === 0) return;
    const opAt = (p: number): IndexOperation => operations[p] as IndexOperation;
    try {
      const body = positions.map((p) => (lines[p] as { lines: string }).lines);
      const response = await this.client.bulk({
        // The client passes string lines through unchanged (each is an action and its payload).
        body: body as unknown as API.Bulk_RequestBody,
        ...(this.refreshOnWrite ? { refresh: true } : {}),
      });
      const items = response.body.items ?? [];
      positions.forEach((p, k) => {
        const item = items[k];
        results[p] = readItem(opAt(p), (item?.update ?? Object.values(item ?? {})[0]) as BulkResponseItem | undefined);
      });
    } catch (err) {
      if (responseOf(err)?.status === 413 && positions.length > 1) {
        const half = Math.ceil(positions.length / 2);
        await this.send(positions.slice(0, half), operations, lines, results);
        await this.send(positions.slice(half), operations, lines, results);
        return;
      }
      const error = responseOf(err)?.status === 413 ? rejected('the document alone exceeds the request size limit', err) : wholeRequestError(err);
      for (const p of positions) results[p] = { id: idOf(opAt(p)), outcome: IndexOutcomes.Failed, error };
    }
  }
}
