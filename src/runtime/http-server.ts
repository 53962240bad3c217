import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebAuth } from '../web/auth.js';
import type { WebApp } from '../web/web-app.js';
import type { Logger } from './logger.js';
import type { WorkerMetrics } from './metrics.js';

/*
 * The worker's operational endpoints, on node:http (three routes do not need a framework):
 *   GET /healthz  200 {"status":"ok"} while the process can answer at all (liveness)
 *   GET /readyz   200 or 503 from readiness(), with its checks (readiness: load balancers, systemd, ASG)
 *   GET /metrics  Prometheus text from the worker's own registry
 * HEAD works on each; another method on these paths is 405 (with Allow), any other path 404.
 * Bound to 127.0.0.1 unless told otherwise. With a token (HTTP_TOKEN) /metrics needs it; /healthz and
 * /readyz stay open for load balancers. The web app (`serve`, `run --http`) adds its own routes.
 */

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, unknown>;
}

export interface HttpServerOptions {
  /** Default 127.0.0.1 (loopback only); '0.0.0.0' or '::' to expose. */
  readonly host?: string;
  /** 0 = an ephemeral port chosen by the OS. */
  readonly port?: number;
  readonly metrics: Pick<WorkerMetrics, 'scrape' | 'contentType'>;
  readonly readiness: () => Readiness | Promise<Readiness>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** The dashboard and search pages with their API (src/web). */
  readonly web?: WebApp;
  /** When it requires a token, /metrics does too. */
  readonly auth?: Pick<WebAuth, 'required' | 'check'>;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:9400 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

const ALLOWED = 'GET, HEAD';

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const { logger } = options;
  const server = http.createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      // handle() answers its own errors; this is the last guard against a crash.
      logger.warn({ event: 'http_request_failed', error: message(error) });
      if (!res.headersSent) send(res, req, 500, { status: 'error' });
      else res.destroy();
    });
  });
  // Keep slow or idle clients from holding sockets (the defaults are minutes).
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.warn({ event: 'http_server_error', error: error.message }));

  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ event: 'http_listening', url });

  let closing: Promise<void> | undefined;
  return {
    url,
    host: address.address,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: HttpServerOptions): Promise<void> {
  const url = urlOf(req.url);
  if (url === undefined) return send(res, req, 400, { status: 'bad_request' });
  const path = url.pathname;
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
    if (options.web !== undefined && (await options.web.handle(req, res, url))) return;
    return send(res, req, 404, { status: 'not_found' });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, req, 405, { status: 'method_not_allowed' }, { allow: ALLOWED });

  if (path === '/healthz') return send(res, req, 200, { status: 'ok' });

  if (path === '/readyz') {
    let readiness: Readiness;
    try {
      readiness = await options.readiness();
    } catch (error) {
      return send(res, req, 503, { status: 'not_ready', checks: { readiness: { error: message(error) } } });
    }
    return send(res, req, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not_ready', checks: readiness.checks });
  }

  if (options.auth?.required === true && options.auth.check(req) !== 'ok') {
    return send(res, req, 401, { status: 'unauthenticated' }, { 'www-authenticate': 'Bearer' });
  }
  let text: string;
  try {
    text = await options.metrics.scrape();
  } catch (error) {
    options.logger.warn({ event: 'metrics_scrape_failed', error: message(error) });
    return send(res, req, 500, { status: 'error' });
  }
  return sendText(res, req, 200, text, options.metrics.contentType);
}

/** A request target as a URL; undefined when it is not a usable origin-form path. */
function urlOf(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

function send(res: http.ServerResponse, req: http.IncomingMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
  let json: string;
  try {
    json = JSON.stringify(body);
  } catch {
    json = JSON.stringify({ status: 'error', error: 'unserialisable response' });
  }
  sendText(res, req, status, json, 'application/json; charset=utf-8', headers);
}

function sendText(res: http.ServerResponse, req: http.IncomingMessage, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, 'cache-control': 'no-store', ...headers });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
