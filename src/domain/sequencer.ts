/**
 * Ordering of S3 events on the same key. S3's `sequencer` is a hex string; strings of different
 * lengths compare after right-padding the shorter with zeros (S3 "event ordering" guidance).
 * Returns <0, 0, >0 like a comparator. An absent sequencer never wins and never loses: we can't
 * tell, so the newer write (the one being processed) is applied.
 */
export function compareSequencers(a: string, b: string): number {
  const len = Math.max(a.length, b.length);
  const x = a.toUpperCase().padEnd(len, '0');
  const y = b.toUpperCase().padEnd(len, '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True when an event with `incoming` must not overwrite state written by `stored`. */
export function isStale(incoming: string | undefined, stored: string | undefined): boolean {
  if (incoming === undefined || stored === undefined) return false;
  return compareSequencers(incoming, stored) < 0;
}
