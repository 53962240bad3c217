// Types of toxiproxy.mjs for the TypeScript tests and benchmarks (test/integration/toxiproxy.test.ts).
import type { LogOption } from './servers.mjs';

export const toxiproxy: {
  readonly module: string;
  readonly version: string;
  /** The module's go.sum line (`h1:…`). */
  readonly sum: string;
  readonly mainPackage: string;
  /** The oldest Go that builds it, [major, minor]. */
  readonly minGo: readonly [number, number];
};

export interface LatencyOptions {
  /** Added to every response (downstream), once per request/response round trip; default 0 (none). */
  latencyMs?: number;
  /** ± this much, random per chunk; default 0. */
  jitterMs?: number;
}

export interface Toxiproxy {
  /** `http://127.0.0.1:<port>`: the admin API. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** toxiproxy-server's output, in a temp dir removed by stop(). */
  readonly logFile: string;
  readonly version: string;
  /**
   * Creates (or replaces) a proxy listening on a free 127.0.0.1 port in front of `upstream`
   * ("127.0.0.1:PORT"); resolves to its "http://127.0.0.1:PORT" base URL.
   */
  proxy(name: string, upstream: string, options?: LatencyOptions): Promise<string>;
  /**
   * Sets (replaces) the latency toxic of an existing proxy, on the downstream stream; 0 removes it.
   * Applies to open (keep-alive) connections too.
   */
  setLatency(name: string, latencyMs: number, jitterMs?: number): Promise<void>;
  /** Stops the server (its whole process group) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface ToxiproxyOptions extends LogOption {
  /** Killed when this process exits, even by SIGKILL (default true). */
  owned?: boolean;
}

/** Builds toxiproxy-server into the test-server cache once (Go ≥ 1.23); resolves to the binary's path. */
export function ensureToxiproxy(options?: LogOption): Promise<string>;
/** Starts toxiproxy-server with its admin API on 127.0.0.1, a free port. */
export function startToxiproxy(options?: ToxiproxyOptions): Promise<Toxiproxy>;
