// The state file `servers.mjs start` leaves in the cache dir, so later test runs (and `stop`,
// `status`, `env`) find servers a developer keeps up between runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheRoot, shortHash } from './cache.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupRssMiB, httpJson, httpOk, isOurs, processExists, stopGroup } from './processes.mjs';
import { elasticmq, moto, opensearch } from './versions.mjs';

export const RUN_DIR_PREFIX = 'filesearch-test-servers-';

export function stateFile() {
  return path.join(cacheRoot(), 'state.json');
}

/** Servers started from other pins are not reused. */
export function fingerprint() {
  return shortHash(JSON.stringify({ opensearch, elasticmq }), fs.readFileSync(moto.requirements, 'utf8'));
}

export function readState() {
  try {
    return JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeState(state) {
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const tmp = `${stateFile()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, stateFile());
}

export function removeState() {
  fs.rmSync(stateFile(), { force: true });
}

const checks = {
  opensearch: async (url) => {
    const health = await httpJson(`${url}/_cluster/health`, { timeoutMs: 3000 });
    return health.status === 'green' || health.status === 'yellow';
  },
  elasticmq: (url) =>
    httpOk(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues', timeoutMs: 3000 }),
  moto: (url) => httpOk(`${url}/moto-api/`, { timeoutMs: 3000 }),
};

/** One line per server: is it still our process, does it answer, how much memory it holds. */
export async function probe(state) {
  return Promise.all(
    Object.values(state.servers).map(async (server) => {
      let problem;
      if (!isOurs(server.pid, state.runDir)) problem = `process ${server.pid} is gone`;
      else if (!(await checks[server.name](server.url).catch(() => false))) problem = `no healthy answer from ${server.url}`;
      return { ...server, healthy: problem === undefined, problem, rssMiB: problem ? undefined : groupRssMiB(server.pid) };
    }),
  );
}

/** Why the recorded servers cannot be reused, or undefined when they can. */
export async function unusableReason(state) {
  if (!state) return 'none recorded';
  if (state.fingerprint !== fingerprint()) return 'they run other versions than scripts/test-servers pins';
  const problems = (await probe(state)).filter((s) => !s.healthy).map((s) => `${s.name}: ${s.problem}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Stops what a state lists (only processes that still carry its marker) and removes its temp dir. */
export async function stopRecorded(state) {
  await Promise.all(Object.values(state.servers).map((s) => (isOurs(s.pid, state.runDir) ? stopGroup(s.pid) : undefined)));
  removeRunDir(state.runDir);
}

/**
 * Serialises `start`/`stop` across processes, so two developers' (or engineers') concurrent starts
 * cannot both start servers and leave one set unrecorded.
 */
export async function withStateLock(fn, { timeoutMs = 600_000 } = {}) {
  const lock = `${stateFile()}.lock`;
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lock, 'utf8') || 0);
      if (holder && !processExists(holder)) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by process ${holder}`, { cause: error });
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Owned runs record their owner; a run dir whose owner died (SIGKILL: no exit handler) is removed. */
export function writeOwner(runDir) {
  fs.writeFileSync(path.join(runDir, 'owner.pid'), String(process.pid));
}

export function sweepDeadRunDirs() {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(RUN_DIR_PREFIX)) continue;
    const runDir = path.join(os.tmpdir(), name);
    let owner;
    try {
      owner = Number(fs.readFileSync(path.join(runDir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // started by `servers.mjs start`, or still being created
    }
    if (owner && !processExists(owner)) removeRunDir(runDir);
  }
}

export function removeRunDir(runDir) {
  const safe = path.dirname(runDir) === os.tmpdir() && path.basename(runDir).startsWith(RUN_DIR_PREFIX);
  if (safe) fs.rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
}
