import {
  ErrorClasses,
  ErrorCodes,
  FatalError,
  isFilesearchError,
  PermanentError,
  TransientError,
  type ErrorCode,
} from '../../../domain/errors.js';
import type { Extraction, ExtractionInput, ExtractionSettings } from '../../../ports/extractor.port.js';

/**
 * The messages between the extraction pool and its child processes (IPC, structured clone).
 * Errors cross as plain data and are rebuilt on the parent side with their class and code, so a
 * permanent failure in the child is still permanent for the worker.
 */

/** What a child extracts: the input without its AbortSignal (the parent enforces that by killing). */
export type JobInput = Omit<ExtractionInput, 'signal'>;

export type ParentMessage =
  | { readonly kind: 'init'; readonly settings: ExtractionSettings }
  | { readonly kind: 'job'; readonly id: number; readonly input: JobInput };

export interface SerializedError {
  /** `error` = not one of ours (a bug or a library error the extractor did not translate). */
  readonly class: 'transient' | 'permanent' | 'fatal' | 'error';
  readonly code: string;
  readonly message: string;
  readonly name: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly stack?: string;
}

export type JobResult =
  | { readonly kind: 'result'; readonly id: number; readonly ok: true; readonly extraction: Extraction; readonly rss: number }
  | { readonly kind: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError; readonly rss: number };

export type ChildMessage = { readonly kind: 'ready'; readonly pid: number } | JobResult;

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

export function serializeError(err: unknown): SerializedError {
  const stack = err instanceof Error ? err.stack : undefined;
  const base = {
    message: err instanceof Error ? err.message : String(err),
    name: err instanceof Error ? err.name : typeof err,
    ...(stack === undefined ? {} : { stack }),
  };
  if (isFilesearchError(err)) return { ...base, class: err.errorClass, code: err.code, details: plainDetails(err.details) };
  const code = (err as { code?: unknown } | undefined)?.code;
  return { ...base, class: 'error', code: typeof code === 'string' ? code : '', details: {} };
}

/** Details must survive structured clone: anything that would not (functions, errors) is dropped to a string. */
function plainDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    try {
      out[key] = structuredClone(value);
    } catch {
      out[key] = String(value);
    }
  }
  return out;
}

/**
 * Rebuilds the child's error in the parent. Ours come back as the same class with the same code
 * (the stack is the child's, which is where the failure happened); anything else comes back as a
 * plain Error, exactly what an in-process extractor would have thrown, so the caller classifies it
 * the same way.
 */
export function deserializeError(e: SerializedError, childPid: number): Error {
  const code = (KNOWN_CODES.has(e.code) ? e.code : ErrorCodes.ExtractionFailed) as ErrorCode;
  const options = { details: { ...e.details, remoteName: e.name, childPid } };
  let err: Error;
  switch (e.class) {
    case ErrorClasses.Permanent:
      err = new PermanentError(code, e.message, options);
      break;
    case ErrorClasses.Transient:
      err = new TransientError(code, e.message, options);
      break;
    case ErrorClasses.Fatal:
      err = new FatalError(code, e.message, options);
      break;
    default:
      err = new Error(e.message);
      err.name = e.name;
  }
  if (e.stack !== undefined) err.stack = `${e.stack}\n    at <extraction child ${childPid}>`;
  return err;
}

