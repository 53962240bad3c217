import { describe, expect, it } from 'vitest';
import { deserializeError, serializeError } from '../../src/adapters/extract/pool/protocol.js';
import { CircuitOpenError, ErrorCodes, FatalError, isPermanentError, isTransientError, PermanentError, TransientError } from '../../src/domain/errors.js';

/** What crosses the IPC channel is structured-cloned: round-trip through structuredClone as the channel does. */
const roundTrip = (err: unknown): Error => deserializeError(structuredClone(serializeError(err)), 4242);

describe('extraction pool protocol: errors across the process boundary', () => {
  it('rebuilds our errors with their class, code, message and details', () => {
    const permanent = roundTrip(new PermanentError(ErrorCodes.EncryptedFile, 'pdfinfo: Incorrect password', { details: { tool: 'pdfinfo', exitCode: 1 } }));
    expect(permanent).toBeInstanceOf(PermanentError);
    expect(isPermanentError(permanent)).toBe(true);
    expect(permanent).toMatchObject({ code: 'encrypted_file', message: 'pdfinfo: Incorrect password', details: { tool: 'pdfinfo', exitCode: 1, childPid: 4242 } });

    const transient = roundTrip(new CircuitOpenError('ocr'));
    expect(transient).toBeInstanceOf(TransientError);
    expect(transient).toMatchObject({ code: 'circuit_open', details: { remoteName: 'CircuitOpenError' } });

    expect(roundTrip(new FatalError(ErrorCodes.DependencyMissing, 'tesseract is not installed'))).toBeInstanceOf(FatalError);
  });

  it('keeps the stack of the child, where the failure happened', () => {
    const original = new PermanentError(ErrorCodes.CorruptFile, 'bad xref');
    expect(roundTrip(original).stack).toContain(original.stack?.split('\n')[1]?.trim() ?? 'missing');
    expect(roundTrip(original).stack).toContain('<extraction child 4242>');
  });

  it('returns a foreign error as a plain Error, as an in-process extractor would have thrown it', () => {
    const foreign = roundTrip(new RangeError('Invalid typed array length'));
    expect(foreign).not.toBeInstanceOf(PermanentError);
    expect(isTransientError(foreign)).toBe(false);
    expect(foreign).toMatchObject({ name: 'RangeError', message: 'Invalid typed array length' });
    expect(roundTrip('a thrown string')).toMatchObject({ message: 'a thrown string' });
  });

  it('survives details that cannot be cloned and codes it does not know', () => {
    const odd = new PermanentError(ErrorCodes.CorruptFile, 'x', { details: { fn: () => 1, nested: { ok: true } } });
    expect(roundTrip(odd)).toMatchObject({ code: 'corrupt_file', details: { nested: { ok: true } } });
    const unknown = deserializeError({ class: 'permanent', code: 'made_up', message: 'm', name: 'PermanentError', details: {} }, 1);
    expect(unknown).toMatchObject({ code: ErrorCodes.ExtractionFailed, errorClass: 'permanent' });
  });
});
