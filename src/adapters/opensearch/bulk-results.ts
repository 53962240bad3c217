import type { SearchDocument } from '../../domain/document.js';
import { ErrorCodes, PermanentError } from '../../domain/errors.js';
import { IndexOutcomes, type IndexItemResult, type IndexOperation } from '../../ports/search-index.port.js';
import { classifyStatus, rejected, type ServerErrorBody } from './opensearch-errors.js';
import { indexTokenText } from './token-text.js';

/**
 * The `_bulk` lines for index operations, and the reading of per-item results.
 *
 * Every operation is an `update` with a painless script and `scripted_upsert`, so the stale
 * check and the write happen atomically on the shard (`retry_on_conflict` covers two workers
 * racing on one id):
 * - upsert: applied unless the stored document or tombstone carries a newer sequencer, in which
 *   case the script sets `ctx.op = 'none'` and the item says `noop` → `stale`.
 * - delete: a live document becomes a TOMBSTONE (content gone, `deleted: true`, the delete's
 *   sequencer kept) so an older create arriving late stays `stale` instead of resurrecting the
 *   file; without a sequencer there is nothing to protect and the document is really deleted.
 *   A delete of nothing with a sequencer also leaves a tombstone (the create it beat may still
 *   be in flight), like the embedded index. The script records `deleteOutcome` on the tombstone
 *   and the item returns it (`_source` of the update), because `updated` alone cannot tell
 *   "deleted a document" from "refreshed a tombstone".
 */

// S3 sequencers: right-pad the shorter with '0', compare upper case; absent on either side = apply.
const COMPARE = `
int cmp(def a, def b) {
  String x = a.toString().toUpperCase(); String y = b.toString().toUpperCase();
  while (x.length() < y.length()) { x = x + '0'; }
  while (y.length() < x.length()) { y = y + '0'; }
  return x.compareTo(y);
}
boolean older(def incoming, def stored) { return incoming != null && stored != null && cmp(incoming, stored) < 0; }
`;

const UPSERT_SCRIPT = `${COMPARE}
if (older(params.seq, ctx._source.sequencer)) { ctx.op = 'none'; }
else { ctx._source.clear(); ctx._source.putAll(params.doc); }
`;

const DELETE_SCRIPT = `${COMPARE}
if (ctx.op == 'create') {
  if (params.seq == null) { ctx.op = 'none'; }
  else { ctx._source.putAll(['id': params.id, 'deleted': true, 'sequencer': params.seq, 'deletedAt': params.now, 'deleteOutcome': 'not_found']); }
} else if (ctx._source.deleted == true) {
  if (params.seq == null || ctx._source.sequencer == null || cmp(params.seq, ctx._source.sequencer) <= 0) { ctx.op = 'none'; }
  else { ctx._source.sequencer = params.seq; ctx._source.deletedAt = params.now; ctx._source.deleteOutcome = 'not_found'; }
} else if (older(params.seq, ctx._source.sequencer)) {
  ctx.op = 'none';
} else if (params.seq == null) {
  ctx.op = 'delete';
} else {
  def kept = ['id': ctx._source.id, 'bucket': ctx._source.bucket, 'key': ctx._source.key];
  ctx._source.clear(); ctx._source.putAll(kept);
  ctx._source.putAll(['deleted': true, 'sequencer': params.seq, 'deletedAt': params.now, 'deleteOutcome': 'deleted']);
}
`;

const RETRY_ON_CONFLICT = 5;

/** One operation's two NDJSON lines, or the reason it cannot be sent. */
export type BulkLine = { readonly lines: string } | { readonly error: PermanentError };

export const idOf = (op: IndexOperation): string => String(op.type === 'upsert' ? op.document.id : op.id);

/** The field names match the embedded index's columns: file name (with the key path), title, body. */
function upsertSource(doc: SearchDocument): Record<string, unknown> {
  const names = doc.key.endsWith(doc.fileName) ? doc.key : `${doc.key} ${doc.fileName}`;
  const tokens = { names: indexTokenText(names), title: indexTokenText(doc.title ?? ''), content: indexTokenText(doc.content) };
  return { ...doc, tokens };
}

function action(index: string, id: string): string {
  return JSON.stringify({ update: { _index: index, _id: id, retry_on_conflict: RETRY_ON_CONFLICT } });
}

/** Serialises one operation; a document that cannot be serialised fails alone, permanently. */
export function toBulkLine(index: string, op: IndexOperation, now: string): BulkLine {
  try {
    const id: unknown = op.type === 'upsert' ? op.document.id : op.id;
    // OpenSearch refuses ids over 512 bytes.
    if (typeof id !== 'string' || id === '' || Buffer.byteLength(id) > 512) throw new Error('the document id is empty or too long');
    const payload =
      op.type === 'upsert'
        ? {
            scripted_upsert: true,
            upsert: {},
            script: { lang: 'painless', source: UPSERT_SCRIPT, params: { seq: op.document.sequencer ?? null, doc: upsertSource(op.document) } },
          }
        : {
            scripted_upsert: true,
            upsert: {},
            // Only a sequenced delete always leaves a document to read back; asking for the
            // source of a deleted or never-created one fails the whole bulk (HTTP 500, NPE).
            ...(op.sequencer === undefined ? {} : { _source: ['deleted', 'deleteOutcome'] }),
            script: { lang: 'painless', source: DELETE_SCRIPT, params: { id, seq: op.sequencer ?? null, now } },
          };
    return { lines: `${action(index, id)}\n${JSON.stringify(payload)}` };
  } catch (err) {
    return { error: new PermanentError(ErrorCodes.IndexRejected, `document cannot be sent to OpenSearch: ${String(err)}`, { cause: err }) };
  }
}

export interface BulkResponseItem {
  readonly status: number;
  readonly result?: string;
  readonly error?: ServerErrorBody;
  readonly get?: { readonly found?: boolean; readonly _source?: { readonly deleted?: boolean; readonly deleteOutcome?: string } };
}

/** The outcome of one item from its `update` response. */
export function readItem(op: IndexOperation, item: BulkResponseItem | undefined): IndexItemResult {
  const id = idOf(op);
  if (item === undefined) {
    return { id, outcome: IndexOutcomes.Failed, error: rejected('the bulk response has no item for this operation') };
  }
  if (item.error !== undefined || item.status >= 300) {
    return { id, outcome: IndexOutcomes.Failed, error: classifyStatus(item.status, item.error) };
  }
  if (op.type === 'upsert') return { id, outcome: item.result === 'noop' ? IndexOutcomes.Stale : IndexOutcomes.Indexed };
  const source = item.get?._source;
  switch (item.result) {
    case 'deleted':
      return { id, outcome: IndexOutcomes.Deleted };
    case 'created':
      return { id, outcome: IndexOutcomes.NotFound };
    case 'updated':
      return { id, outcome: source?.deleteOutcome === 'deleted' ? IndexOutcomes.Deleted : IndexOutcomes.NotFound };
    default:
      // noop: a live document with a newer sequencer (stale), else nothing or only a tombstone was there.
      return {
        id,
        outcome:
          op.sequencer !== undefined && item.get?.found !== false && source !== undefined && source.deleted !== true
            ? IndexOutcomes.Stale
            : IndexOutcomes.NotFound,
      };
  }
}
