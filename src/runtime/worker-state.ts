import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive, sweepOrphans } from './orphans.js';
import type { ActivitySnapshot } from './activity.js';
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
  /** Latest stage timings and failures, for the dashboard (absent in files of older workers). */
  readonly activity?: ActivitySnapshot;
}

const FILE = /^worker-(\d+)\.json$/;
/** The state file or a temp copy a crash left half-written. */
const LEFT_BEHIND = /^worker-(\d+)\.json(?:\.\d+\.tmp)?$/;
export const PUBLISH_INTERVAL_MS = 2_000;

export function workersDir(home: string): string {
  return path.join(home, 'workers');
}

/** Where a worker leaves its last state on a clean exit, so that the dashboard counts its last seconds. */
export function finishedDir(home: string): string {
  return path.join(workersDir(home), 'finished');
}

/** How long a finished worker's last state is kept. */
export const FINISHED_KEEP_MS = 3_600_000;

export class WorkerStatePublisher {
  private timer: NodeJS.Timeout | undefined;
  private readonly file: string;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly home: string,
    private readonly workerId: string,
    private readonly read: () => Pick<WorkerState, 'phase' | 'inFlight' | 'stats' | 'breakers' | 'activity'>,
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

  /** Leaves the last state in `finished/` (best effort) and removes the live file. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (fs.existsSync(this.file)) {
      this.publish();
      try {
        fs.mkdirSync(finishedDir(this.home), { recursive: true });
        fs.renameSync(this.file, path.join(finishedDir(this.home), `worker-${process.pid}-${Date.parse(this.startedAt)}.json`));
      } catch {
        // the dashboard then misses this worker's last seconds; nothing else depends on it
      }
    }
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

/** Final states of workers that exited cleanly in the last hour; older ones are removed. */
export async function readFinishedStates(home: string, now = Date.now()): Promise<WorkerState[]> {
  const dir = finishedDir(home);
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const states: WorkerState[] = [];
  for (const name of names) {
    if (!/^worker-\d+-\d+\.json$/.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const state = JSON.parse(await fs.promises.readFile(file, 'utf8')) as WorkerState;
      if (now - Date.parse(state.updatedAt) > FINISHED_KEEP_MS) await fs.promises.rm(file, { force: true });
      else states.push(state);
    } catch {
      // being written or removed by another process
    }
  }
  return states;
}
