import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive, sweepOrphans } from './orphans.js';
import type { BreakerStatus } from './resilience.js';
import type { WorkerSnapshot } from './worker.js';

/**
 * Each running worker publishes what it is doing — phase, breaker states, counters — as a small
 * JSON file in `<FILESEARCH_HOME>/workers/`, rewritten atomically every few seconds and removed on
 * a clean exit. `filesearch status` reads them, so an operator sees an open circuit from a shell
 * without an HTTP port. A file whose pid is gone is a crashed worker's: ignored and swept.
 */

export interface WorkerState extends WorkerSnapshot {
  readonly workerId: string;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly breakers: readonly BreakerStatus[];
}

const FILE = /^worker-(\d+)\.json$/;
/** The state file or a temp copy a crash left half-written. */
const LEFT_BEHIND = /^worker-(\d+)\.json(?:\.\d+\.tmp)?$/;
export const PUBLISH_INTERVAL_MS = 2_000;

export function workersDir(home: string): string {
  return path.join(home, 'workers');
}

export class WorkerStatePublisher {
  private timer: NodeJS.Timeout | undefined;
  private readonly file: string;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly home: string,
    private readonly workerId: string,
    private readonly read: () => Pick<WorkerState, 'phase' | 'inFlight' | 'stats' | 'breakers'>,
    private readonly intervalMs = PUBLISH_INTERVAL_MS,
  ) {
    this.file = path.join(workersDir(home), `worker-${process.pid}.json`);
  }

  /**
   * Sweeps crashed workers' files, writes the first state, then keeps it fresh. Returns how many
   * workers' files were swept: workers on this host that died without cleaning up.
   */
  async start(): Promise<number> {
    await fs.promises.mkdir(workersDir(this.home), { recursive: true });
    const swept = await sweepOrphans(workersDir(this.home), LEFT_BEHIND);
    this.publish();
    this.timer = setInterval(() => this.publish(), this.intervalMs);
    this.timer.unref();
    return swept.filter((f) => f.endsWith('.json')).length;
  }

  /** Written to a temp name and renamed: a reader never sees half a file. Best effort. */
  publish(): void {
    const state: WorkerState = {
      workerId: this.workerId,
      pid: process.pid,
      host: os.hostname(),
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      ...this.read(),
    };
    try {
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(state)}\n`);
      fs.renameSync(tmp, this.file);
    } catch {
      // A full or read-only disk must not stop the worker; status then shows no state.
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    fs.rmSync(this.file, { force: true });
  }
}

/** The states of this host's live workers (files of dead pids are skipped). */
export async function readWorkerStates(home: string): Promise<WorkerState[]> {
  const dir = workersDir(home);
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const states: WorkerState[] = [];
  for (const name of names) {
    const pid = Number(FILE.exec(name)?.[1]);
    if (!Number.isInteger(pid) || !processAlive(pid)) continue;
    try {
      states.push(JSON.parse(await fs.promises.readFile(path.join(dir, name), 'utf8')) as WorkerState);
    } catch {
      // Removed or replaced while reading: the worker just exited.
    }
  }
  return states.sort((a, b) => a.pid - b.pid);
}
