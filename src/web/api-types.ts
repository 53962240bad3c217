/**
 * The JSON the web app's API answers with: shared by the server (src/web) and the browser code
 * (web/src), which imports these types only. Every string that came from a file (names, keys,
 * content, error messages about a file) is data: the browser renders it with textContent, never
 * as HTML.
 */

/** `{ error }` in place of a part that could not be read (e.g. the index is down). */
export interface PartError {
  readonly error: { readonly code: string; readonly message: string };
}

export interface QueueDepthView {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** One bucket of the throughput history (messages settled by every worker on this host). */
export interface ThroughputPoint {
  /** Start of the bucket, epoch milliseconds. */
  readonly t: number;
  /** Indexed or removed documents. */
  readonly indexed: number;
  /** Messages settled without a document (ignored events). */
  readonly ignored: number;
  /** Messages sent to the dead-letter queue. */
  readonly deadLettered: number;
  /** Messages released for a retry. */
  readonly released: number;
}

export interface ThroughputView {
  readonly bucketSeconds: number;
  /** Oldest first; the last hour at most. */
  readonly points: readonly ThroughputPoint[];
  /** Messages settled (indexed + removed + ignored + dead-lettered) in the last 60 s. */
  readonly perMinute: number;
  /** The same over the history kept (up to an hour), per minute. */
  readonly averagePerMinute: number;
  /** Totals since the dashboard started watching. */
  readonly totals: { readonly indexed: number; readonly ignored: number; readonly deadLettered: number; readonly released: number };
}

export interface DlqView {
  readonly depth: number;
  /** Distinct failed messages by reason (the `reason` attribute: an error code). */
  readonly byReason: Readonly<Record<string, number>>;
  readonly byExtension: Readonly<Record<string, number>>;
  /** When the breakdown was read (it is refreshed when the depth changes, at most every few seconds). */
  readonly analyzedAt?: string;
}

export interface BreakerView {
  readonly downstream: string;
  readonly state: string;
  readonly retryInMs: number;
}

export interface WorkerView {
  readonly workerId: string;
  readonly pid: number;
  readonly host: string;
  readonly phase: string;
  readonly inFlight: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly stats: {
    readonly received: number;
    readonly deleted: number;
    readonly indexed: number;
    readonly removed: number;
    readonly ignored: number;
    readonly deadLettered: number;
    readonly released: number;
  };
  readonly breakers: readonly BreakerView[];
}

export interface StageView {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

export type StageName = 'download' | 'extract' | 'ocr' | 'index';

export interface FailureView {
  /** ISO time. */
  readonly at: string;
  /** Object key (from a file: render as text). Absent when the message itself was unreadable. */
  readonly key?: string;
  /** Error code, e.g. `pdf_corrupt`, `object_not_found`, `index_unavailable`. */
  readonly reason: string;
  readonly errorClass: string;
  readonly stage: string;
  readonly workerId: string;
}

export interface PreflightRowView {
  readonly check: string;
  readonly status: 'PASS' | 'WARN' | 'FAIL';
  readonly detail: string;
  readonly fix?: string;
}

export interface PreflightView {
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly checks: readonly PreflightRowView[];
}

/** GET /api/dashboard */
export interface DashboardResponse {
  readonly generatedAt: string;
  readonly mode: 'embedded' | 'aws';
  /** Queue name or URL. */
  readonly queueName: string;
  readonly queue: QueueDepthView | PartError;
  readonly dlq: DlqView | PartError;
  /** Documents in the index. */
  readonly documents: number | PartError;
  readonly throughput: ThroughputView;
  readonly workers: readonly WorkerView[];
  /** Per-stage timings over the recent messages of this host's workers. */
  readonly stages: Partial<Record<StageName, StageView>>;
  /** Newest first. */
  readonly failures: readonly FailureView[];
  readonly preflight?: PreflightView;
}

export interface SnippetView {
  readonly text: string;
  /** [start, end) UTF-16 offsets into `text` of the matched words. */
  readonly highlights: ReadonlyArray<readonly [number, number]>;
}

/** What a hit and a document page both show of a document. */
export interface DocumentSummaryView {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly fileName: string;
  readonly extension: string;
  readonly mimeType: string;
  readonly size: number;
  readonly lastModified?: string;
  readonly indexedAt: string;
  readonly title?: string;
  readonly pageCount?: number;
  readonly ocrUsed: boolean;
}

export interface SearchHitView extends DocumentSummaryView {
  readonly snippet: SnippetView;
}

/**
 * GET /api/search?q=<words>&type=pdf,docx&from=YYYY-MM-DD&to=YYYY-MM-DD&page=1&size=20
 * `type` is a comma-separated list of extensions; from/to bound the object's last-modified date
 * (inclusive, whole days). page is 1-based; size 1-100 (default 20).
 */
export interface SearchResponse {
  readonly query: string;
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly hits: readonly SearchHitView[];
}

/** GET /api/document?id=<id>&q=<words> (q optional: highlights in the content). */
export interface DocumentResponse extends DocumentSummaryView {
  readonly etag?: string;
  readonly versionId?: string;
  readonly author?: string;
  readonly language: string;
  readonly extractor: string;
  readonly metadataOnly: boolean;
  readonly typeMismatch?: string;
  readonly warnings: readonly string[];
  readonly charCount: number;
  /** The content was cut at the index's limit when it was indexed. */
  readonly truncated: boolean;
  readonly processingMs: number;
  /** Extracted text (at most 500,000 characters are sent; `contentClipped` says when cut). */
  readonly content: string;
  readonly contentClipped: boolean;
  /** Where `q` matched in `content` (UTF-16 offsets), at most 1,000 ranges. */
  readonly highlights: ReadonlyArray<readonly [number, number]>;
}

/** Every API error: HTTP 4xx/5xx with this body. */
export interface ApiError {
  readonly error: { readonly code: string; readonly message: string };
}
