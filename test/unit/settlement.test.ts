import { describe, expect, it } from 'vitest';
import { ErrorCodes, FatalError, PermanentError, Stages, TransientError } from '../../src/domain/errors.js';
import { MAX_MESSAGE_ATTRIBUTES, deadLetterAttributes, deadLetterDetails, releaseDelay, settle } from '../../src/domain/settlement.js';
import { compareSequencers, isStale } from '../../src/domain/sequencer.js';

const policy = { initialDelaySeconds: 2, maxDelaySeconds: 300, random: () => 1 };
const transient = { error: new TransientError(ErrorCodes.IndexUnavailable, 'down'), stage: Stages.Index };
const permanent = { error: new PermanentError(ErrorCodes.CorruptFile, 'bad pdf'), stage: Stages.Extract, key: 'a.pdf' };

describe('settle', () => {
  it('deletes when nothing failed', () => {
    expect(settle([], 1, policy)).toEqual({ kind: 'delete' });
  });
  it('dead-letters a permanent failure', () => {
    expect(settle([permanent], 1, policy)).toMatchObject({ kind: 'dead-letter', failure: permanent });
  });
  it('releases, never dead-letters, for a fatal failure (our environment, not the file)', () => {
    const fatal = { error: new FatalError(ErrorCodes.DependencyMissing, 'pdftotext is not installed'), stage: Stages.Extract };
    expect(settle([fatal], 1, policy)).toMatchObject({ kind: 'release', failure: fatal });
  });
  it('releases when any failure is transient, even next to a permanent one', () => {
    expect(settle([permanent, transient], 1, policy)).toMatchObject({ kind: 'release', failure: transient });
  });
});

describe('releaseDelay', () => {
  it('grows exponentially with the receive count and is capped', () => {
    expect([1, 2, 3, 4].map((n) => releaseDelay(n, policy))).toEqual([2, 4, 8, 16]);
    expect(releaseDelay(20, policy)).toBe(300);
  });
  it('keeps at least half of the delay so a released message never comes straight back', () => {
    expect(releaseDelay(3, { ...policy, random: () => 0 })).toBe(4);
    expect(releaseDelay(1, { ...policy, initialDelaySeconds: 0, random: () => 0 })).toBe(1);
  });
});

describe('deadLetterAttributes', () => {
  const input = (overrides: Partial<Parameters<typeof deadLetterAttributes>[0]> = {}) => ({
    failure: permanent,
    receiveCount: 1,
    firstFailureAt: new Date(0),
    now: new Date(0),
    workerId: 'w',
    sourceQueue: 'q',
    messageId: 'm',
    ...overrides,
  });

  it('records reason, type, stage, attempts, times, worker and source', () => {
    const a = deadLetterAttributes({
      failure: permanent,
      receiveCount: 2,
      firstFailureAt: new Date('2026-01-01T00:00:00Z'),
      now: new Date('2026-01-01T00:01:00Z'),
      workerId: 'host:1',
      sourceQueue: 'q',
      messageId: 'm1',
    });
    expect(a).toMatchObject({
      reason: 'corrupt_file',
      errorType: 'permanent',
      errorMessage: 'bad pdf',
      stage: 'extract',
      attempts: '2',
      firstFailureAt: '2026-01-01T00:00:00.000Z',
      lastFailureAt: '2026-01-01T00:01:00.000Z',
      workerId: 'host:1',
      sourceQueue: 'q',
    });
    expect(deadLetterDetails(a)).toMatchObject({ errorName: 'PermanentError', key: 'a.pdf', sourceMessageId: 'm1' });
    expect(deadLetterDetails(a).stack).toContain('PermanentError');
  });

  it('carries a re-drive count in details, so the reprocess cap survives another dead-lettering', () => {
    const a = deadLetterAttributes(input({ redriveCount: '2' }));
    expect(deadLetterDetails(a).redriveCount).toBe('2');
    expect(Object.keys(a).length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
  });

  it('fits SQS: at most 10 attributes and no empty values', () => {
    const a = deadLetterAttributes(input({ failure: { error: new PermanentError(ErrorCodes.CorruptFile, ''), stage: Stages.Extract, key: 'k' } }));
    expect(Object.keys(a).length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
    expect(Object.values(a).every((v) => v.length > 0)).toBe(true);
    expect(a['errorMessage']).toBeUndefined();
  });
});

describe('sequencers', () => {
  it('compares hex strings of different lengths after right-padding', () => {
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6')).toBeLessThan(0);
    expect(compareSequencers('0055AED6DCD90281E5', '0055aed6dcd90281e5')).toBe(0);
    expect(compareSequencers('0056', '0055AED6DCD90281E5')).toBeGreaterThan(0);
  });
  it('calls an event stale only when both sequencers are known and it is older', () => {
    expect(isStale('0001', '0002')).toBe(true);
    expect(isStale('0002', '0002')).toBe(false);
    expect(isStale(undefined, '0002')).toBe(false);
    expect(isStale('0001', undefined)).toBe(false);
  });
});
