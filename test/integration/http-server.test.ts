import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type Readiness, type RunningHttpServer } from '../../src/runtime/http-server.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { WorkerMetrics } from '../../src/runtime/metrics.js';

const servers: RunningHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(readiness: () => Readiness | Promise<Readiness> = () => ({ ready: true, checks: {} }), metrics = new WorkerMetrics()) {
  const server = await startHttpServer({ port: 0, metrics, readiness, logger: silentLogger });
  servers.push(server);
  return { server, metrics };
}

/** One raw HTTP exchange, for requests fetch() will not send (bad request lines). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.write(request);
  });
}

function scrapeValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('worker HTTP endpoints (real server on 127.0.0.1)', () => {
  it('binds to 127.0.0.1 on an ephemeral port by default: another loopback address is refused', async () => {
    const { server } = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // A wildcard bind would answer on 127.0.0.2 as well (all of 127/8 is loopback on Linux).
    await expect(fetch(`http://127.0.0.2:${server.port}/healthz`)).rejects.toThrow();
  });

  it('GET /healthz answers 200 {"status":"ok"} as JSON, even while not ready', async () => {
    const { server } = await start(() => ({ ready: false, checks: {} }));
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz flips between 200 and 503 with readiness(), carrying the checks', async () => {
    let state: Readiness = { ready: false, checks: { queue: 'ok', index: { state: 'open', retryInMs: 2000 } } };
    const { server } = await start(() => state);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not_ready', checks: { queue: 'ok', index: { state: 'open', retryInMs: 2000 } } });
    state = { ready: true, checks: { queue: 'ok', index: 'closed' } };
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { queue: 'ok', index: 'closed' } });
    state = { ready: false, checks: { draining: true } };
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  });

  it('GET /readyz is 503 (and the server lives on) when readiness() throws or rejects', async () => {
    let mode: 'throw' | 'reject' = 'throw';
    const { server } = await start(() => {
      if (mode === 'throw') throw new Error('state unreadable');
      return Promise.reject(new Error('probe failed'));
    });
    const thrown = await fetch(`${server.url}/readyz`);
    expect(thrown.status).toBe(503);
    expect(await thrown.json()).toEqual({ status: 'not_ready', checks: { readiness: { error: 'state unreadable' } } });
    mode = 'reject';
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('GET /metrics serves the Prometheus text, and the counters move with the metrics calls', async () => {
    const { server, metrics } = await start();
    const first = await fetch(`${server.url}/metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const before = await first.text();
    expect(before).toContain('# HELP filesearch_files_processed_total FilesProcessed: ');
    expect(before).toContain('# TYPE filesearch_processing_time_seconds histogram');
    expect(before).toMatch(/^filesearch_process_cpu_user_seconds_total \d/m);
    expect(scrapeValue(before, 'filesearch_health_check_status')).toBe(0);
    expect(scrapeValue(before, 'filesearch_processing_time_seconds_count')).toBe(0);

    metrics.processed({ outcome: 'indexed', type: 'application/pdf', seconds: 0.8, stages: { downloadMs: 12, extractMs: 700, indexMs: 40 } });
    metrics.processed({ outcome: 'indexed', type: 'application/pdf', seconds: 0.2 });
    metrics.failed({ code: 'encrypted_file', errorClass: 'permanent', stage: 'extract' });
    metrics.deadLettered('encrypted_file');
    metrics.requeued('index_unavailable');
    metrics.spotInterruption();
    metrics.workerRestarted();
    metrics.setHealthy(true);

    const after = await (await fetch(`${server.url}/metrics?ignored=query`)).text();
    expect(scrapeValue(after, 'filesearch_files_processed_total{outcome="indexed",type="application/pdf"}')).toBe(2);
    expect(scrapeValue(after, 'filesearch_processing_time_seconds_count')).toBe(2);
    expect(scrapeValue(after, 'filesearch_stage_time_seconds_count{stage="extract"}')).toBe(1);
    expect(scrapeValue(after, 'filesearch_processing_errors_total{code="encrypted_file",error_class="permanent",stage="extract"}')).toBe(1);
    expect(scrapeValue(after, 'filesearch_dlq_messages_sent_total{reason="encrypted_file"}')).toBe(1);
    expect(scrapeValue(after, 'filesearch_messages_requeued_total{reason="index_unavailable"}')).toBe(1);
    expect(scrapeValue(after, 'filesearch_spot_interruption_total')).toBe(1);
    expect(scrapeValue(after, 'filesearch_worker_restart_total')).toBe(1);
    expect(scrapeValue(after, 'filesearch_health_check_status')).toBe(1);
    expect(scrapeValue(after, 'filesearch_memory_utilization_percent')).toBeGreaterThan(0);
  });

  it('HEAD gives the headers without a body; other methods 405; unknown paths 404', async () => {
    const { server } = await start();
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      expect(Number(head.headers.get('content-length')), path).toBeGreaterThan(0);
      expect(await head.text(), path).toBe('');
    }
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    for (const path of ['/', '/metrics/', '/healthz/extra', '/favicon.ico']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ status: 'not_found' });
    }
  });

  it('survives malformed requests and keeps answering', async () => {
    const { server } = await start();
    expect(await raw(server.port, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(server.port, 'GET http://evil.example/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('close() is idempotent and stops listening', async () => {
    const { server } = await start();
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('worker HTTP endpoints with a token and the web app', () => {
  it('requires the token for /metrics but not for /healthz and /readyz; hands other paths to the web app', async () => {
    const { WebAuth } = await import('../../src/web/auth.js');
    const seen: string[] = [];
    const server = await startHttpServer({
      port: 0,
      metrics: new WorkerMetrics({ defaultMetrics: false }),
      readiness: () => ({ ready: true, checks: {} }),
      logger: silentLogger,
      auth: new WebAuth('token-0123456789abcdef'),
      web: {
        async handle(_req, res, url) {
          seen.push(url.pathname + url.search);
          if (url.pathname !== '/app') return false;
          res.writeHead(200).end('app');
          return true;
        },
      },
    });
    servers.push(server);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer token-0123456789abcdef' } })).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/app?x=1`)).text()).toBe('app');
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect(seen).toEqual(['/app?x=1', '/other']);
  });
});
