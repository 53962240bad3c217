import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureToxiproxy, startToxiproxy, type Toxiproxy } from '../../scripts/test-servers/toxiproxy.mjs';

/**
 * The latency proxy the benchmarks put in front of loopback servers: Shopify's toxiproxy, built from
 * the Go module proxy by scripts/test-servers/toxiproxy.mjs, here in front of a tiny node:http
 * server on 127.0.0.1, measured over one keep-alive connection.
 */

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('toxiproxy (scripts/test-servers/toxiproxy.mjs)', () => {
  let upstream: http.Server;
  let upstreamAddress: string;
  let toxi: Toxiproxy | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    await ensureToxiproxy();
    upstream = http.createServer((_req, res) => {
      res.setHeader('content-length', '2');
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamAddress = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  }, 300_000);

  afterAll(async () => {
    agent.destroy();
    await toxi?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  /** Median round trip (ms) of `count` sequential GETs on the keep-alive connection, after one warm-up. */
  async function medianGetMs(base: string, count = 7): Promise<number> {
    const once = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const began = performance.now();
        http
          .get(`${base}/`, { agent }, (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - began) : reject(new Error(`HTTP ${res.statusCode}`))));
          })
          .on('error', reject);
      });
    await once();
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(await once());
    return median(times);
  }

  it('adds the latency to each round trip, removes it again, and stop() leaves no process', async () => {
    toxi = await startToxiproxy();
    expect(toxi.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const direct = await toxi.proxy('plain', upstreamAddress);
    expect(direct).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const baseline = await medianGetMs(direct);

    const slow = await toxi.proxy('slow', upstreamAddress, { latencyMs: 100 });
    expect(slow).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(slow).not.toBe(direct);
    const delayed = await medianGetMs(slow);
    expect(delayed - baseline).toBeGreaterThanOrEqual(90);
    expect(delayed - baseline).toBeLessThan(400);

    // On the open keep-alive connection: the toxic goes away for it too.
    await toxi.setLatency('slow', 0);
    expect(await medianGetMs(slow)).toBeLessThan(50);

    // Replacing a proxy keeps the name, gives a new port.
    const replaced = await toxi.proxy('slow', upstreamAddress);
    expect(replaced).not.toBe(slow);

    const { pid } = toxi;
    expect(processGone(pid)).toBe(false);
    agent.destroy();
    await toxi.stop();
    // stopGroup waits until no member is running; Node reaps the zombie a moment later.
    const deadline = Date.now() + 2000;
    while (!processGone(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(processGone(pid)).toBe(true);
  }, 20_000);
});
