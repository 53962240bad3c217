import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { provisionEc2MetadataMock, startEc2MetadataMock, type Ec2MetadataMock } from '../../scripts/test-servers/ec2-metadata-mock.mjs';
import { InstanceNoticeWatcher, type InstanceNotice, type RebalanceRecommendation } from '../../src/runtime/instance-notices.js';
import type { Logger } from '../../src/runtime/logger.js';

/**
 * The watcher against AWS's own IMDS simulator (amazon-ec2-metadata-mock, built from the Go module
 * proxy by scripts/test-servers/ec2-metadata-mock.mjs), IMDSv2 only, on loopback.
 */

const POLL_MS = 200;
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

interface Entry {
  readonly level: 'info' | 'warn' | 'debug';
  readonly event: unknown;
  readonly [key: string]: unknown;
}

function recordingLogger(): Pick<Logger, 'info' | 'warn' | 'debug'> & { entries: Entry[]; events(name: string): Entry[] } {
  const entries: Entry[] = [];
  const at = (level: Entry['level']) => (obj: object) => void entries.push({ level, event: undefined, ...obj });
  return { entries, info: at('info'), warn: at('warn'), debug: at('debug'), events: (name) => entries.filter((e) => e.event === name) };
}

interface Call {
  readonly method: string;
  readonly path: string;
  readonly token: string | null;
  status?: number;
}

/** The real fetch, with every request's method, path, token header and answer's status written down. */
function countingFetch(): { fetch: typeof globalThis.fetch; calls: Call[] } {
  const calls: Call[] = [];
  const counted: typeof globalThis.fetch = async (input, init) => {
    const call: Call = { method: init?.method ?? 'GET', path: new URL(String(input)).pathname, token: new Headers(init?.headers).get(TOKEN_HEADER) };
    calls.push(call);
    const response = await fetch(input, init);
    call.status = response.status;
    return response;
  };
  return { fetch: counted, calls };
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const gets = (calls: Call[], suffix: string) => calls.filter((c) => c.method === 'GET' && c.path.endsWith(suffix)).length;

describe('InstanceNoticeWatcher against amazon-ec2-metadata-mock (IMDSv2)', () => {
  let mock: Ec2MetadataMock | undefined;
  let watcher: InstanceNoticeWatcher | undefined;

  // A cold cache builds the mock with Go first (about a minute; `servers.mjs provision` does it ahead).
  beforeAll(() => provisionEc2MetadataMock(), 300_000);

  afterEach(async () => {
    await watcher?.stop();
    await mock?.stop();
    watcher = undefined;
    mock = undefined;
  }, 60_000);

  it('detect() says false at once where nothing listens', async () => {
    const port = await closedPort();
    const logger = recordingLogger();
    const began = Date.now();
    expect(await new InstanceNoticeWatcher({ endpoint: `http://127.0.0.1:${port}`, logger }).detect()).toBe(false);
    expect(Date.now() - began).toBeLessThan(2000);
    expect(logger.events('imds_unavailable')).toEqual([expect.objectContaining({ level: 'info', reason: 'ECONNREFUSED' })]);
  });

  it('detect() gives up after about a second where a connection is accepted and never answered', async () => {
    // Off EC2 (or in a container past the token's hop limit) the token PUT may simply never return.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const logger = recordingLogger();
      const began = Date.now();
      const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      expect(await new InstanceNoticeWatcher({ endpoint, logger, detectTimeoutMs: 1000 }).detect()).toBe(false);
      expect(Date.now() - began).toBeGreaterThanOrEqual(900);
      expect(Date.now() - began).toBeLessThan(2000);
      expect(logger.events('imds_unavailable')).toEqual([expect.objectContaining({ reason: 'TimeoutError' })]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps polling through failures: one warning when they begin, the rest at debug, nothing thrown', async () => {
    const port = await closedPort();
    const logger = recordingLogger();
    const notices: InstanceNotice[] = [];
    watcher = new InstanceNoticeWatcher({ endpoint: `http://127.0.0.1:${port}`, pollIntervalMs: POLL_MS, logger });
    watcher.start((notice) => notices.push(notice));
    await until(() => logger.events('imds_poll_failed').length >= 3, 'three failed polls');
    const failed = logger.events('imds_poll_failed');
    expect(failed.map((e) => e.level)).toEqual(['warn', ...failed.slice(1).map(() => 'debug')]);
    expect(failed[0]).toMatchObject({ failedPolls: 1, errors: ['token: ECONNREFUSED'] });
    expect(notices).toEqual([]);
  });

  it('reports one Spot interruption with its action and time, through IMDSv2 session tokens', async () => {
    const time = new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    mock = await startEc2MetadataMock({ args: ['spot', '-a', 'terminate', '-t', time] });

    // IMDSv2 only: without a session token the mock refuses, so the watcher's token path is what works.
    const bare = await fetch(`${mock.url}/latest/meta-data/spot/instance-action`, { signal: AbortSignal.timeout(5000) });
    expect(bare.status).toBe(401);
    await bare.arrayBuffer();

    const logger = recordingLogger();
    const { fetch: counted, calls } = countingFetch();
    watcher = new InstanceNoticeWatcher({ endpoint: mock.url, pollIntervalMs: POLL_MS, logger, fetch: counted });
    expect(await watcher.detect()).toBe(true);
    const notices: InstanceNotice[] = [];
    watcher.start((notice) => notices.push(notice));

    await until(() => notices.length > 0, 'the spot notice');
    const pollsAtNotice = gets(calls, '/target-lifecycle-state');
    await until(() => gets(calls, '/target-lifecycle-state') >= pollsAtNotice + 3, 'three more polls');

    expect(notices).toEqual([{ kind: 'spot-interruption', action: 'terminate', time, detail: expect.stringContaining(time) }]);
    expect(watcher.spotInterruptions).toBe(1);
    expect(logger.events('spot_interruption')).toEqual([expect.objectContaining({ level: 'warn', action: 'terminate', time })]);
    // One token for the whole run (TTL 6 h), sent with every metadata request.
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'GET').every((c) => c.token !== null && c.token.length > 0)).toBe(true);
    // The spot mock also raises a rebalance recommendation at once: counted once however often it is seen.
    expect(watcher.rebalanceRecommendations).toBe(1);
  });

  it('reports one Auto Scaling termination when the target lifecycle state turns Terminated', async () => {
    mock = await startEc2MetadataMock({ args: ['asglifecycle', '--asg-termination-delay-sec', '3'] });
    const logger = recordingLogger();
    const { fetch: counted, calls } = countingFetch();
    watcher = new InstanceNoticeWatcher({ endpoint: mock.url, pollIntervalMs: POLL_MS, logger, fetch: counted });
    const notices: InstanceNotice[] = [];
    watcher.start((notice) => notices.push(notice));

    await until(() => notices.length > 0, 'the ASG notice');
    const pollsAtNotice = gets(calls, '/spot/instance-action');
    await until(() => gets(calls, '/spot/instance-action') >= pollsAtNotice + 3, 'three more polls');

    expect(notices).toEqual([{ kind: 'asg-termination', detail: 'target-lifecycle-state Terminated' }]);
    expect(watcher.asgTerminations).toBe(1);
    // InService first (no notice), then Terminated.
    expect(logger.events('asg_target_lifecycle_state').map((e) => e['state'])).toEqual(['InService', 'Terminated']);
    expect(logger.events('asg_termination')).toEqual([expect.objectContaining({ level: 'warn', state: 'Terminated' })]);
    expect(watcher.spotInterruptions).toBe(0);
    expect(logger.events('imds_poll_failed')).toEqual([]); // 404 on the spot and rebalance paths is "nothing"
  });

  it('logs and counts a rebalance recommendation once, and it is not a termination notice', async () => {
    // Spot interruption an hour away (404 until then); the rebalance recommendation is there at once.
    const noticeTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    mock = await startEc2MetadataMock({ args: ['spot', '--mock-delay-sec', '3600', '--rebalance-delay-sec', '0', '-r', noticeTime] });
    const logger = recordingLogger();
    const { fetch: counted, calls } = countingFetch();
    const recommendations: RebalanceRecommendation[] = [];
    watcher = new InstanceNoticeWatcher({
      endpoint: mock.url,
      pollIntervalMs: POLL_MS,
      logger,
      fetch: counted,
      onRebalance: (r) => recommendations.push(r),
    });
    const notices: InstanceNotice[] = [];
    watcher.start((notice) => notices.push(notice));

    await until(() => gets(calls, '/spot/instance-action') >= 4, 'four polls');

    expect(notices).toEqual([]);
    expect(watcher.rebalanceRecommendations).toBe(1);
    expect(recommendations).toEqual([{ noticeTime }]);
    expect(logger.events('rebalance_recommendation')).toEqual([expect.objectContaining({ level: 'info', noticeTime })]);
    expect(logger.events('imds_poll_failed')).toEqual([]);
  });

  it('renews the session token when the service rejects it (401), and before it runs out', async () => {
    mock = await startEc2MetadataMock({ args: ['spot', '--mock-delay-sec', '3600', '--rebalance-delay-sec', '3600'] });
    const { fetch: counted, calls } = countingFetch();
    const puts = () => calls.filter((c) => c.method === 'PUT').length;

    // A clock that never moves: the watcher believes its 1 s token is fresh, the mock expires it.
    const logger = recordingLogger();
    watcher = new InstanceNoticeWatcher({
      endpoint: mock.url,
      pollIntervalMs: POLL_MS,
      tokenTtlSeconds: 1,
      logger,
      fetch: counted,
      clock: { now: () => 0 },
    });
    watcher.start(() => undefined);
    await until(() => puts() >= 2 && calls.at(-1)?.status !== undefined && calls.at(-1)?.method === 'GET', 'a retry with a second token', 10_000);
    await watcher.stop();
    const renewal = calls.findIndex((c, i) => i > 0 && c.method === 'PUT');
    const [refused, put, retried] = calls.slice(renewal - 1, renewal + 2);
    expect(refused).toMatchObject({ method: 'GET', status: 401, token: calls[1]?.token });
    expect(put).toMatchObject({ method: 'PUT', status: 200 });
    expect(retried).toMatchObject({ method: 'GET', path: refused?.path, status: 404 });
    expect(retried?.token).not.toBe(refused?.token);
    expect(logger.events('imds_poll_failed')).toEqual([]);

    // With the real clock a 2 s token is renewed with a quarter of its life left, before any 401.
    calls.length = 0;
    const realClockLogger = recordingLogger();
    watcher = new InstanceNoticeWatcher({ endpoint: mock.url, pollIntervalMs: POLL_MS, tokenTtlSeconds: 2, logger: realClockLogger, fetch: counted });
    watcher.start(() => undefined);
    await until(() => puts() >= 3, 'two renewals', 10_000);
    expect(calls.filter((c) => c.status === 401)).toEqual([]);
    expect(realClockLogger.events('imds_poll_failed')).toEqual([]);
  });
});
