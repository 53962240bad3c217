import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type GeneratorFn,
  type IPolicy,
  type RetryPolicy,
} from 'cockatiel';
import { CircuitOpenError, ErrorCodes, TransientError, isFilesearchError, isTransientError } from '../domain/errors.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { IndexItemResult, SearchIndex } from '../ports/search-index.port.js';
import type { Logger } from './logger.js';

/**
 * Per-downstream resilience with cockatiel (STYLE): which failures count is said once (our
 * transient errors, plus a result predicate where a call "succeeds" with a failure), and what to
 * do is composed: retry with exponential backoff and full jitter around a consecutive-failure
 * circuit breaker, so that every attempt counts towards opening the circuit.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStatus {
  readonly downstream: string;
  readonly state: BreakerState;
  readonly retryInMs: number;
}

export interface ResilienceOptions {
  /** Retries after the first attempt (MAX_RETRIES). */
  readonly maxRetries: number;
  /** First backoff ceiling, seconds (INITIAL_RETRY_DELAY); doubles per retry. */
  readonly initialDelaySeconds: number;
  /** Backoff ceiling never exceeds this. */
  readonly maxDelayMs?: number;
  /** Consecutive failures that open the circuit. */
  readonly breakerThreshold?: number;
  /** How long the circuit stays open before one probe call is let through. */
  readonly halfOpenAfterMs?: number;
  /** 0..1, injectable for tests. */
  readonly random?: () => number;
  readonly logger: Logger;
}

export const RESILIENCE_DEFAULTS = { maxDelayMs: 30_000, breakerThreshold: 5, halfOpenAfterMs: 30_000 } as const;

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, initial × 2^attempt)). */
export function fullJitter(random: () => number): GeneratorFn<number> {
  return (attempt = 0, options) => {
    const ceiling = Math.min(options.maxDelay, options.initialDelay * options.exponent ** attempt);
    return [Math.floor(random() * ceiling), attempt + 1];
  };
}

export class Downstream {
  readonly breaker: CircuitBreakerPolicy;
  readonly retry: RetryPolicy;
  private readonly policy: IPolicy;
  private readonly halfOpenAfterMs: number;
  private openedAt = 0;

  constructor(
    readonly name: string,
    options: ResilienceOptions,
    /** A result that is a failure although the call returned (a bulk whose every item failed). */
    failedResult?: (result: unknown) => boolean,
    /** A cheap call that tells whether the downstream is back, without spending a message. */
    readonly probe?: () => Promise<unknown>,
  ) {
    const counts = () => (failedResult === undefined ? handleWhen(isTransientError) : handleWhen(isTransientError).orWhenResult(failedResult));
    this.retry = retry(counts(), {
      maxAttempts: options.maxRetries,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelaySeconds * 1000,
        maxDelay: options.maxDelayMs ?? RESILIENCE_DEFAULTS.maxDelayMs,
        generator: fullJitter(options.random ?? Math.random),
      }),
    });
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? RESILIENCE_DEFAULTS.halfOpenAfterMs;
    this.breaker = circuitBreaker(counts(), {
      halfOpenAfter: this.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? RESILIENCE_DEFAULTS.breakerThreshold),
    });
    this.policy = wrap(this.retry, this.breaker);
    const { logger } = options;
    this.breaker.onBreak(() => {
      // cockatiel uses Date.now too, so fake timers move both.
      this.openedAt = Date.now();
      logger.warn({ event: 'breaker_open', downstream: name, retryInMs: this.halfOpenAfterMs });
    });
    this.breaker.onHalfOpen(() => logger.info({ event: 'breaker_half_open', downstream: name }));
    this.breaker.onReset(() => logger.info({ event: 'breaker_closed', downstream: name }));
  }

  /**
   * cockatiel moves to half-open lazily, on the first call after the delay; here a circuit whose
   * delay has passed already reads 'half-open': the next call is the probe.
   */
  get state(): BreakerState {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Open:
        return Date.now() - this.openedAt >= this.halfOpenAfterMs ? 'half-open' : 'open';
      default:
        return 'open';
    }
  }

  /** Until the next call may probe the downstream; 0 unless open. */
  get retryInMs(): number {
    return this.state === 'open' ? Math.max(0, this.openedAt + this.halfOpenAfterMs - Date.now()) : 0;
  }

  /** Runs `fn` under retry + breaker. An open circuit surfaces as our (transient) CircuitOpenError. */
  async execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      // An aborted signal (PROCESSING_TIMEOUT, shutdown) stops the retries.
      return await this.policy.execute(() => fn(), signal);
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new CircuitOpenError(this.name, { cause: err });
      throw err;
    }
  }
}

/** Breaker states of every downstream, for the worker loop and status endpoints. */
export class Health {
  private readonly downstreams: Downstream[] = [];

  register(d: Downstream): Downstream {
    this.downstreams.push(d);
    return d;
  }

  /** Every circuit with its state and, when open, how long until it probes again. */
  breakers(): BreakerStatus[] {
    return this.downstreams.map((d) => ({ downstream: d.name, state: d.state, retryInMs: d.retryInMs }));
  }

  /** Open circuits (half-open ones let a probe through, so they do not count). */
  open(): string[] {
    return this.downstreams.filter((d) => d.state === 'open').map((d) => d.name);
  }

  halfOpen(): string[] {
    return this.downstreams.filter((d) => d.state === 'half-open').map((d) => d.name);
  }

  /**
   * Lets each half-open downstream that has a probe call it (through its breaker only): success
   * closes the circuit, failure opens it again. True when every half-open circuit was probed.
   */
  async probe(): Promise<boolean> {
    const halfOpen = this.downstreams.filter((d) => d.state === 'half-open');
    await Promise.all(halfOpen.map((d) => (d.probe === undefined ? undefined : d.breaker.execute(d.probe).catch(() => undefined))));
    return halfOpen.every((d) => d.probe !== undefined);
  }

  /** Until every open circuit may probe again. */
  retryInMs(): number {
    return Math.max(0, ...this.downstreams.map((d) => d.retryInMs));
  }
}

/** A bulk that failed as a whole: every item failed with the same transient error code. */
export function isWholeBatchTransient(result: unknown): boolean {
  if (!Array.isArray(result) || result.length === 0) return false;
  const items = result as IndexItemResult[];
  const code = items[0]?.error?.code;
  return items.every((r) => r.outcome === 'failed' && isTransientError(r.error) && r.error.code === code);
}

/** The index with `bulk` under the index downstream's policy (other calls pass through). */
export function resilientIndex(index: SearchIndex, downstream: Downstream): SearchIndex {
  return new Proxy(index, {
    get(target, prop, receiver) {
      if (prop === 'bulk') return (ops: Parameters<SearchIndex['bulk']>[0]) => downstream.execute(() => target.bulk(ops));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The object store with `download` under the store downstream's policy. */
export function resilientStore(store: ObjectStore, downstream: Downstream): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'download') {
        return (...args: Parameters<ObjectStore['download']>) => downstream.execute(() => target.download(...args), args[3].signal);
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The two downstreams the worker calls per message, registered with one Health. */
export function createDownstreams(options: ResilienceOptions, index?: SearchIndex): { health: Health; index: Downstream; store: Downstream } {
  const health = new Health();
  const probe =
    index === undefined
      ? undefined
      : () =>
          index.ping().catch((err: unknown) => {
            throw isFilesearchError(err) ? err : new TransientError(ErrorCodes.IndexUnavailable, 'index probe failed', { cause: err });
          });
  return {
    health,
    // The store has no call that is cheap and bucket-independent: a single message probes it.
    index: health.register(new Downstream('index', options, isWholeBatchTransient, probe)),
    store: health.register(new Downstream('object_store', options)),
  };
}
