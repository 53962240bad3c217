import type { Config } from '../config/config.js';
import type { Extractor, TypeDetector } from '../ports/extractor.port.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { Queue } from '../ports/queue.port.js';
import type { SearchIndex } from '../ports/search-index.port.js';
import type { WaitForIndex } from './index-startup.js';

export interface RuntimeOptions {
  /** Wait for an index that is down at start (the worker) instead of failing (one-shot commands). */
  readonly waitForIndex?: WaitForIndex;
  /** false: do not create the index schema at start (read-only commands such as `status`). */
  readonly ensureIndex?: boolean;
}

/** Everything a command needs, wired by one composition root. `close()` closes in reverse order. */
export interface Runtime {
  readonly config: Config;
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly store: ObjectStore;
  readonly index: SearchIndex;
  readonly extractor: Extractor;
  readonly detector: TypeDetector;
  /** AWS only: resolves the credentials the clients will sign with, and says which (for preflight). */
  readonly checkCredentials?: () => Promise<string>;
  /** Embedded only: registers a local folder as a bucket and returns its name. */
  readonly registerFolder?: (dir: string, bucket?: string) => string;
  close(): Promise<void>;
}

/** Closes parts in reverse order of creation, once, even if one of them fails. */
export function closer(parts: ReadonlyArray<{ close(): Promise<void> | void }>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      for (const part of [...parts].reverse()) {
        try {
          await part.close();
        } catch {
          // Closing is best effort; the remaining parts must still close.
        }
      }
    })();
    return closing;
  };
}
