import type { TestProject } from 'vitest/node';
import { findRunningServers, startServers } from '../../scripts/test-servers/servers.mjs';
import type { TestServers } from './servers.js';

/**
 * Provides real loopback servers to every test (`testServers()` in ./servers.ts): the ones
 * `node scripts/test-servers/servers.mjs start` keeps up, if healthy (left running afterwards),
 * else private ones for this run, stopped at teardown. FILESEARCH_TEST_SERVERS=none starts none.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env['FILESEARCH_TEST_SERVERS'] === 'none') return undefined;
  const running = await findRunningServers();
  if (running !== undefined) {
    provide(project, running);
    return undefined;
  }
  const servers = await startServers();
  provide(project, servers.endpoints);
  return () => servers.stop();
}

function provide(project: TestProject, servers: TestServers): void {
  project.provide('testServers', servers);
}
