import type { QueueMessage } from '../ports/queue.port.js';
import { systemClock, type Clock } from '../ports/clock.port.js';
import { extensionOf, forEachDlqBatch, lastFailureAt, releaseAll, sourceIdOf, type DlqReader, type ReadOptions } from './dlq-messages.js';

/**
 * What is in the dead-letter queue and why, without losing or consuming anything: every message
 * is received (and held, so none is counted twice), tallied, and released with visibility 0.
 */

export interface DlqSample {
  readonly messageId: string;
  readonly body: string;
  readonly errorMessage?: string;
}

export interface DlqAnalysis {
  /** Distinct failed messages (copies of one source message count once; see `sourceIdOf`). */
  readonly total: number;
  /** Extra copies of a message dead-lettered twice (a crash between the DLQ send and the delete). */
  readonly duplicates: number;
  readonly byReason: Record<string, number>;
  readonly byErrorType: Record<string, number>;
  readonly byExtension: Record<string, number>;
  /** Keyed by the hour of `lastFailureAt`, `2026-11-22T03:00Z`. */
  readonly byHour: Record<string, number>;
  readonly oldest?: string;
  readonly newest?: string;
  readonly samples: Record<string, DlqSample[]>;
  readonly analyzedAt: string;
  /** Messages that could not be made visible again (they reappear after their hold). */
  readonly notReleased: number;
}

export interface AnalyzeDlqOptions extends ReadOptions {
  /** Sample bodies kept per reason. */
  readonly samplesPerReason?: number;
  readonly clock?: Clock;
}

export async function analyzeDlq(dlq: DlqReader, options: AnalyzeDlqOptions = {}): Promise<DlqAnalysis> {
  const held: QueueMessage[] = [];
  let notReleased: number;
  try {
    await forEachDlqBatch(dlq, options, async (batch) => {
      held.push(...batch);
    });
  } finally {
    notReleased = await releaseAll(dlq, held);
  }
  return { ...summarize(held, options.samplesPerReason ?? 3), analyzedAt: new Date((options.clock ?? systemClock).now()).toISOString(), notReleased };
}

function summarize(messages: readonly QueueMessage[], samplesPerReason: number): Omit<DlqAnalysis, 'analyzedAt' | 'notReleased'> {
  const byReason: Record<string, number> = {};
  const byErrorType: Record<string, number> = {};
  const byExtension: Record<string, number> = {};
  const byHour: Record<string, number> = {};
  const samples: Record<string, DlqSample[]> = {};
  let oldest: Date | undefined;
  let newest: Date | undefined;
  const sources = new Set<string>();
  let duplicates = 0;
  for (const m of messages) {
    const source = sourceIdOf(m);
    if (sources.has(source)) {
      duplicates += 1;
      continue;
    }
    sources.add(source);
    const reason = m.attributes['reason'] ?? '(none)';
    bump(byReason, reason);
    bump(byErrorType, m.attributes['errorType'] ?? '(none)');
    bump(byExtension, extensionOf(m));
    const at = lastFailureAt(m);
    bump(byHour, `${at.toISOString().slice(0, 13)}:00Z`);
    if (oldest === undefined || at < oldest) oldest = at;
    if (newest === undefined || at > newest) newest = at;
    const kept = (samples[reason] ??= []);
    if (kept.length < samplesPerReason) {
      const errorMessage = m.attributes['errorMessage'];
      kept.push({ messageId: m.id, body: m.body, ...(errorMessage === undefined ? {} : { errorMessage }) });
    }
  }
  return {
    total: sources.size,
    duplicates,
    byReason: sorted(byReason),
    byErrorType: sorted(byErrorType),
    byExtension: sorted(byExtension),
    byHour: Object.fromEntries(Object.entries(byHour).sort(([a], [b]) => a.localeCompare(b))),
    ...(oldest === undefined ? {} : { oldest: oldest.toISOString() }),
    ...(newest === undefined ? {} : { newest: newest.toISOString() }),
    samples,
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Most frequent first, then by name: the table reads top-down by importance. */
function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb)));
}
