import { stat } from 'node:fs/promises';
import { ErrorCodes, PermanentError, TransientError } from '../../../domain/errors.js';

/** The classified failures every Office and markup extractor raises; one place so messages stay uniform. */
export const corruptFile = (message: string, cause?: unknown): PermanentError =>
  new PermanentError(ErrorCodes.CorruptFile, message, cause === undefined ? {} : { cause });

export const encryptedFile = (message: string): PermanentError => new PermanentError(ErrorCodes.EncryptedFile, message);

export const decompressionBomb = (message: string, details: Record<string, unknown>): PermanentError =>
  new PermanentError(ErrorCodes.DecompressionBomb, message, { details });

/** The caller gave up (shutdown, pool timeout): not the file's fault, so transient like the PDF engines. */
export const aborted = (what: string, signal: AbortSignal): TransientError =>
  new TransientError(ErrorCodes.ExtractionFailed, `${what} aborted`, { cause: signal.reason });

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw aborted(what, signal);
}

/** Files read whole (RTF, HTML, XML, JSON…) fail with `too_large` above the text cap, before being read. */
export async function assertSize(path: string, maxBytes: number, what: string): Promise<number> {
  const { size } = await stat(path);
  if (size > maxBytes) {
    throw new PermanentError(ErrorCodes.TooLarge, `${what} file is ${size} bytes, limit is ${maxBytes}`, {
      details: { size, maxBytes },
    });
  }
  return size;
}
