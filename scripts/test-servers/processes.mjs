// Server processes: free loopback ports, detached process groups with their output in a log file,
// health polling that fails fast with the log's tail, and group-wide stops.
/* global fetch, AbortSignal */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Asks the OS for `count` distinct free ports on 127.0.0.1 (all held open at once, then closed). */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

/**
 * Waits until each port can be bound on 127.0.0.1 again (a restart on the same ports: while a
 * server was down, an outgoing connection may have borrowed one as its ephemeral port).
 */
export async function waitPortsFree(ports, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const problem = await new Promise((resolve) => {
        const server = net.createServer();
        server.once('error', (error) => resolve(error.code ?? error.message));
        server.listen(port, '127.0.0.1', () => server.close(() => resolve(undefined)));
      });
      if (problem === undefined) break;
      if (Date.now() > deadline) throw new Error(`port ${port} on 127.0.0.1 is still taken after ${timeoutMs / 1000} s (${problem})`);
      await sleep(250);
    }
  }
}

/** The environment variable that marks a process as one of ours, so a stale PID is never killed. */
export const MARKER = 'FILESEARCH_TEST_SERVERS_RUN';

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
const spawned = new Map(); // marker → process group ids started with it

/** Every process group this process started for a run, healthy or not, for stop and exit handlers. */
export function spawnedGroups(marker) {
  return [...(spawned.get(marker) ?? [])];
}

/** Drops a group that has been stopped, so no exit handler signals its (reusable) id later. */
export function forgetGroup(marker, pid) {
  spawned.get(marker)?.delete(pid);
}

/**
 * Starts `command` as the leader of its own process group, output appended to `logFile`. When
 * `owned`, the kernel kills it if this process dies without running its exit handlers (SIGKILL).
 */
export async function spawnServer({ command, args, env, cwd, logFile, owned, marker }) {
  const out = fs.openSync(logFile, 'a');
  const [file, argv] = owned && setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd, env: { ...env, [MARKER]: marker }, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) {
    const error = await new Promise((resolve) => child.once('error', resolve));
    throw new Error(`cannot start ${command}: ${error.message}`);
  }
  child.on('error', () => {}); // a late spawn error shows up as a dead process in waitHealthy
  child.unref();
  spawned.set(marker, new Set([...(spawned.get(marker) ?? []), child.pid]));
  return child.pid;
}

/** Polls `check` until it returns true; fails at once if the process group has died. */
export async function waitHealthy({ name, pid, check, timeoutMs, logFile }) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) {
      const log = tail(logFile, 40);
      throw Object.assign(new Error(`${name} exited during startup; last lines of ${logFile}:\n${log}`), {
        portConflict: /address already in use|BindException/i.test(log),
      });
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastProblem = error?.cause?.code ?? error?.message ?? String(error);
    }
    await sleep(250);
  }
  throw new Error(`${name} was not healthy after ${timeoutMs / 1000} s (${lastProblem}); last lines of ${logFile}:\n${tail(logFile, 40)}`);
}

export async function httpOk(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 5000) });
  await response.arrayBuffer();
  return response.ok;
}

export async function httpJson(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 5000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once no member is left running. */
export async function stopGroup(pid, { graceMs = 20_000 } = {}) {
  if (!groupAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (!groupAlive(pid)) return;
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
}

export function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** True while any member of the process group is running (zombies do not count). */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  if (!fs.existsSync('/proc/self/stat')) return true;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

/** Whether `pid` still is the process we started (its environment carries our marker). */
export function isOurs(pid, marker) {
  if (!fs.existsSync('/proc/self/environ')) return groupAlive(pid);
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${MARKER}=${marker}`);
  } catch {
    return false;
  }
}

/** Resident memory of a process group in MiB (Linux), for the startup summary. */
export function groupRssMiB(pgid) {
  if (!fs.existsSync('/proc/self/stat')) return undefined;
  let kib = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || readStat(entry)?.pgrp !== pgid) continue;
    const match = /VmRSS:\s+(\d+)/.exec(safeRead(`/proc/${entry}/status`));
    kib += Number(match?.[1] ?? 0);
  }
  return Math.round(kib / 1024);
}

export function tail(file, lines) {
  return safeRead(file).trimEnd().split('\n').slice(-lines).join('\n');
}

export function commandWorks(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : undefined;
}

export function processExists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function readStat(pid) {
  const text = safeRead(`/proc/${pid}/stat`);
  const close = text.lastIndexOf(')'); // the command name may contain spaces and parentheses
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]) };
}

function safeRead(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
