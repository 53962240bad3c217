// Shopify's toxiproxy (a TCP proxy that injects faults, Go) on loopback: a real latency proxy in
// front of loopback test servers, for the benchmarks. Built once from the Go module proxy into the
// test-server cache (go-tool.mjs, pinned below); its admin API is driven with fetch.
/* global fetch, AbortSignal */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGoTool } from './go-tool.mjs';
import { guard, unguard } from './exit-guard.mjs';
import { forgetGroup, freePorts, httpOk, spawnServer, spawnedGroups, stopGroup, waitHealthy } from './processes.mjs';
import { RUN_DIR_PREFIX, removeRunDir, sweepDeadRunDirs, writeOwner } from './state.mjs';

/**
 * v2.12.0 (2025-03) is the newest version proxy.golang.org serves from here (v2.12.1, v2.13.0 …
 * answer 403, as unknown versions do). Its go.mod says `go 1.23.0`, so it needs Go ≥ 1.23: Debian
 * 12's golang-go is 1.19, too old (v2.8.0 is the last for 1.19), hence the check in findGo().
 * `sum` is the module's go.sum line (the h1 hash of the proxy's zip, recomputed by hand too); the
 * server is `./cmd/server` (`./cmd/cli` is the client).
 */
export const toxiproxy = {
  module: 'github.com/Shopify/toxiproxy/v2',
  version: 'v2.12.0',
  sum: 'h1:d1x++lYZg/zijXPPcv7PH0MvHMzEI5aX/YuUi/Sw+yg=',
  mainPackage: './cmd/server',
  minGo: [1, 23],
};

const defaultLog = (message) => process.stderr.write(`test-servers: ${message}\n`);
const goFix =
  'install Go ≥ 1.23 (https://go.dev/dl, or on Debian 12 apt-get install -y -t bookworm-backports golang-1.23-go and ' +
  'FILESEARCH_TEST_GO=/usr/lib/go-1.23/bin/go) or set FILESEARCH_TEST_GO to such a go binary';

/** Builds toxiproxy-server once (no-op when the cache is warm) and returns the binary's path. */
export function ensureToxiproxy({ log = defaultLog } = {}) {
  return buildGoTool({
    ...toxiproxy,
    name: 'toxiproxy',
    binaryName: 'toxiproxy-server',
    purpose: `toxiproxy ${toxiproxy.version}`,
    fix: goFix,
    goflags: '-mod=mod',
    log,
  });
}

/**
 * Starts toxiproxy-server with its admin API on 127.0.0.1 on a free port. `owned` (the default):
 * killed when this process exits, even by SIGKILL.
 */
export async function startToxiproxy({ owned = true, log = defaultLog } = {}) {
  const binary = await ensureToxiproxy({ log });
  sweepDeadRunDirs();
  const runDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `${RUN_DIR_PREFIX}toxiproxy-`));
  if (owned) writeOwner(runDir);
  guard(runDir);
  const stopAll = async () => {
    await Promise.all(
      spawnedGroups(runDir).map(async (pid) => {
        await stopGroup(pid, { graceMs: 5000 });
        forgetGroup(runDir, pid);
      }),
    );
    removeRunDir(runDir);
    unguard(runDir);
  };
  const logFile = path.join(runDir, 'toxiproxy.log');
  try {
    for (let attempt = 1; ; attempt++) {
      const [port] = await freePorts(1);
      const pid = await spawnServer({
        command: binary,
        args: ['-host', '127.0.0.1', '-port', String(port)],
        env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
        cwd: runDir,
        logFile,
        owned,
        marker: runDir,
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitHealthy({ name: `toxiproxy ${toxiproxy.version}`, pid, logFile, timeoutMs: 30_000, check: () => httpOk(`${url}/version`, { timeoutMs: 3000 }) });
      } catch (error) {
        await stopGroup(pid, { graceMs: 0 });
        forgetGroup(runDir, pid);
        if (!error.portConflict || attempt === 2) throw error; // a free port was taken meanwhile: once more
        continue;
      }
      if (!owned) unguard(runDir);
      let stopping;
      return {
        url,
        port,
        pid,
        logFile,
        version: toxiproxy.version,
        proxy: (name, upstream, options) => createProxy(url, name, upstream, options),
        setLatency: (name, latencyMs, jitterMs) => setLatency(url, name, latencyMs, jitterMs),
        stop: () => (stopping ??= stopAll()),
      };
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function api(url, method, route, body, { allow404 = false } = {}) {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status === 404 && allow404) return undefined;
  if (!response.ok) throw new Error(`toxiproxy ${method} ${route}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const proxyRoute = (name) => `/proxies/${encodeURIComponent(name)}`;
const LATENCY_TOXIC = 'latency_downstream';

async function createProxy(url, name, upstream, { latencyMs = 0, jitterMs = 0 } = {}) {
  await api(url, 'DELETE', proxyRoute(name), undefined, { allow404: true });
  // toxiproxy binds `listen` as given and reports the bound address: port 0 picks a free one.
  const created = await api(url, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream, enabled: true });
  if (latencyMs > 0) await setLatency(url, name, latencyMs, jitterMs);
  return `http://${created.listen}`;
}

/**
 * Latency on the downstream stream (upstream → client): every chunk of a response is held until
 * `latencyMs` after it was read, so one request/response round trip pays about `latencyMs` once.
 * Applies to open connections too.
 */
async function setLatency(url, name, latencyMs, jitterMs = 0) {
  const route = `${proxyRoute(name)}/toxics`;
  await api(url, 'DELETE', `${route}/${LATENCY_TOXIC}`, undefined, { allow404: true });
  if (latencyMs <= 0) return;
  await api(url, 'POST', route, {
    name: LATENCY_TOXIC,
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
    attributes: { latency: Math.round(latencyMs), jitter: Math.round(jitterMs) },
  });
}
