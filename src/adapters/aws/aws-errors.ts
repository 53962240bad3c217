import {
  ErrorCodes,
  FatalError,
  isFilesearchError,
  PermanentError,
  TransientError,
  type ErrorCode,
  type FilesearchError,
} from '../../domain/errors.js';

/**
 * Translates an AWS SDK v3 error (or a network error under it) into our taxonomy, once, at the
 * adapter boundary. Shared by the SQS and S3 adapters; each handles its own service-specific
 * codes (S3's NoSuchKey, …) first and falls back to this.
 */

export interface AwsErrorCodes {
  /** What was being called, for messages: `SQS queue https://…`, `S3 object s3://bucket/key`. */
  readonly target: string;
  /** Our code for throttling, 5xx, timeouts and network errors (transient). */
  readonly unavailable: ErrorCode;
  /** Our code for any other 4xx: the service refused the request itself (permanent). */
  readonly rejected: ErrorCode;
}

/** The fields of an SDK error we rely on (ServiceException, plus Node's errno errors). */
export interface AwsErrorShape {
  readonly name?: string;
  readonly Code?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'KmsThrottled',
  'KMS.ThrottlingException',
  // SQS: too many in-flight messages; clears as messages are deleted.
  'OverLimit',
]);

const TRANSIENT_CODES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestTimeTooSkewed',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'AbortError',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'AuthFailure',
]);

const NONEXISTENT_QUEUE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue']);

/** The codes an error carries: the exception name, the query-compatible `Code`, an errno code. */
export function awsErrorCodes(err: unknown): string[] {
  if (typeof err !== 'object' || err === null) return [];
  const e = err as AwsErrorShape;
  return [e.name, e.Code, e.code].filter((c): c is string => typeof c === 'string' && c !== '');
}

export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  return (err as AwsErrorShape).$metadata?.httpStatusCode;
}

export function hasAwsCode(err: unknown, ...codes: string[]): boolean {
  return awsErrorCodes(err).some((c) => codes.includes(c));
}

export function classifyAwsError(err: unknown, codes: AwsErrorCodes): FilesearchError {
  if (isFilesearchError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorShape;
  const names = awsErrorCodes(err);
  const status = e.$metadata?.httpStatusCode;
  const detail = `${names[0] ?? 'Error'}${status === undefined ? '' : ` (HTTP ${status})`}: ${e.message ?? String(err)}`;
  const options = { cause: err, details: { awsCode: names[0], httpStatus: status } };
  const is = (set: ReadonlySet<string>): boolean => names.some((n) => set.has(n));

  if (is(CREDENTIALS)) {
    return new FatalError(
      ErrorCodes.ConfigInvalid,
      `${codes.target}: the AWS credentials were refused or could not be found (${detail}). ` +
        'Fix the credentials: an instance profile / IAM role, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ' +
        '(plus AWS_SESSION_TOKEN for temporary ones), and check the clock and AWS_REGION.',
      options,
    );
  }
  if (is(NONEXISTENT_QUEUE)) {
    return new FatalError(
      ErrorCodes.ConfigInvalid,
      `${codes.target} does not exist (${detail}). Fix SQS_QUEUE_URL / DLQ_QUEUE_URL (and AWS_REGION) or create the queue.`,
      options,
    );
  }
  if (/region is missing/i.test(e.message ?? '')) {
    return new FatalError(ErrorCodes.ConfigInvalid, `${codes.target}: no AWS region configured; set AWS_REGION.`, options);
  }
  if (
    e.$retryable !== undefined ||
    is(THROTTLING) ||
    is(TRANSIENT_CODES) ||
    is(NETWORK_CODES) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    e.$fault === 'server'
  ) {
    return new TransientError(codes.unavailable, `${codes.target}: ${detail}`, options);
  }
  if ((status !== undefined && status >= 400) || e.$fault === 'client') {
    return new PermanentError(codes.rejected, `${codes.target}: ${detail}`, options);
  }
  // No HTTP response and no known code: most likely a connection-level failure we do not
  // recognise. Transient, so the redrive policy bounds it rather than a file being lost.
  return new TransientError(codes.unavailable, `${codes.target}: ${detail}`, options);
}

/** "This server has no such action": AWS (UnsupportedOperation, UnknownOperationException), ElasticMQ (InvalidAction). */
const UNSUPPORTED_ACTION = new Set([
  'UnsupportedOperation',
  'AWS.SimpleQueueService.UnsupportedOperation',
  'UnknownOperationException',
  'InvalidAction',
  'NotImplemented',
]);

/**
 * True when the server does not implement the action called. moto 5.2.5 answers an action it
 * lacks (StartMessageMoveTask) with HTTP 500 and an HTML page, so the SDK reports only that it
 * could not parse a 5xx body: an error with no AWS code at all. A real SQS 5xx carries a code.
 */
export function isUnsupportedAction(err: unknown): boolean {
  // Query-compatible codes come as `com.amazonaws.sqs#InvalidAction`; compare the part after `#`.
  if (awsErrorCodes(err).some((c) => UNSUPPORTED_ACTION.has(c.slice(c.lastIndexOf('#') + 1)))) return true;
  const status = httpStatusOf(err);
  if (status === 501) return true;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorShape;
  return status !== undefined && status >= 500 && e.$fault === undefined && /deserialization error/i.test(e.message ?? '');
}
