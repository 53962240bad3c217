import Database from 'better-sqlite3';
import type { SearchDocument } from '../../domain/document.js';
import { ErrorCodes, PermanentError, TransientError, isFilesearchError, type FilesearchError } from '../../domain/errors.js';
import { isStale } from '../../domain/sequencer.js';
import { systemClock, type Clock } from '../../ports/clock.port.js';
import {
  IndexOutcomes,
  type DocumentSummary,
  type IndexItemResult,
  type IndexOperation,
  type IndexOutcome,
  type SearchFilters,
  type SearchHit,
  type SearchIndex,
  type SearchQuery,
  type SearchResult,
} from '../../ports/search-index.port.js';
import { makeSnippet, toTokenText } from '../../domain/search-text.js';
import { buildMatchQuery } from './fts-query.js';
import { applySchema, prepareStatements, type Statements } from './sqlite-index-schema.js';

export { openIndexDatabase } from './sqlite-index-schema.js';

/**
 * The embedded search index: SQLite FTS5 over pre-tokenised text (domain/search-text.ts explains why).
 * A batch is one transaction with a savepoint per item, so one bad document fails alone while
 * the batch still commits in a single fsync.
 */

export interface SqliteSearchIndexOptions {
  /** Opened with openIndexDatabase; closed by close(). */
  readonly db: Database.Database;
  /** Stamps tombstones. */
  readonly clock?: Clock;
}

/** File name is what users remember best, then the title, then the body. */
const RANK = 'bm25(documents_fts, 10.0, 5.0, 1.0)';
const MAX_LIMIT = 1_000;
const DEFAULT_LIMIT = 10;

// Errors of the database as a whole (locked, disk, closed), as opposed to one document's fault.
const DATABASE_LEVEL = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB|PROTOCOL)/;

function isDatabaseLevel(err: unknown): boolean {
  if (err instanceof Database.SqliteError) return DATABASE_LEVEL.test(err.code);
  // better-sqlite3 reports a closed connection as a TypeError.
  return err instanceof TypeError && /connection is not open/.test(err.message);
}

function unavailable(err: unknown): TransientError {
  return new TransientError(ErrorCodes.IndexUnavailable, `search index unavailable: ${String(err)}`, { cause: err });
}

function rejected(err: unknown): FilesearchError {
  if (isFilesearchError(err)) return err;
  return new PermanentError(ErrorCodes.IndexRejected, `search index rejected the item: ${String(err)}`, { cause: err });
}

/** ISO timestamps compare correctly as text only in one format, so stored values are normalised. */
function toIso(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** A date-only bound covers the whole day: modifiedTo 2024-01-31 includes 2024-01-31T18:00Z. */
function toBound(value: string, edge: 'from' | 'to'): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T${edge === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new PermanentError(ErrorCodes.IndexRejected, `invalid date in search filter: ${value}`);
  return new Date(ms).toISOString();
}

function clampInt(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}

function filterClause(filters: SearchFilters = {}): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  const extensions = (filters.extensions ?? []).map((e) => e.replace(/^\./, '').toLowerCase()).filter((e) => e !== '');
  if (extensions.length > 0) {
    parts.push(`d.extension IN (${extensions.map(() => '?').join(', ')})`);
    params.push(...extensions);
  }
  if (filters.bucket !== undefined) {
    parts.push('d.bucket = ?');
    params.push(filters.bucket);
  }
  if (filters.modifiedFrom !== undefined) {
    parts.push('d.last_modified >= ?');
    params.push(toBound(filters.modifiedFrom, 'from'));
  }
  if (filters.modifiedTo !== undefined) {
    parts.push('d.last_modified <= ?');
    params.push(toBound(filters.modifiedTo, 'to'));
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}

export class SqliteSearchIndex implements SearchIndex {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private statements: Statements | undefined;
  private readonly searchStatements = new Map<string, Database.Statement>();
  private closing: Promise<void> | undefined;

  constructor(options: SqliteSearchIndexOptions) {
    this.db = options.db;
    this.clock = options.clock ?? systemClock;
  }

  async ensureSchema(): Promise<void> {
    this.stmts();
  }

  async bulk(operations: readonly IndexOperation[]): Promise<IndexItemResult[]> {
    const idOf = (op: IndexOperation): string => (op.type === 'upsert' ? op.document.id : op.id);
    try {
      const s = this.stmts();
      // Nested better-sqlite3 transactions are savepoints: a failing item rolls back alone.
      const item = this.db.transaction((op: IndexOperation) =>
        op.type === 'upsert' ? this.upsert(s, op.document) : this.remove(s, op.id, op.sequencer),
      );
      const batch = this.db.transaction((ops: readonly IndexOperation[]) =>
        ops.map((op): IndexItemResult => {
          try {
            return { id: idOf(op), outcome: item(op) };
          } catch (err) {
            // A locked or broken database fails the whole batch (retry it), not this item.
            if (isDatabaseLevel(err)) throw err;
            return { id: String(idOf(op)), outcome: IndexOutcomes.Failed, error: rejected(err) };
          }
        }),
      );
      // IMMEDIATE takes the write lock up front, so busy_timeout applies instead of a deadlock.
      return batch.immediate(operations);
    } catch (err) {
      const error = unavailable(err);
      return operations.map((op) => ({ id: String(idOf(op)), outcome: IndexOutcomes.Failed, error }));
    }
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const match = buildMatchQuery(query.text);
    if (match === undefined) return { total: 0, hits: [] };
    const limit = clampInt(query.limit ?? DEFAULT_LIMIT, 0, MAX_LIMIT);
    const offset = clampInt(query.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const filter = filterClause(query.filters);
    const from = `FROM documents_fts JOIN documents d ON d.rid = documents_fts.rowid
      WHERE documents_fts MATCH ?${filter.sql}`;
    try {
      this.stmts();
      const counted = this.searchStatement(`SELECT count(*) AS n ${from}`).get(match, ...filter.params) as { n: number };
      if (limit === 0 || counted.n <= offset) return { total: counted.n, hits: [] };
      const rows = this.searchStatement(
        `SELECT d.id, d.summary, d.content, ${RANK} AS bm25_score ${from} ORDER BY bm25_score, d.rid LIMIT ? OFFSET ?`,
      ).all(match, ...filter.params, limit, offset) as Array<{ id: string; summary: string; content: string; bm25_score: number }>;
      const hits = rows.map(
        (row): SearchHit => ({
          id: row.id,
          score: -row.bm25_score,
          document: JSON.parse(row.summary) as DocumentSummary,
          snippet: makeSnippet(row.content, query.text),
        }),
      );
      return { total: counted.n, hits };
    } catch (err) {
      throw isDatabaseLevel(err) ? unavailable(err) : rejected(err);
    }
  }

  async get(id: string): Promise<SearchDocument | undefined> {
    const row = this.guard(() => this.stmts().selectDoc.get(id));
    if (row === undefined) return undefined;
    return { ...(JSON.parse(row.summary) as DocumentSummary), content: row.content };
  }

  async count(): Promise<number> {
    return this.guard(() => this.stmts().count.get()?.n ?? 0);
  }

  /** Takes the write lock and lets it go: fails (transient) while another process holds it. */
  async ping(): Promise<void> {
    this.guard(() => {
      this.stmts();
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.searchStatements.clear();
      if (this.db.open) this.db.close();
    })();
    return this.closing;
  }

  private stmts(): Statements {
    if (this.statements === undefined) {
      this.guard(() => applySchema(this.db));
      this.statements = this.guard(() => prepareStatements(this.db));
    }
    return this.statements;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw isFilesearchError(err) ? err : unavailable(err);
    }
  }

  private searchStatement(sql: string): Database.Statement {
    let stmt = this.searchStatements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.searchStatements.set(sql, stmt);
    }
    return stmt;
  }

  private upsert(s: Statements, doc: SearchDocument): IndexOutcome {
    if (typeof doc.id !== 'string' || doc.id === '') {
      throw new PermanentError(ErrorCodes.IndexRejected, 'document has no id');
    }
    const stored = s.selectRef.get(doc.id);
    if (stored !== undefined && isStale(doc.sequencer, stored.sequencer ?? undefined)) return IndexOutcomes.Stale;
    const tomb = s.selectTomb.get(doc.id);
    if (tomb !== undefined && isStale(doc.sequencer, tomb.sequencer)) return IndexOutcomes.Stale;

    const { content, ...summary } = doc;
    const row = {
      id: doc.id,
      bucket: doc.bucket,
      key: doc.key,
      extension: doc.extension,
      lastModified: toIso(doc.lastModified) ?? null,
      sequencer: doc.sequencer ?? null,
      indexedAt: doc.indexedAt,
      summary: JSON.stringify(summary),
      content,
    };
    let rid: number;
    if (stored === undefined) {
      rid = Number(s.insertDoc.run(row).lastInsertRowid);
    } else {
      rid = stored.rid;
      s.deleteFts.run(rid);
      s.updateDoc.run({ ...row, rid });
    }
    // The key path too, so that folder names are searchable.
    const names = doc.key.endsWith(doc.fileName) ? doc.key : `${doc.key} ${doc.fileName}`;
    s.insertFts.run(rid, toTokenText(names), toTokenText(doc.title ?? ''), toTokenText(content));
    if (tomb !== undefined) s.deleteTomb.run(doc.id);
    return IndexOutcomes.Indexed;
  }

  private remove(s: Statements, id: string, sequencer: string | undefined): IndexOutcome {
    const stored = s.selectRef.get(id);
    if (stored !== undefined && isStale(sequencer, stored.sequencer ?? undefined)) return IndexOutcomes.Stale;
    // Remembered even when there is nothing to delete: the create it beat may still be in flight.
    if (sequencer !== undefined) {
      const tomb = s.selectTomb.get(id);
      if (tomb === undefined || !isStale(sequencer, tomb.sequencer)) {
        s.upsertTomb.run(id, sequencer, new Date(this.clock.now()).toISOString());
      }
    }
    if (stored === undefined) return IndexOutcomes.NotFound;
    s.deleteFts.run(stored.rid);
    s.deleteDoc.run(stored.rid);
    return IndexOutcomes.Deleted;
  }
}
