import Database from 'better-sqlite3';

/**
 * The on-disk layout of the embedded queue. One file holds every queue (a `queue` column), so
 * the dead-letter queue is just another name and a redrive move is a single UPDATE.
 */

export type QueueDatabase = Database.Database;

/** Bumped when the layout changes; `PRAGMA user_version` records what a file holds. */
const SCHEMA_VERSION = 1;

// `seq` gives a stable "oldest first" order that a millisecond `sent_at` cannot (ties).
// `body` holds JSON.stringify(body): its \u escapes keep lone surrogates and NULs intact,
// which a plain TEXT column (UTF-8) would silently replace.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT    NOT NULL UNIQUE,
  queue             TEXT    NOT NULL,
  body              TEXT    NOT NULL,
  attributes        TEXT    NOT NULL,
  sent_at           INTEGER NOT NULL,
  visible_at        INTEGER NOT NULL,
  receive_count     INTEGER NOT NULL DEFAULT 0,
  receipt_handle    TEXT,
  first_received_at INTEGER
);
CREATE INDEX IF NOT EXISTS queue_messages_by_visibility ON queue_messages (queue, visible_at);
`;

/**
 * Opens (creating if needed) the queue database. Several processes share the file — `ingest`
 * sends while `run` receives — so WAL lets readers and one writer proceed together, FULL sync
 * makes an acknowledged send survive power loss, and busy_timeout waits out a brief writer
 * lock instead of failing at once.
 */
export function openQueueDatabase(path: string): QueueDatabase {
  const db = new Database(path);
  try {
    // busy_timeout first: switching to WAL needs a lock another process may briefly hold.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.transaction(() => {
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Closes a database opened with openQueueDatabase; safe to call twice. SqliteQueue.close()
 * never closes the connection because a queue and its DLQ share it: the composition root that
 * opened it closes it once, after closing every queue on it.
 */
export function closeQueueDatabase(db: QueueDatabase): void {
  if (db.open) db.close();
}

export interface MessageRow {
  seq: number;
  id: string;
  body: string;
  attributes: string;
  sent_at: number;
  receive_count: number;
  first_received_at: number | null;
}

interface HandleRow {
  receipt_handle: string | null;
  visible_at: number;
}

interface DepthRow {
  visible: number;
  inFlight: number;
  delayed: number;
}

export type QueueStatements = ReturnType<typeof prepareQueueStatements>;

/** Prepared once per queue instance; the SQL lives here, next to the layout it depends on. */
export function prepareQueueStatements(db: QueueDatabase) {
  return {
    insert: db.prepare<{ id: string; queue: string; body: string; attributes: string; sentAt: number; visibleAt: number }>(
      `INSERT INTO queue_messages (id, queue, body, attributes, sent_at, visible_at)
       VALUES (@id, @queue, @body, @attributes, @sentAt, @visibleAt)`,
    ),
    anyVisible: db.prepare<{ queue: string; now: number }, { one: number }>(
      'SELECT 1 AS one FROM queue_messages WHERE queue = @queue AND visible_at <= @now LIMIT 1',
    ),
    pick: db.prepare<{ queue: string; now: number; afterSeq: number; limit: number }, MessageRow>(
      `SELECT seq, id, body, attributes, sent_at, receive_count, first_received_at FROM queue_messages
       WHERE queue = @queue AND visible_at <= @now AND seq > @afterSeq ORDER BY seq LIMIT @limit`,
    ),
    deliver: db.prepare<{ seq: number; receiptHandle: string; visibleAt: number; now: number }>(
      `UPDATE queue_messages SET receive_count = receive_count + 1, receipt_handle = @receiptHandle,
         visible_at = @visibleAt, first_received_at = COALESCE(first_received_at, @now) WHERE seq = @seq`,
    ),
    move: db.prepare<{ seq: number; queue: string; attributes: string; now: number }>(
      `UPDATE queue_messages SET queue = @queue, attributes = @attributes, receive_count = 0,
         visible_at = @now, receipt_handle = NULL, first_received_at = NULL WHERE seq = @seq`,
    ),
    handle: db.prepare<{ id: string; queue: string }, HandleRow>(
      'SELECT receipt_handle, visible_at FROM queue_messages WHERE id = @id AND queue = @queue',
    ),
    delete: db.prepare<{ id: string; queue: string }>('DELETE FROM queue_messages WHERE id = @id AND queue = @queue'),
    setVisibility: db.prepare<{ id: string; queue: string; visibleAt: number }>(
      'UPDATE queue_messages SET visible_at = @visibleAt WHERE id = @id AND queue = @queue',
    ),
    // "Delayed" is a never-received message whose delay has not passed; once received it is
    // in flight until visible again (a DLQ move resets the count, and is visible at once).
    depth: db.prepare<{ queue: string; now: number }, DepthRow>(
      `SELECT COALESCE(SUM(visible_at <= @now), 0) AS visible,
              COALESCE(SUM(visible_at > @now AND receive_count > 0), 0) AS inFlight,
              COALESCE(SUM(visible_at > @now AND receive_count = 0), 0) AS delayed
       FROM queue_messages WHERE queue = @queue`,
    ),
  };
}
