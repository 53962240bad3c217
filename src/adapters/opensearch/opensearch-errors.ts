import {
  ErrorCodes,
  FatalError,
  PermanentError,
  TransientError,
  isFilesearchError,
  type FilesearchError,
} from '../../domain/errors.js';

/**
 * OpenSearch failures translated into the error taxonomy, once, at the adapter boundary.
 * The client throws `ResponseError` (with `statusCode` and the server's error body) for HTTP
 * errors and `ConnectionError`/`TimeoutError`/`NoLivingConnectionsError` when no answer came.
 */

export interface ServerErrorBody {
  readonly type?: string;
  readonly reason?: string;
}

/** Error types that say the cluster or index is (temporarily) unable, not that the document is bad. */
const OPERATIONAL_TYPES = new Set([
  'cluster_block_exception',
  'index_closed_exception',
  'index_not_found_exception',
  'es_rejected_execution_exception',
  'opensearch_rejected_execution_exception',
  'version_conflict_engine_exception',
  'circuit_breaking_exception',
  'unavailable_shards_exception',
  'no_shard_available_action_exception',
]);

/** Names of the client's errors raised when no HTTP answer arrived. */
const NO_ANSWER = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'RequestAbortedError', 'DeserializationError']);

/** Status and error body of a client `ResponseError`, if `err` is one. */
export function responseOf(err: unknown): { status: number; error: ServerErrorBody } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; statusCode?: unknown; meta?: { statusCode?: unknown; body?: unknown } };
  const status = typeof e.statusCode === 'number' ? e.statusCode : e.meta?.statusCode;
  if (e.name !== 'ResponseError' || typeof status !== 'number') return undefined;
  const body = e.meta?.body as { error?: unknown } | undefined;
  const error = typeof body?.error === 'object' && body.error !== null ? (body.error as ServerErrorBody) : {};
  return { status, error };
}

function describe(status: number | undefined, error: ServerErrorBody | undefined, fallback: string): string {
  const what = error?.type === undefined ? fallback : `${error.type}: ${error.reason ?? ''}`;
  return status === undefined ? what : `HTTP ${status} ${what}`;
}

/** A 401, or a 403 that is about who we are (not an index block, which is operational). */
function isAuthFailure(status: number, error: ServerErrorBody | undefined): boolean {
  return status === 401 || (status === 403 && !OPERATIONAL_TYPES.has(error?.type ?? ''));
}

export function authError(detail: string, cause?: unknown): FatalError {
  return new FatalError(
    ErrorCodes.ConfigInvalid,
    `OpenSearch refused the request (${detail}). Check OPENSEARCH_ENDPOINT and the credentials: ` +
      'OPENSEARCH_AUTH/OPENSEARCH_USERNAME/OPENSEARCH_PASSWORD, or for SigV4 the AWS credential chain ' +
      "(instance role, AWS_PROFILE, ...) and the domain's access policy.",
    cause === undefined ? {} : { cause },
  );
}

export function unavailable(detail: string, cause?: unknown): TransientError {
  return new TransientError(ErrorCodes.IndexUnavailable, `OpenSearch unavailable: ${detail}`, cause === undefined ? {} : { cause });
}

export function rejected(detail: string, cause?: unknown): PermanentError {
  return new PermanentError(ErrorCodes.IndexRejected, `OpenSearch rejected the request: ${detail}`, cause === undefined ? {} : { cause });
}

/**
 * Classifies a status (and error body) from a request or a bulk item: 429, 5xx and operational
 * conflicts/blocks are transient; 401/403 (credentials) fatal; any other 4xx permanent.
 */
export function classifyStatus(status: number, error: ServerErrorBody | undefined, cause?: unknown): FilesearchError {
  const detail = describe(status, error, 'error');
  if (status === 429 || status >= 500 || status === 409 || OPERATIONAL_TYPES.has(error?.type ?? '')) {
    return unavailable(detail, cause);
  }
  if (isAuthFailure(status, error)) return authError(detail, cause);
  return rejected(detail, cause);
}

/** Any thrown value from a client call, as one of ours. Unknown failures are transient. */
export function toIndexError(err: unknown): FilesearchError {
  if (isFilesearchError(err)) return err;
  const response = responseOf(err);
  if (response !== undefined) return classifyStatus(response.status, response.error, err);
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  // The AWS credential chain found nothing usable: a deployment problem, not a file's.
  if (name === 'CredentialsProviderError' || name === 'AwsSigv4SignerError') return authError(message, err);
  if (NO_ANSWER.has(name)) return unavailable(`${name}: ${message}`, err);
  return unavailable(message, err);
}
