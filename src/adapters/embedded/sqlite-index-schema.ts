import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, FatalError } from '../../domain/errors.js';

/**
 * Tables of the embedded search index. `documents` holds the documents (the FTS5 table is
 * contentless, so it cannot give text back); `documents_fts` holds the pre-tokenised text
 * (see domain/search-text.ts); `tombstones` remember deletes so an older create event that arrives late
 * cannot bring a deleted document back. The prepared statements over them live here too.
 */

export const SCHEMA_VERSION = 1;

// `rid` is an INTEGER PRIMARY KEY (a rowid alias) so VACUUM can never renumber it: it is the
// join key into the contentless FTS table.
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS documents (
  rid           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  bucket        TEXT NOT NULL,
  key           TEXT NOT NULL,
  extension     TEXT NOT NULL,
  last_modified TEXT,
  sequencer     TEXT,
  indexed_at    TEXT NOT NULL,
  summary       TEXT NOT NULL,
  content       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_extension ON documents (extension);
CREATE INDEX IF NOT EXISTS documents_bucket ON documents (bucket);
CREATE INDEX IF NOT EXISTS documents_last_modified ON documents (last_modified);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5 (
  file_name, title, body,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS tombstones (
  id         TEXT PRIMARY KEY,
  sequencer  TEXT NOT NULL,
  deleted_at TEXT NOT NULL
);
`;

/** Creates the tables if absent and records the schema version. Idempotent. */
export function applySchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new FatalError(
      ErrorCodes.IndexUnavailable,
      `search index schema version ${version} is newer than this worker (${SCHEMA_VERSION}); upgrade the worker`,
    );
  }
  // Up to date: nothing to write, so a worker can start while another process holds the write lock.
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA_SQL);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/**
 * Opens (creating if needed) the index database: WAL so the search page reads while the worker
 * writes, synchronous NORMAL (durable at checkpoints, fast commits), and a busy timeout so a
 * concurrent writer waits instead of failing at once.
 */
/**
 * better-sqlite3 is synchronous: a busy wait blocks the worker's event loop (visibility keeper
 * included). Writers hold the lock for one bulk (milliseconds), so a second is plenty; a lock held
 * longer is an outage, for the retry policy and the circuit breaker to handle.
 */
export const INDEX_BUSY_TIMEOUT_MS = 1_000;

export function openIndexDatabase(file: string): Database.Database {
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${INDEX_BUSY_TIMEOUT_MS}`);
    return db;
  } catch (err) {
    throw new FatalError(ErrorCodes.IndexUnavailable, `cannot open search index database ${file}: ${String(err)}`, {
      cause: err,
    });
  }
}

interface StoredRef {
  readonly rid: number;
  readonly sequencer: string | null;
}

/** The statements bulk/get/count run, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    selectRef: db.prepare<[string], StoredRef>('SELECT rid, sequencer FROM documents WHERE id = ?'),
    selectDoc: db.prepare<[string], { summary: string; content: string }>(
      'SELECT summary, content FROM documents WHERE id = ?',
    ),
    insertDoc: db.prepare(
      `INSERT INTO documents (id, bucket, key, extension, last_modified, sequencer, indexed_at, summary, content)
       VALUES (@id, @bucket, @key, @extension, @lastModified, @sequencer, @indexedAt, @summary, @content)`,
    ),
    updateDoc: db.prepare(
      `UPDATE documents SET bucket = @bucket, key = @key, extension = @extension, last_modified = @lastModified,
       sequencer = @sequencer, indexed_at = @indexedAt, summary = @summary, content = @content WHERE rid = @rid`,
    ),
    deleteDoc: db.prepare<[number]>('DELETE FROM documents WHERE rid = ?'),
    insertFts: db.prepare<[number, string, string, string]>(
      'INSERT INTO documents_fts (rowid, file_name, title, body) VALUES (?, ?, ?, ?)',
    ),
    deleteFts: db.prepare<[number]>('DELETE FROM documents_fts WHERE rowid = ?'),
    selectTomb: db.prepare<[string], { sequencer: string }>('SELECT sequencer FROM tombstones WHERE id = ?'),
    upsertTomb: db.prepare<[string, string, string]>(
      `INSERT INTO tombstones (id, sequencer, deleted_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET sequencer = excluded.sequencer, deleted_at = excluded.deleted_at`,
    ),
    deleteTomb: db.prepare<[string]>('DELETE FROM tombstones WHERE id = ?'),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM documents'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
