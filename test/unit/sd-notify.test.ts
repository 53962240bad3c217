import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemdEnvironment } from '../../src/config/systemd-environment.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { StallDetector, SystemdNotifier } from '../../src/runtime/sd-notify.js';

describe('systemdEnvironment', () => {
  it('reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID', () => {
    expect(systemdEnvironment({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' })).toEqual({
      notifySocket: '/run/systemd/notify',
      watchdogUsec: 30_000_000,
      watchdogPid: 4242,
    });
    expect(systemdEnvironment({ NOTIFY_SOCKET: '@abstract/notify' })).toEqual({ notifySocket: '@abstract/notify' });
  });

  it('treats absent, empty and malformed values as absent', () => {
    expect(systemdEnvironment({})).toEqual({});
    expect(systemdEnvironment({ NOTIFY_SOCKET: '', WATCHDOG_USEC: '0', WATCHDOG_PID: 'x' })).toEqual({});
    expect(systemdEnvironment({ NOTIFY_SOCKET: ' ', WATCHDOG_USEC: '-5', WATCHDOG_PID: '1.5' })).toEqual({});
  });
});

describe('SystemdNotifier watchdog settings', () => {
  const notifier = (environment: Parameters<typeof systemdEnvironment>[0]) =>
    new SystemdNotifier({ environment: systemdEnvironment(environment), logger: silentLogger, pid: 100 });

  it('pings at half of WATCHDOG_USEC', () => {
    expect(notifier({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30000000' }).watchdogIntervalMs).toBe(15_000);
    expect(notifier({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '100' }).watchdogIntervalMs).toBe(15_000);
  });

  it('has no watchdog when WATCHDOG_PID names another process, or without WATCHDOG_USEC or NOTIFY_SOCKET', () => {
    for (const env of [
      { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '101' },
      { NOTIFY_SOCKET: '/n' },
      { WATCHDOG_USEC: '30000000' },
    ]) {
      const n = notifier(env);
      expect(n.watchdogIntervalMs).toBeUndefined();
      expect(n.startWatchdog(() => true)).toBe(false);
    }
  });
});

describe('StallDetector', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function detector(thresholdMs = 10_000) {
    let lastProgress = Date.now();
    const stalls: number[] = [];
    const d = new StallDetector({ lastProgressAt: () => lastProgress, thresholdMs, onStall: (ms) => stalls.push(ms), checkIntervalMs: 1_000 });
    return { d, stalls, progress: () => (lastProgress = Date.now()) };
  }

  it('does nothing while the loop keeps making progress', () => {
    const { d, stalls, progress } = detector();
    d.start();
    for (let i = 0; i < 60; i++) {
      vi.advanceTimersByTime(5_000);
      progress();
    }
    expect(stalls).toEqual([]);
    expect(d.isHealthy()).toBe(true);
    d.close();
  });

  it('calls onStall once when there was no progress for longer than the threshold', () => {
    const { d, stalls } = detector();
    d.start();
    vi.advanceTimersByTime(10_000);
    expect(stalls).toEqual([]);
    expect(d.isHealthy()).toBe(true);

    vi.advanceTimersByTime(1_000);
    expect(stalls).toEqual([11_000]);
    expect(d.isHealthy()).toBe(false);

    vi.advanceTimersByTime(60_000);
    expect(stalls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stays unhealthy after firing even if progress resumes (the worker is exiting)', () => {
    const { d, stalls, progress } = detector();
    d.start();
    vi.advanceTimersByTime(11_000);
    progress();
    expect(stalls).toHaveLength(1);
    expect(d.isHealthy()).toBe(false);
  });

  it('reports unhealthy from isHealthy() before the next check, for the watchdog', () => {
    const { d } = detector();
    vi.setSystemTime(Date.now() + 10_001);
    expect(d.isHealthy()).toBe(false);
    expect(d.stalledForMs()).toBe(10_001);
  });

  it('stops checking on close, and start/close are idempotent', () => {
    const { d, stalls } = detector();
    d.start();
    d.start();
    expect(vi.getTimerCount()).toBe(1);
    d.close();
    d.close();
    vi.advanceTimersByTime(60_000);
    expect(stalls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks every quarter of the threshold by default, at most every 5 s', () => {
    const stalls: number[] = [];
    const since = Date.now();
    const d = new StallDetector({ lastProgressAt: () => since, thresholdMs: 400, onStall: (ms) => stalls.push(ms) });
    d.start();
    vi.advanceTimersByTime(500);
    expect(stalls).toEqual([500]);

    const long = new StallDetector({ lastProgressAt: () => Date.now() - 10 * 60_000, thresholdMs: 60_000, onStall: (ms) => stalls.push(ms) });
    long.start();
    vi.advanceTimersByTime(5_000);
    expect(stalls).toHaveLength(2);
  });
});
