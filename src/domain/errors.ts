/**
 * The error taxonomy. Every failure the worker acts on is one of three classes:
 * transient (retry, then release to the queue), permanent (dead-letter at once) or
 * fatal (stop the worker before it consumes anything). Codes are stable, snake_case,
 * and double as the DLQ `reason` attribute and the metrics label.
 */
export const ErrorCodes = {
  // message parsing
  MalformedMessage: 'malformed_message',
  // object store
  ObjectNotFound: 'object_not_found',
  AccessDenied: 'access_denied',
  TooLarge: 'too_large',
  InvalidKey: 'invalid_key',
  BucketNotFound: 'bucket_not_found',
  StoreUnavailable: 'store_unavailable',
  // extraction
  CorruptFile: 'corrupt_file',
  EncryptedFile: 'encrypted_file',
  ExtractionFailed: 'extraction_failed',
  ExtractionTimeout: 'extraction_timeout',
  TooManyPages: 'too_many_pages',
  TooManyPixels: 'too_many_pixels',
  DecompressionBomb: 'decompression_bomb',
  // index
  IndexRejected: 'index_rejected',
  IndexUnavailable: 'index_unavailable',
  // queue
  QueueUnavailable: 'queue_unavailable',
  ReceiptHandleInvalid: 'receipt_handle_invalid',
  // process-wide
  ConfigInvalid: 'config_invalid',
  DependencyMissing: 'dependency_missing',
  CircuitOpen: 'circuit_open',
  Internal: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const ErrorClasses = { Transient: 'transient', Permanent: 'permanent', Fatal: 'fatal' } as const;
export type ErrorClass = (typeof ErrorClasses)[keyof typeof ErrorClasses];

/** Where in the pipeline a failure happened; recorded on dead-lettered messages. */
export const Stages = {
  Parse: 'parse',
  Fetch: 'fetch',
  Extract: 'extract',
  Index: 'index',
  Ack: 'ack',
} as const;
export type Stage = (typeof Stages)[keyof typeof Stages];

export interface FilesearchErrorOptions extends ErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
}

export abstract class FilesearchError extends Error {
  abstract readonly errorClass: ErrorClass;
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: FilesearchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
    this.name = new.target.name;
  }

  get retryable(): boolean {
    return this.errorClass === ErrorClasses.Transient;
  }
}

/** Throttling, timeouts, 5xx, connection resets: worth trying again. */
export class TransientError extends FilesearchError {
  readonly errorClass = ErrorClasses.Transient;
}

/** The input itself is bad (gone, corrupt, oversized, malformed): retrying cannot help. */
export class PermanentError extends FilesearchError {
  readonly errorClass = ErrorClasses.Permanent;
}

/** The worker cannot run at all (bad configuration, missing dependency). */
export class FatalError extends FilesearchError {
  readonly errorClass = ErrorClasses.Fatal;
}

/** Configuration problems: every issue listed with the variable name and the fix. */
export class ConfigError extends FatalError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(ErrorCodes.ConfigInvalid, `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = Object.freeze([...problems]);
  }
}

/** A downstream's breaker is open: the call was not attempted. Transient by nature. */
export class CircuitOpenError extends TransientError {
  readonly downstream: string;
  constructor(downstream: string, options: FilesearchErrorOptions = {}) {
    super(ErrorCodes.CircuitOpen, `circuit for ${downstream} is open`, options);
    this.downstream = downstream;
  }
}

function hasClass(err: unknown, cls: ErrorClass): boolean {
  return err instanceof FilesearchError ? err.errorClass === cls : false;
}

export const isFilesearchError = (err: unknown): err is FilesearchError => err instanceof FilesearchError;
export const isTransientError = (err: unknown): err is TransientError => hasClass(err, ErrorClasses.Transient);
export const isPermanentError = (err: unknown): err is PermanentError => hasClass(err, ErrorClasses.Permanent);
export const isFatalError = (err: unknown): err is FatalError => hasClass(err, ErrorClasses.Fatal);

/**
 * Anything that is not already one of ours is an unexpected internal failure. We treat it as
 * transient: the message goes back to the queue and the redrive policy bounds the attempts, so
 * an unknown bug can never delete work nor loop forever.
 */
export function toFilesearchError(err: unknown, fallbackCode: ErrorCode = ErrorCodes.Internal): FilesearchError {
  if (err instanceof FilesearchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TransientError(fallbackCode, message, { cause: err });
}

/** A one-line, log-safe description of any thrown value. */
export function describeError(err: unknown): { code: string; errorClass: string; message: string; stack?: string } {
  const e = toFilesearchError(err);
  const base = { code: e.code, errorClass: e.errorClass, message: e.message };
  const stack = err instanceof Error ? err.stack : undefined;
  return stack === undefined ? base : { ...base, stack };
}
