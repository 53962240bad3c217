import fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { findRunningServers, startServers } from '../../scripts/test-servers/servers.mjs';
import type { TestServers } from './servers.js';

/**
 * Provides real loopback servers to every test (`testServers()` in ./servers.ts): the ones
 * `node scripts/test-servers/servers.mjs start` keeps up, if healthy (left running afterwards),
 * else private ones for this run, stopped at teardown. FILESEARCH_TEST_SERVERS=none starts none.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every process a test starts inherits this marker (test workers are forked after this runs);
  // at teardown whatever still carries it — a worker a failed test left running, its extraction
  // children — is killed, so a red run leaves nothing behind on the machine.
  const marker = `${process.pid}-${Date.now().toString(36)}`;
  process.env[RUN_MARKER] = marker;
  const sweep = async (): Promise<void> => killMarked(marker);
  if (process.env['FILESEARCH_TEST_SERVERS'] === 'none') return sweep;
  const running = await findRunningServers();
  if (running !== undefined) {
    provide(project, running);
    return sweep;
  }
  const servers = await startServers();
  provide(project, servers.endpoints);
  return async () => {
    await sweep();
    await servers.stop();
  };
}

const RUN_MARKER = 'FILESEARCH_TEST_RUN';

/** SIGKILLs every process (but this one) whose environment carries the run marker. */
function killMarked(marker: string): void {
  const needle = `${RUN_MARKER}=${marker}`;
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(needle)) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
}

function provide(project: TestProject, servers: TestServers): void {
  project.provide('testServers', servers);
}
