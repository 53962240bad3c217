import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { MessageRef, Queue, QueueMessage } from '../ports/queue.port.js';
import { systemClock, type Clock } from '../ports/clock.port.js';
import { forEachDlqBatch, matchesFilter, releaseAll, sourceIdOf, type DlqFilter, type DlqReader, type ReadOptions } from './dlq-messages.js';

/**
 * Archives permanent failures out of the dead-letter queue: the selected messages are written
 * as one JSON Lines object `{ messageId, body, attributes, archivedAt }` per source message
 * (copies of one message dead-lettered twice are written once), and they
 * are deleted from the DLQ only after that write succeeded. Everything else is released.
 */

export interface ArchiveTarget {
  readonly bucket: string;
  /** Key prefix, empty or ending in `/`. */
  readonly prefix: string;
}

export interface ArchiveDlqOptions extends ReadOptions {
  /** Default: `errorType = permanent`. */
  readonly filter?: DlqFilter;
  readonly clock?: Clock;
}

export interface ArchiveSummary {
  readonly archived: number;
  /** Where they went; absent when nothing matched (no empty object is written). */
  readonly location?: string;
  readonly skipped: number;
  readonly byReason: Record<string, number>;
  /** Extra copies of an archived message (dead-lettered twice after a crash): deleted, one line kept. */
  readonly duplicatesDeleted: number;
  /** Archived but not deleted (they stay in the DLQ too; archiving them again is harmless). */
  readonly notDeleted: number;
}

export interface ArchiveLine {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly archivedAt: string;
}

/** `s3://bucket/some/prefix` → bucket and a prefix ending in `/` (or empty). */
export function parseArchiveUrl(url: string): ArchiveTarget {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null) throw new Error(`--to must look like s3://bucket/prefix, got ${JSON.stringify(url)}`);
  const rest = match[2] ?? '';
  return { bucket: match[1] ?? '', prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
}

export async function archiveDlq(dlq: DlqReader & Pick<Queue, 'deleteBatch'>, store: Pick<ObjectStore, 'put'>, target: ArchiveTarget, options: ArchiveDlqOptions = {}): Promise<ArchiveSummary> {
  const clock = options.clock ?? systemClock;
  const filter = options.filter ?? { errorType: 'permanent' };
  const chosen: QueueMessage[] = [];
  const held: MessageRef[] = [];
  let deleted: ReadonlySet<string> = new Set();
  let unique: QueueMessage[];
  let summary: Omit<ArchiveSummary, 'notDeleted' | 'skipped' | 'byReason' | 'duplicatesDeleted'> = { archived: 0 };
  try {
    await forEachDlqBatch(dlq, options, async (batch) => {
      const now = clock.now();
      for (const m of batch) (matchesFilter(m, filter, now) ? chosen : held).push(m);
    });
    const firstCopies = new Map<string, QueueMessage>();
    for (const m of chosen) if (!firstCopies.has(sourceIdOf(m))) firstCopies.set(sourceIdOf(m), m);
    unique = [...firstCopies.values()];
    if (chosen.length > 0) {
      const archivedAt = new Date(clock.now()).toISOString();
      const key = `${target.prefix}dlq-archive-${archivedAt.replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.jsonl`;
      // One line per source message; every copy is deleted below.
      const lines = unique.map((m): ArchiveLine => ({ messageId: m.id, body: m.body, attributes: m.attributes, archivedAt }));
      // If this throws, nothing has been deleted: the finally below gives every message back.
      await store.put(target.bucket, key, lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { contentType: 'application/x-ndjson' });
      summary = { archived: lines.length, location: `s3://${target.bucket}/${key}` };
      deleted = new Set((await dlq.deleteBatch(chosen)).successful);
    }
  } finally {
    await releaseAll(dlq, [...held, ...chosen.filter((m) => !deleted.has(m.id))]);
  }
  const byReason: Record<string, number> = {};
  for (const m of unique) byReason[m.attributes['reason'] ?? '(none)'] = (byReason[m.attributes['reason'] ?? '(none)'] ?? 0) + 1;
  return { ...summary, skipped: held.length, byReason, duplicatesDeleted: chosen.length - unique.length, notDeleted: chosen.length - deleted.size };
}
