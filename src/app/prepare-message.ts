import { buildDocument, documentId, extensionOf, fileNameOf, type SearchDocument } from '../domain/document.js';
import { ErrorCodes, PermanentError, Stages, TransientError, isFilesearchError, type FilesearchError, type Stage } from '../domain/errors.js';
import { ObjectActions, parseMessageBody, type ObjectEvent } from '../domain/events.js';
import type { Clock } from '../ports/clock.port.js';
import type { Extractor, TypeDetector } from '../ports/extractor.port.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { QueueMessage } from '../ports/queue.port.js';
import type { IndexOperation } from '../ports/search-index.port.js';

/** Turns one queue message into index operations. Never throws: failures come back classified. */

export interface RecordFailure {
  readonly error: FilesearchError;
  readonly stage: Stage;
  readonly bucket?: string;
  readonly key?: string;
}

export interface PreparedOperation {
  readonly operation: IndexOperation;
  readonly bucket: string;
  readonly key: string;
  readonly document?: SearchDocument;
  readonly timings: Readonly<Record<string, number>>;
}

export type PreparedMessage =
  | { readonly kind: 'ack'; readonly why: string }
  | { readonly kind: 'work'; readonly operations: readonly PreparedOperation[]; readonly failures: readonly RecordFailure[] };

export interface TempFiles {
  /** A fresh path in the worker's private temp directory (not created). */
  allocate(extension: string): string;
  release(path: string): Promise<void>;
}

export interface PrepareDeps {
  readonly store: ObjectStore;
  readonly detector: TypeDetector;
  readonly extractor: Extractor;
  readonly tempFiles: TempFiles;
  readonly clock: Clock;
  readonly limits: { readonly maxFileBytes: number; readonly maxContentChars: number; readonly processingTimeoutMs: number };
  /**
   * Runs the CPU-bound part (type detection and extraction) in one of a bounded number of slots
   * (MAX_WORKERS), while downloads of other messages overlap freely. Default: no bound.
   */
  readonly extractionSlot?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export async function prepareMessage(message: QueueMessage, deps: PrepareDeps, shutdown?: AbortSignal): Promise<PreparedMessage> {
  let parsed;
  try {
    parsed = parseMessageBody(message.body);
  } catch (err) {
    return { kind: 'work', operations: [], failures: [{ error: asError(err, ErrorCodes.MalformedMessage, true), stage: Stages.Parse }] };
  }
  if (parsed.kind === 'test') return { kind: 'ack', why: 's3:TestEvent' };
  if (parsed.events.length === 0) return { kind: 'ack', why: `no object events (${parsed.ignored.join(', ') || 'empty'})` };

  const operations: PreparedOperation[] = [];
  const failures: RecordFailure[] = [];
  // Records of one message are few (S3 sends one); run them one after another.
  for (const event of parsed.events) {
    const outcome = await prepareRecord(event, deps, shutdown);
    if ('error' in outcome) failures.push(outcome);
    else operations.push(outcome);
  }
  return { kind: 'work', operations, failures };
}

async function prepareRecord(event: ObjectEvent, deps: PrepareDeps, shutdown?: AbortSignal): Promise<PreparedOperation | RecordFailure> {
  const where = { bucket: event.bucket, key: event.key };
  if (event.action === ObjectActions.Delete) {
    const id = documentId(event.bucket, event.key);
    const operation: IndexOperation = event.sequencer === undefined ? { type: 'delete', id } : { type: 'delete', id, sequencer: event.sequencer };
    return { operation, ...where, timings: {} };
  }

  const started = deps.clock.now();
  // PROCESSING_TIMEOUT bounds the download, then (afresh, once a slot is free) the extraction:
  // waiting for a slot behind other files is not this file's fault.
  let timeout = AbortSignal.timeout(deps.limits.processingTimeoutMs);
  const withShutdown = (t: AbortSignal): AbortSignal => (shutdown === undefined ? t : AbortSignal.any([t, shutdown]));
  const tmp = deps.tempFiles.allocate(extensionOf(event.key));
  let stage: Stage = Stages.Fetch;
  try {
    const object = await deps.store.download(event.bucket, event.key, tmp, { maxBytes: deps.limits.maxFileBytes, signal: withShutdown(timeout) });
    const downloaded = deps.clock.now();
    stage = Stages.Extract;
    const slot = deps.extractionSlot ?? (<T>(fn: () => Promise<T>) => fn());
    let slotAt = downloaded;
    const { type, extraction } = await slot(async () => {
      slotAt = deps.clock.now();
      timeout = AbortSignal.timeout(deps.limits.processingTimeoutMs);
      const signal = withShutdown(timeout);
      const type = await deps.detector.detect(tmp, extensionOf(event.key));
      const extraction = await deps.extractor.extract({
        path: tmp,
        fileName: fileNameOf(event.key),
        extension: extensionOf(event.key),
        size: object.size,
        type,
        signal,
      });
      return { type, extraction };
    });
    const extracted = deps.clock.now();
    const document = buildDocument({
      event,
      object,
      mimeType: type.mime,
      ...(type.mismatch === undefined ? {} : { typeMismatch: type.mismatch }),
      extraction,
      maxChars: deps.limits.maxContentChars,
      processingMs: extracted - started,
      now: new Date(extracted),
    });
    return {
      operation: { type: 'upsert', document },
      document,
      ...where,
      timings: { downloadMs: downloaded - started, extractWaitMs: slotAt - downloaded, extractMs: extracted - slotAt },
    };
  } catch (err) {
    return { error: classify(err, stage, timeout, shutdown), stage, ...where };
  } finally {
    await deps.tempFiles.release(tmp);
  }
}

function classify(err: unknown, stage: Stage, timeout: AbortSignal, shutdown?: AbortSignal): FilesearchError {
  if (shutdown?.aborted === true) {
    return new TransientError(ErrorCodes.Internal, 'interrupted by shutdown; released for another worker', { cause: err });
  }
  if (timeout.aborted) {
    return new PermanentError(ErrorCodes.ExtractionTimeout, `processing took longer than PROCESSING_TIMEOUT (${stage} stage)`, { cause: err });
  }
  // An unexpected throw from an extractor is about this file; from the store, about the store.
  return stage === Stages.Extract ? asError(err, ErrorCodes.ExtractionFailed, true) : asError(err, ErrorCodes.StoreUnavailable, false);
}

function asError(err: unknown, code: PermanentError['code'], permanent: boolean): FilesearchError {
  if (isFilesearchError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return permanent ? new PermanentError(code, message, { cause: err }) : new TransientError(code, message, { cause: err });
}
