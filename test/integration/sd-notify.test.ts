import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SystemdEnvironment } from '../../src/config/systemd-environment.js';
import { NotifyFields, SystemdNotifier } from '../../src/runtime/sd-notify.js';
import { NotifySocket } from '../support/notify-socket.js';

/**
 * The real protocol end to end: systemd-notify (the mechanism SystemdNotifier uses) sending
 * datagrams to a real AF_UNIX/SOCK_DGRAM socket bound by test/support/notify-socket.py.
 */

interface LogLine {
  readonly level: 'info' | 'warn';
  readonly event: unknown;
}

function recordingLogger(lines: LogLine[]) {
  return {
    info: (obj: object) => lines.push({ level: 'info', event: (obj as { event?: unknown }).event }),
    warn: (obj: object) => lines.push({ level: 'warn', event: (obj as { event?: unknown }).event }),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
let dir: string;
let socket: NotifySocket;
const logs: LogLine[] = [];

function notifierFor(environment: SystemdEnvironment, command?: string): SystemdNotifier {
  return new SystemdNotifier({ environment, logger: recordingLogger(logs), ...(command !== undefined ? { command } : {}) });
}

beforeEach(async () => {
  logs.length = 0;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-notify-'));
  socket = await NotifySocket.listen(path.join(dir, 'notify.sock'));
});

afterEach(async () => {
  await socket.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SystemdNotifier over a real NOTIFY_SOCKET', () => {
  it('sends READY=1 with a status, STATUS=, then STOPPING=1, in call order', async () => {
    const notifier = notifierFor({ notifySocket: socket.address });
    void notifier.ready('indexing\nfrom the queue');
    void notifier.status('3 in flight');
    await notifier.stopping();
    await socket.waitFor(() => socket.received.length >= 3);

    expect(socket.received.map((n) => n.fields)).toEqual([
      [NotifyFields.Ready, 'STATUS=indexing from the queue'],
      ['STATUS=3 in flight'],
      [NotifyFields.Stopping],
    ]);
    expect(logs).toEqual([]);
    await notifier.close();
  });

  it('pings WATCHDOG=1 every WATCHDOG_USEC/2 while healthy, not at all while unhealthy, and again once healthy', async () => {
    const notifier = notifierFor({ notifySocket: socket.address, watchdogUsec: 500_000, watchdogPid: process.pid });
    expect(notifier.watchdogIntervalMs).toBe(250);
    let healthy = true;
    await notifier.ready();
    expect(notifier.startWatchdog(() => healthy)).toBe(true);

    await socket.waitFor(() => socket.with(NotifyFields.Watchdog).length >= 6, 5_000, 'six pings');
    const pings = socket.with(NotifyFields.Watchdog).slice(0, 6);
    const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
    const meanGap = (pings[5]!.at - pings[0]!.at) / 5;
    expect(meanGap).toBeGreaterThan(200);
    expect(meanGap).toBeLessThan(350);
    expect(Math.min(...gaps)).toBeGreaterThan(100);

    healthy = false;
    await until(() => logs.some((l) => l.event === 'watchdog_stalled'), 2_000, 'watchdog_stalled');
    // Messages go out in call order: once this marker arrives, no ping sent before it is still on its way.
    await notifier.status('marker');
    await socket.waitFor(() => socket.with('STATUS=marker').length === 1);
    const pingsWhenStalled = socket.with(NotifyFields.Watchdog).length;
    await sleep(4 * 250);
    expect(socket.with(NotifyFields.Watchdog)).toHaveLength(pingsWhenStalled);
    expect(logs.filter((l) => l.event === 'watchdog_stalled')).toEqual([{ level: 'warn', event: 'watchdog_stalled' }]);

    healthy = true;
    await socket.waitFor(() => socket.with(NotifyFields.Watchdog).length > pingsWhenStalled, 2_000, 'pings to resume');
    expect(logs.map((l) => l.event)).toContain('watchdog_resumed');

    await notifier.stopping();
    await socket.waitFor(() => socket.with(NotifyFields.Stopping).length === 1);
    await notifier.close();
    const afterClose = socket.received.length;
    await sleep(2 * 250);
    expect(socket.received).toHaveLength(afterClose);
  });

  it('reaches an abstract socket (@name)', async () => {
    const abstract = await NotifySocket.listen(`@filesearch-sd-notify-test-${process.pid}-${Date.now()}`);
    try {
      const notifier = notifierFor({ notifySocket: abstract.address });
      await notifier.ready();
      await abstract.waitFor(() => abstract.with(NotifyFields.Ready).length === 1);
    } finally {
      await abstract.close();
    }
  });

  it('is a no-op without NOTIFY_SOCKET', async () => {
    const silent = notifierFor({ watchdogUsec: 200_000 });
    expect(silent.enabled).toBe(false);
    expect(silent.watchdogIntervalMs).toBeUndefined();
    expect(silent.startWatchdog(() => true)).toBe(false);
    await Promise.all([silent.ready(), silent.status('x'), silent.watchdogPing(), silent.stopping()]);
    await silent.close();

    // A notifier that does send, after it: once its message is in, anything the silent one sent would be too.
    await notifierFor({ notifySocket: socket.address }).status('marker');
    await socket.waitFor(() => socket.received.length >= 1);
    expect(socket.received.map((n) => n.fields)).toEqual([['STATUS=marker']]);
    expect(logs).toEqual([]);
  });

  it('warns once and carries on when the sender cannot be run', async () => {
    const notifier = notifierFor({ notifySocket: socket.address, watchdogUsec: 100_000 }, path.join(dir, 'no-such-systemd-notify'));
    await notifier.ready();
    notifier.startWatchdog(() => true);
    await Promise.all([notifier.watchdogPing(), notifier.status('x'), notifier.stopping()]);
    await notifier.close();

    expect(logs).toEqual([{ level: 'warn', event: 'sd_notify_unavailable' }]);
    expect(socket.received).toEqual([]);
  });

  it('warns once when the socket is not there', async () => {
    const notifier = notifierFor({ notifySocket: path.join(dir, 'gone.sock') });
    await notifier.ready();
    await notifier.watchdogPing();
    await notifier.stopping();
    await notifier.close();

    expect(logs).toEqual([{ level: 'warn', event: 'sd_notify_failed' }]);
  });
});

describe('a child process with NOTIFY_SOCKET in its environment (as systemd starts the worker)', () => {
  const dist = path.join(repoRoot, 'dist');
  const childScript = (): string => {
    if (!fs.existsSync(path.join(dist, 'runtime', 'sd-notify.js'))) {
      throw new Error('dist/ is missing or stale: run `npm run build` (npm test does it) before the integration tests');
    }
    const url = (file: string): string => pathToFileURL(path.join(dist, file)).href;
    return `
      import { systemdEnvironment } from ${JSON.stringify(url('config/systemd-environment.js'))};
      import { SystemdNotifier } from ${JSON.stringify(url('runtime/sd-notify.js'))};
      const log = (obj) => console.log(JSON.stringify(obj));
      const notifier = new SystemdNotifier({ environment: systemdEnvironment(), logger: { info: log, warn: log } });
      await notifier.ready('started');
      notifier.startWatchdog(() => true);
      const keepAlive = setInterval(() => undefined, 1000);
      process.stdin.on('data', () => { console.log('blocking'); for (;;) {} });
      process.once('SIGTERM', async () => { clearInterval(keepAlive); await notifier.stopping(); await notifier.close(); process.exit(0); });
      console.log('started');
    `;
  };

  function startChild() {
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '400000' };
    delete env['WATCHDOG_PID'];
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript()], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, stdout: () => stdout };
  }

  it('gets READY=1, watchdog pings, and STOPPING=1 on SIGTERM, then exits 0', async () => {
    const { child, exited, stdout } = startChild();
    await socket.waitFor(() => socket.with(NotifyFields.Watchdog).length >= 3, 10_000, 'READY and three pings');
    expect(socket.received[0]?.fields).toEqual([NotifyFields.Ready, 'STATUS=started']);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(socket.received.at(-1)?.fields).toEqual([NotifyFields.Stopping]);
    expect(stdout()).not.toContain('sd_notify');
  });

  it('stops pinging when its event loop is blocked, so systemd would restart it', async () => {
    const { child, exited, stdout } = startChild();
    try {
      await socket.waitFor(() => socket.with(NotifyFields.Watchdog).length >= 2, 10_000, 'two pings');
      child.stdin.write('block\n');
      await until(() => stdout().includes('blocking'), 5_000, 'the child to block');
      const pingsWhenBlocked = socket.with(NotifyFields.Watchdog).length;
      await sleep(5 * 200);
      // At most one sender that was already spawned before the loop blocked may still deliver.
      expect(socket.with(NotifyFields.Watchdog).length).toBeLessThanOrEqual(pingsWhenBlocked + 1);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
