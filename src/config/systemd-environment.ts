/**
 * What systemd tells a service through its environment (sd_notify(3), sd_watchdog_enabled(3)).
 * These are set by the service manager, never by a user, so a malformed value is treated as absent
 * (as libsystemd does) rather than as a configuration error that would stop the worker.
 */
export interface SystemdEnvironment {
  /**
   * NOTIFY_SOCKET: a filesystem path, an abstract socket name starting with '@' (or, from systemd
   * 253 on, `vsock:CID:PORT`). Passed through as given: the sender decides what it supports.
   */
  readonly notifySocket?: string;
  /** WATCHDOG_USEC: the unit's WatchdogSec= in microseconds (> 0). */
  readonly watchdogUsec?: number;
  /** WATCHDOG_PID: the process the watchdog is meant for; absent means "the main process". */
  readonly watchdogPid?: number;
}

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function systemdEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): SystemdEnvironment {
  const socket = env['NOTIFY_SOCKET'];
  const notifySocket = socket === undefined || socket.trim() === '' ? undefined : socket;
  const watchdogUsec = positiveInteger(env['WATCHDOG_USEC']);
  const watchdogPid = positiveInteger(env['WATCHDOG_PID']);
  return {
    ...(notifySocket !== undefined ? { notifySocket } : {}),
    ...(watchdogUsec !== undefined ? { watchdogUsec } : {}),
    ...(watchdogPid !== undefined ? { watchdogPid } : {}),
  };
}
