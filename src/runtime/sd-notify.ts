import { spawn } from 'node:child_process';
import { childEnvironment } from '../config/child-environment.js';
import type { SystemdEnvironment } from '../config/systemd-environment.js';
import { systemClock, type Clock } from '../ports/clock.port.js';
import type { Logger } from './logger.js';

/*
 * How the datagrams are sent: through systemd's own `systemd-notify` binary, one short-lived child
 * per message. Node has no AF_UNIX/SOCK_DGRAM sockets, and the alternatives were worse:
 * - `unix-dgram` (native, nan): builds here, but from source on every install (no prebuilds, so a
 *   C++ toolchain in every image), and it copies the address with strncpy, so abstract sockets
 *   ('@name') cannot be reached at all.
 * - an FFI or napi module (koffi, node-unix-socket): a general native dependency for four strings.
 * `systemd-notify` ships with systemd itself, so it is present wherever systemd sets NOTIFY_SOCKET,
 * speaks every address its systemd speaks (path, '@abstract', vsock: from 253), and since systemd 246 it
 * waits (BARRIER=1) until the manager has read the message, so a sender that exits at once is
 * still attributed to our unit. Costs: a fork per message (~10 ms, every WatchdogSec/2 at most),
 * and the unit needs `NotifyAccess=all` because the sender is our child, not the main process.
 * Where the binary is missing (a container given NOTIFY_SOCKET) we warn once and carry on.
 */

export const NotifyFields = {
  Ready: 'READY=1',
  Stopping: 'STOPPING=1',
  Watchdog: 'WATCHDOG=1',
} as const;

export interface SystemdNotifierOptions {
  /** From `systemdEnvironment()`; no notifySocket makes every call a no-op. */
  readonly environment: SystemdEnvironment;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Compared with WATCHDOG_PID: a watchdog meant for another process is not ours to feed. */
  readonly pid?: number;
  /** The sender; `systemd-notify` on PATH unless a test points elsewhere. */
  readonly command?: string;
  /** A sender still waiting for the manager after this long is killed. */
  readonly sendTimeoutMs?: number;
}

/** Spawn errors that mean "the mechanism is not here" rather than "this message failed". */
const UNAVAILABLE_CODES = new Set(['ENOENT', 'EACCES', 'ENOTDIR']);

/**
 * Tells systemd that we are ready, alive (watchdog) and stopping. Every method is a no-op without
 * NOTIFY_SOCKET, never throws, and returns a promise that settles once the message has been handed
 * over (or given up on), so `await notifier.stopping()` before exiting delivers it.
 */
export class SystemdNotifier {
  /** NOTIFY_SOCKET is set (the sender may still turn out to be unavailable). */
  readonly enabled: boolean;
  /** How often `startWatchdog` pings: half of WATCHDOG_USEC; undefined when there is no watchdog for us. */
  readonly watchdogIntervalMs: number | undefined;
  private readonly command: string;
  private readonly sendTimeoutMs: number;
  /** Messages go out one at a time, in call order (READY before WATCHDOG, STOPPING last). */
  private chain: Promise<void> = Promise.resolve();
  private pendingPing: Promise<void> | undefined;
  private unavailable = false;
  private warnedFailure = false;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private stalled = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SystemdNotifierOptions) {
    const { notifySocket, watchdogUsec, watchdogPid } = options.environment;
    this.enabled = notifySocket !== undefined;
    const forUs = watchdogPid === undefined || watchdogPid === (options.pid ?? process.pid);
    this.watchdogIntervalMs = this.enabled && forUs && watchdogUsec !== undefined ? Math.max(1, Math.floor(watchdogUsec / 2000)) : undefined;
    this.command = options.command ?? 'systemd-notify';
    this.sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
  }

  ready(statusText?: string): Promise<void> {
    return this.send(statusText === undefined ? [NotifyFields.Ready] : [NotifyFields.Ready, statusField(statusText)]);
  }

  stopping(statusText?: string): Promise<void> {
    return this.send(statusText === undefined ? [NotifyFields.Stopping] : [NotifyFields.Stopping, statusField(statusText)]);
  }

  /** Free text shown by `systemctl status`. */
  status(text: string): Promise<void> {
    return this.send([statusField(text)]);
  }

  /** One keep-alive. While one is still queued or being sent, further calls join it. */
  watchdogPing(): Promise<void> {
    if (this.pendingPing !== undefined) return this.pendingPing;
    const ping = this.send([NotifyFields.Watchdog]).finally(() => {
      if (this.pendingPing === ping) this.pendingPing = undefined;
    });
    this.pendingPing = ping;
    return ping;
  }

  /**
   * Pings now and every `watchdogIntervalMs` while `isHealthy()` is true. Once it is false the
   * pings stop (one `watchdog_stalled` warning), so systemd kills and restarts us after WatchdogSec;
   * if it becomes true again first, pings resume. A blocked event loop stops the pings by itself.
   * Returns false (and does nothing) when systemd asked for no watchdog or cannot be reached.
   */
  startWatchdog(isHealthy: () => boolean): boolean {
    const interval = this.watchdogIntervalMs;
    if (interval === undefined || this.unavailable || this.closing !== undefined || this.watchdogTimer !== undefined) return false;
    const tick = (): void => this.watchdogTick(isHealthy);
    this.watchdogTimer = setInterval(tick, interval);
    this.watchdogTimer.unref();
    tick();
    return true;
  }

  stopWatchdog(): void {
    if (this.watchdogTimer !== undefined) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  /** Idempotent: stops the watchdog and waits for the messages already queued. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopWatchdog();
      await this.chain;
    })();
    return this.closing;
  }

  private watchdogTick(isHealthy: () => boolean): void {
    let healthy: boolean;
    try {
      healthy = isHealthy();
    } catch {
      healthy = false;
    }
    if (!healthy) {
      if (!this.stalled) {
        this.stalled = true;
        this.options.logger.warn(
          { event: 'watchdog_stalled', watchdogUsec: this.options.environment.watchdogUsec },
          'the worker stopped making progress: watchdog pings stopped, systemd restarts the service after WatchdogSec',
        );
      }
      return;
    }
    if (this.stalled) {
      this.stalled = false;
      this.options.logger.info({ event: 'watchdog_resumed' });
    }
    void this.watchdogPing();
  }

  private send(fields: readonly string[]): Promise<void> {
    if (!this.enabled || this.unavailable || this.closing !== undefined) return Promise.resolve();
    const sent = this.chain.then(() => this.spawnSender(fields));
    this.chain = sent;
    return sent;
  }

  private spawnSender(fields: readonly string[]): Promise<void> {
    const socket = this.options.environment.notifySocket;
    if (this.unavailable || socket === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let settled = false;
      let stderr = '';
      const settle = (problem?: () => void): void => {
        if (settled) return;
        settled = true;
        problem?.();
        resolve();
      };
      try {
        const child = spawn(this.command, fields, {
          env: childEnvironment({ NOTIFY_SOCKET: socket }),
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: this.sendTimeoutMs,
        });
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          if (stderr.length < 2000) stderr += chunk;
        });
        child.once('error', (err: NodeJS.ErrnoException) => settle(() => this.senderError(err)));
        child.once('close', (code, signal) => {
          settle(code === 0 ? undefined : () => this.senderFailed(fields, code, signal, stderr.trim()));
        });
      } catch (err) {
        settle(() => this.senderError(err as NodeJS.ErrnoException));
      }
    });
  }

  private senderError(err: NodeJS.ErrnoException): void {
    if (err.code !== undefined && UNAVAILABLE_CODES.has(err.code)) {
      this.unavailable = true;
      this.stopWatchdog();
      this.options.logger.warn(
        { event: 'sd_notify_unavailable', command: this.command, notifySocket: this.options.environment.notifySocket, error: err.message },
        `NOTIFY_SOCKET is set but ${this.command} cannot be run: systemd gets no READY/WATCHDOG/STOPPING from this worker ` +
          '(install systemd in the image, or use Type=exec without WatchdogSec=)',
      );
      return;
    }
    this.warnFailure({ error: err.message, code: err.code });
  }

  private senderFailed(fields: readonly string[], exitCode: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    this.warnFailure({ fields, exitCode, signal, stderr });
  }

  /** Once: the first failure says what is wrong; repeating it on every ping would flood the log. */
  private warnFailure(details: Record<string, unknown>): void {
    if (this.warnedFailure) return;
    this.warnedFailure = true;
    this.options.logger.warn(
      { event: 'sd_notify_failed', command: this.command, notifySocket: this.options.environment.notifySocket, ...details },
      'a systemd notification could not be delivered (is NOTIFY_SOCKET reachable? the unit needs NotifyAccess=all); further failures are not logged',
    );
  }
}

/** sd_notify fields are newline-separated: a newline in the text would start a field of its own. */
function statusField(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, ' ')}`;
}

export interface StallDetectorOptions {
  /** When the worker last made progress (or was legitimately idle), in clock milliseconds. */
  readonly lastProgressAt: () => number;
  /** No progress for longer than this is a stall. */
  readonly thresholdMs: number;
  /** Called once, with how long it has been; should log and make the process exit non-zero. */
  readonly onStall: (stalledForMs: number) => void;
  readonly clock?: Clock;
  /** How often to look; defaults to a quarter of the threshold, at most every 5 s. */
  readonly checkIntervalMs?: number;
}

/**
 * Notices a worker whose promises stopped settling (a hung call, a lost wake-up) without systemd:
 * it runs on the event loop it watches, so a loop that is blocked outright is systemd's watchdog's
 * job (pings stop by themselves). Give it a threshold below WatchdogSec so that the worker exits
 * with a log line saying why before systemd has to kill it.
 */
export class StallDetector {
  private readonly clock: Clock;
  private readonly checkIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(private readonly options: StallDetectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.checkIntervalMs = options.checkIntervalMs ?? Math.max(1, Math.min(5_000, Math.floor(options.thresholdMs / 4)));
  }

  /** Milliseconds since the last progress. */
  stalledForMs(): number {
    return this.clock.now() - this.options.lastProgressAt();
  }

  /** The predicate for `SystemdNotifier.startWatchdog`. */
  isHealthy(): boolean {
    return !this.fired && this.stalledForMs() <= this.options.thresholdMs;
  }

  start(): void {
    if (this.timer !== undefined || this.fired) return;
    this.timer = setInterval(() => this.check(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** Idempotent. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const stalledFor = this.stalledForMs();
    if (this.fired || stalledFor <= this.options.thresholdMs) return;
    this.fired = true;
    this.close();
    this.options.onStall(stalledFor);
  }
}
