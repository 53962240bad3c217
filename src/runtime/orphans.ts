import fs from 'node:fs';
import path from 'node:path';

/**
 * Files a crashed process left behind. Worker temp dirs and state files carry the pid of their
 * owner; one whose pid no longer runs on this host is an orphan (a SIGKILL or OOM kill skips every
 * clean-up). TEMP_DIR and FILESEARCH_HOME are per host (systemd's PrivateTmp, an instance disk).
 */

/** True while a process with this pid exists (EPERM: it exists, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of `dir` named by `pattern` (its first group: the owner's pid) whose owner
 * is gone. Returns what was removed; a missing directory is nothing to sweep.
 */
export async function sweepOrphans(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    const full = path.join(dir, name);
    await fs.promises.rm(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}
