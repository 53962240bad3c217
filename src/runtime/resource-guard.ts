import os from 'node:os';
import { freeDiskBytes } from '../shared/disk.js';
import type { Logger } from './logger.js';

/**
 * Backpressure on the machine's resources: every few seconds it samples free disk in the temp
 * directory and the host's memory use; while either is past its threshold the worker receives
 * nothing (`pressure()` names the reason), and it resumes once both are back. Hysteresis of 5 %
 * keeps it from flapping on the line.
 */

export interface ResourceGuardOptions {
  readonly tempDir: string;
  readonly minFreeDiskBytes: number;
  readonly maxMemoryPercent: number;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
  readonly intervalMs?: number;
  /** Injectable for tests (a full disk cannot be made on demand). */
  readonly freeDiskBytes?: (dir: string) => Promise<number>;
  readonly memoryPercent?: () => number;
}

export class ResourceGuard {
  private reason: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(private readonly options: ResourceGuardOptions) {}

  /** Samples once now, then on a timer. */
  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => {
      this.sampling ??= this.sample().finally(() => (this.sampling = undefined));
    }, this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /** 'disk' or 'memory' while receiving must pause; undefined otherwise. */
  pressure(): string | undefined {
    return this.reason;
  }

  async sample(): Promise<void> {
    const { minFreeDiskBytes, maxMemoryPercent } = this.options;
    const free = await (this.options.freeDiskBytes ?? freeDiskBytes)(this.options.tempDir).catch(() => Number.POSITIVE_INFINITY);
    const memory = (this.options.memoryPercent ?? memoryPercent)();
    const slack = this.reason === undefined ? 1 : 1.05;
    const disk = free < minFreeDiskBytes * slack;
    const mem = memory > maxMemoryPercent / slack;
    const reason = disk ? 'disk' : mem ? 'memory' : undefined;
    if (reason !== this.reason) {
      const figures = { freeDiskMb: Math.round(free / 1048576), memoryPercent: Math.round(memory), minFreeDiskMb: Math.round(minFreeDiskBytes / 1048576), maxMemoryPercent };
      if (reason !== undefined) this.options.logger.warn({ event: 'backpressure_on', reason, ...figures });
      else this.options.logger.info({ event: 'backpressure_off', ...figures });
      this.reason = reason;
    }
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.sampling;
  }
}

/**
 * Memory in use, percent: of our cgroup's limit when there is one (systemd MemoryMax, a container),
 * else of the host. `process.availableMemory()` (Node ≥ 20.13) knows the cgroup; older: the host.
 */
function memoryPercent(): number {
  const limit = process.constrainedMemory();
  const total = limit > 0 && limit < os.totalmem() ? limit : os.totalmem();
  const available = typeof process.availableMemory === 'function' ? process.availableMemory() : os.freemem();
  return 100 * (1 - Math.min(available, total) / total);
}
