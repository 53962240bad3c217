import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const script = path.join(import.meta.dirname, 'notify-socket.py');

export interface Notification {
  /** The datagram's newline-separated fields, e.g. ['READY=1', 'STATUS=…']. */
  readonly fields: readonly string[];
  /** Receipt time, milliseconds on the receiver's monotonic clock. */
  readonly at: number;
}

/**
 * A real NOTIFY_SOCKET (AF_UNIX datagrams) bound by a small Python process, since Node cannot bind
 * one. Records every notification; systemd-notify's BARRIER=1 datagrams are left out.
 */
export class NotifySocket {
  readonly received: Notification[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;

  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
  ) {}

  /** `address` is a filesystem path or '@name' (abstract). Resolves once the socket is bound. */
  static listen(address: string): Promise<NotifySocket> {
    const child = spawn('python3', [script, address], { stdio: ['pipe', 'pipe', 'pipe'] });
    const socket = new NotifySocket(address, child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => {
        socket.exited = true;
        reject(new Error(`notify-socket.py exited (${code}) before listening: ${stderr}`));
      });
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { listening?: string; data?: string; t?: number };
        if (event.listening !== undefined) resolve(socket);
        else if (event.data !== undefined && event.t !== undefined && event.data !== 'BARRIER=1') {
          socket.received.push({ fields: event.data.split('\n'), at: event.t });
          for (const wake of socket.waiters) wake();
        }
      });
    });
  }

  /** Notifications that carry `field` (e.g. 'WATCHDOG=1'). */
  with(field: string): Notification[] {
    return this.received.filter((n) => n.fields.includes(field));
  }

  /** Resolves when `done()` holds, re-checked on every notification; rejects after `timeoutMs`. */
  waitFor(done: () => boolean, timeoutMs = 5_000, what = 'the expected notifications'): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.received.map((n) => n.fields))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
    });
  }

  /** Closing stdin makes the helper exit. */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end();
    await exited;
  }
}
