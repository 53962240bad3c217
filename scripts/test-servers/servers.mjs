#!/usr/bin/env node
// Real servers on loopback for the tests: OpenSearch, ElasticMQ (SQS) and moto (SQS + S3).
// `provision` also builds amazon-ec2-metadata-mock, which the instance-notice tests start themselves,
// and toxiproxy, the benchmarks' latency proxy.
// Downloads are cached in ${XDG_CACHE_HOME:-~/.cache}/filesearch-worker/test-servers; each start
// gets a fresh temp dir for data and logs, removed on stop. Plain JS: it runs before any build.
//
//   node scripts/test-servers/servers.mjs start|stop|status|env|provision
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from './cache.mjs';
import { provisionEc2MetadataMock } from './ec2-metadata-mock.mjs';
import { provisionElasticMq, startElasticMq } from './elasticmq.mjs';
import { provisionMoto, startMoto } from './moto.mjs';
import { provisionOpenSearch, startOpenSearch } from './opensearch.mjs';
import { ensureToxiproxy } from './toxiproxy.mjs';
import { guard, unguard } from './exit-guard.mjs';
import { forgetGroup, groupAlive, groupRssMiB, signalGroup, spawnedGroups, stopGroup, waitPortsFree } from './processes.mjs';
import {
  RUN_DIR_PREFIX,
  fingerprint,
  probe,
  readState,
  removeRunDir,
  removeState,
  stopRecorded,
  sweepDeadRunDirs,
  unusableReason,
  withStateLock,
  writeOwner,
  writeState,
} from './state.mjs';
import { findJava, findPython } from './tools.mjs';
import { credentials, region } from './versions.mjs';

const defaultLog = (message) => process.stderr.write(`test-servers: ${message}\n`);

/**
 * Downloads and installs everything once (no-op when the cache is warm); starts nothing. Includes
 * amazon-ec2-metadata-mock and toxiproxy (built with Go), which only their tests and the benchmarks start.
 */
export async function provisionServers({ log = defaultLog } = {}) {
  const java = findJava();
  const python = findPython();
  const [distDir, lib, venvPython, ec2MetadataMock, toxiproxy] = await Promise.all([
    provisionOpenSearch({ java, python: python.python, log }),
    provisionElasticMq({ java, log }),
    provisionMoto({ python, log }),
    provisionEc2MetadataMock({ log }),
    ensureToxiproxy({ log }),
  ]);
  return { java, python, distDir, lib, venvPython, ec2MetadataMock, toxiproxy };
}

/**
 * Provisions and starts all servers, waits until each is healthy. `owned` (the default) ties them
 * to this process: they are killed on its exit, even by SIGKILL. A failed start stops what it began.
 */
export async function startServers({ owned = true, log = defaultLog } = {}) {
  const began = Date.now();
  const java = findJava();
  const python = findPython();
  sweepDeadRunDirs();
  const runDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), RUN_DIR_PREFIX));
  if (owned) writeOwner(runDir);
  guard(runDir);
  const bring = async (provision, start) => {
    const provisioned = await provision();
    for (let attempt = 1; ; attempt++) {
      try {
        return await start(provisioned);
      } catch (error) {
        if (!error.portConflict || attempt === 2) throw error; // a free port was taken meanwhile: once more
      }
    }
  };
  const results = await Promise.allSettled([
    bring(
      () => provisionOpenSearch({ java, python: python.python, log }),
      (distDir) => startOpenSearch({ distDir, java, runDir, owned, log }),
    ),
    bring(
      () => provisionElasticMq({ java, log }),
      (lib) => startElasticMq({ lib, java, runDir, owned }),
    ),
    bring(
      () => provisionMoto({ python, log }),
      (venvPython) => startMoto({ venvPython, runDir, owned }),
    ),
  ]);
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (failures.length > 0) {
    await stopAll(runDir);
    throw new Error(`test servers failed to start:\n\n${failures.map((e) => e?.message ?? String(e)).join('\n\n')}`);
  }
  const [os_, mq, mo] = results.map((r) => r.value);
  if (!owned) unguard(runDir);
  const endpoints = {
    region,
    credentials: { ...credentials },
    sqs: { elasticmq: mq.url, moto: mo.url },
    s3: mo.url,
    opensearch: os_.url,
    opensearchPlugins: os_.plugins,
  };
  const servers = Object.fromEntries([os_, mq, mo].map((s) => [s.name, s]));
  const state = { fingerprint: fingerprint(), runDir, startedAt: new Date().toISOString(), servers, endpoints };
  const memory = [os_, mq, mo].map((s) => `${s.name} ${groupRssMiB(s.pid) ?? '?'} MiB`).join(', ');
  log(`ready in ${((Date.now() - began) / 1000).toFixed(1)} s (RSS ${memory}); data and logs in ${runDir}`);
  let stopping;
  const stop = () => (stopping ??= stopAll(runDir));
  return { endpoints, state, stop };
}

/**
 * A dedicated OpenSearch node, apart from the shared one, for tests that take it down: `stop()`
 * stops its process group and keeps its data, `start()` brings it back on the same ports with the
 * same data and waits until it is healthy, `dispose()` stops it and removes its temp dir. Provisioned
 * from the same cache as the shared servers; `owned` (the default) kills it when this process exits,
 * even by SIGKILL, like startServers.
 */
export async function startOpenSearchInstance({ owned = true, log = defaultLog } = {}) {
  const began = Date.now();
  const java = findJava();
  const python = findPython();
  const distDir = await provisionOpenSearch({ java, python: python.python, log });
  sweepDeadRunDirs();
  const runDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), RUN_DIR_PREFIX));
  if (owned) writeOwner(runDir);
  guard(runDir);
  const say = (message) => log(`dedicated ${message}`);
  let current; // the running server, undefined while stopped
  // Stops every group this instance started (normally just the current one) and forgets them.
  const stopGroups = async (hard) => {
    current = undefined;
    await Promise.all(
      spawnedGroups(runDir).map(async (pid) => {
        if (hard) signalGroup(pid, 'SIGKILL');
        await stopGroup(pid);
        forgetGroup(runDir, pid);
      }),
    );
  };
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        current = await startOpenSearch({ distDir, java, runDir, owned, log: say });
        break;
      } catch (error) {
        await stopGroups(true);
        if (!error.portConflict || attempt === 2) throw error; // a free port was taken meanwhile: once more
      }
    }
  } catch (error) {
    await stopAll(runDir);
    throw error;
  }
  if (!owned) unguard(runDir);
  const { url, port, transportPort, logFile } = current;
  say(`OpenSearch ready in ${((Date.now() - began) / 1000).toFixed(1)} s; data and logs in ${runDir}`);

  // One operation at a time, whatever the caller awaits or not; a failure does not block later ones.
  let queue = Promise.resolve();
  const serial = (fn) => (queue = queue.then(fn, fn));
  let disposed = false;
  return {
    url,
    port,
    transportPort,
    logFile,
    dir: runDir,
    get running() {
      return current !== undefined && groupAlive(current.pid);
    },
    stop: ({ hard = false } = {}) =>
      serial(async () => {
        const stopping = Date.now();
        await stopGroups(hard);
        say(`OpenSearch at ${url} stopped${hard ? ' (SIGKILL)' : ''} in ${((Date.now() - stopping) / 1000).toFixed(1)} s; data kept`);
      }),
    start: () =>
      serial(async () => {
        if (disposed) throw new Error(`the dedicated OpenSearch at ${url} was disposed`);
        if (current && groupAlive(current.pid)) return;
        await stopGroups(false); // anything left of a node that died on its own
        const starting = Date.now();
        await waitPortsFree([port, transportPort]);
        try {
          current = await startOpenSearch({ distDir, java, runDir, owned, log: say, httpPort: port, transportPort });
        } catch (error) {
          await stopGroups(true);
          throw error;
        }
        say(`OpenSearch at ${url} restarted in ${((Date.now() - starting) / 1000).toFixed(1)} s`);
      }),
    dispose: () =>
      serial(async () => {
        if (disposed) return;
        disposed = true;
        current = undefined;
        await stopAll(runDir);
      }),
  };
}

/** The endpoints of servers left running by `servers.mjs start`, when they are healthy and current. */
export async function findRunningServers({ log = defaultLog } = {}) {
  const state = readState();
  const reason = await unusableReason(state);
  if (reason === undefined) {
    log(`reusing the servers from \`servers.mjs start\` (${state.runDir})`);
    return state.endpoints;
  }
  if (state) log(`not reusing the servers recorded in ${path.join(cacheRoot(), 'state.json')}: ${reason}`);
  return undefined;
}

async function stopAll(runDir) {
  await Promise.all(spawnedGroups(runDir).map((pid) => stopGroup(pid)));
  removeRunDir(runDir);
  unguard(runDir);
}

// ---- CLI ----

function printEndpoints(endpoints) {
  const rows = [
    ['opensearch', `${endpoints.opensearch}  plugins: ${endpoints.opensearchPlugins.join(', ') || '(none)'}`],
    ['sqs elasticmq', endpoints.sqs.elasticmq],
    ['sqs moto', endpoints.sqs.moto],
    ['s3 moto', endpoints.s3],
  ];
  for (const [name, value] of rows) process.stdout.write(`${name.padEnd(14)} ${value}\n`);
}

function envLines(endpoints) {
  const vars = {
    FILESEARCH_TEST_REGION: endpoints.region,
    FILESEARCH_TEST_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
    FILESEARCH_TEST_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    FILESEARCH_TEST_SQS_ELASTICMQ: endpoints.sqs.elasticmq,
    FILESEARCH_TEST_SQS_MOTO: endpoints.sqs.moto,
    FILESEARCH_TEST_S3: endpoints.s3,
    FILESEARCH_TEST_OPENSEARCH: endpoints.opensearch,
    FILESEARCH_TEST_OPENSEARCH_PLUGINS: endpoints.opensearchPlugins.join(','),
  };
  return Object.entries(vars).map(([k, v]) => `export ${k}=${v}\n`).join('');
}

const commands = {
  start: () =>
    withStateLock(async () => {
      const running = await findRunningServers({ log: () => {} });
      if (running) {
        defaultLog('already running');
        printEndpoints(running);
        return 0;
      }
      const stale = readState();
      if (stale) await stopRecorded(stale);
      removeState();
      const { state } = await startServers({ owned: false });
      writeState(state);
      printEndpoints(state.endpoints);
      defaultLog('kept running for later test runs; `node scripts/test-servers/servers.mjs stop` stops them');
      return 0;
    }),
  stop: () =>
    withStateLock(async () => {
      const state = readState();
      if (!state) {
        defaultLog('no servers recorded');
        return 0;
      }
      await stopRecorded(state);
      removeState();
      defaultLog('stopped');
      return 0;
    }),
  async status() {
    const state = readState();
    if (!state) {
      defaultLog('not running (start them with `node scripts/test-servers/servers.mjs start`)');
      return 1;
    }
    const servers = await probe(state);
    for (const s of servers) {
      const health = s.healthy ? `healthy, RSS ${s.rssMiB ?? '?'} MiB` : `NOT healthy: ${s.problem}`;
      process.stdout.write(`${s.name.padEnd(11)} ${String(s.version).padEnd(7)} ${s.url}  pid ${s.pid}  ${health}\n`);
    }
    if (state.fingerprint !== fingerprint()) defaultLog('these servers run other versions than the current pins: stop and start them');
    return servers.every((s) => s.healthy) ? 0 : 1;
  },
  async env() {
    const state = readState();
    const reason = await unusableReason(state);
    if (reason !== undefined) {
      defaultLog(`no usable servers (${reason}): run \`node scripts/test-servers/servers.mjs start\``);
      return 1;
    }
    process.stdout.write(envLines(state.endpoints));
    return 0;
  },
  async provision() {
    const { distDir, lib, venvPython, ec2MetadataMock, toxiproxy } = await provisionServers();
    defaultLog(`cached in ${cacheRoot()}:\n  ${distDir}\n  ${lib}\n  ${venvPython}\n  ${ec2MetadataMock}\n  ${toxiproxy}`);
    return 0;
  },
};

const invokedDirectly = process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const command = commands[process.argv[2] ?? ''];
  if (!command) {
    process.stderr.write('usage: node scripts/test-servers/servers.mjs start|stop|status|env|provision\n');
    process.exit(2);
  }
  command().then(
    (code) => process.exit(code),
    (error) => {
      defaultLog(error?.message ?? String(error));
      process.exit(1);
    },
  );
}
