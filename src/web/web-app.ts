import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError, FatalError, ErrorCodes } from '../domain/errors.js';
import type { SearchIndex } from '../ports/search-index.port.js';
import type { Logger } from '../runtime/logger.js';
import { BadRequest, documentApi, searchApi } from './api.js';
import { WebAuth } from './auth.js';
import type { DashboardModel } from './dashboard-model.js';
import { loginPage } from './login-page.js';

/**
 * The web app on the worker's HTTP server: the dashboard (`/`), search (`/search`), a document
 * (`/document`), their JSON API (`/api/*`), static assets built by `npm run build` into
 * dist/public, and the login form when a token is set. Every response carries a strict CSP (no
 * inline script, nothing from elsewhere), and the pages render file-derived text as text only.
 */

export interface WebAppOptions {
  readonly index: Pick<SearchIndex, 'search' | 'get'>;
  readonly model: Pick<DashboardModel, 'dashboard' | 'recheck'>;
  readonly auth: WebAuth;
  readonly logger: Pick<Logger, 'warn'>;
  /** Default: dist/public next to the compiled code. */
  readonly publicDir?: string;
}

export interface WebApp {
  /** Answers the request if the path is the web app's; false when it is not (→ 404 elsewhere). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean>;
}

const PAGES: Readonly<Record<string, string>> = { '/': 'index.html', '/search': 'search.html', '/document': 'document.html' };
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const MAX_FORM_BYTES = 4_096;
const FAILED_LOGIN_DELAY_MS = 500;

export function defaultPublicDir(): string {
  return fileURLToPath(new URL('../public/', import.meta.url));
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** Loads the built pages and assets once; a missing build is a start-up error naming the fix. */
export function createWebApp(options: WebAppOptions): WebApp {
  const dir = options.publicDir ?? defaultPublicDir();
  const files = loadAssets(dir);
  const { auth } = options;

  return {
    async handle(req, res, url) {
      const p = url.pathname;
      const known = p in PAGES || p.startsWith('/assets/') || p.startsWith('/api/') || p === '/login' || p === '/logout' || p === '/favicon.ico';
      if (!known) return false;
      if (p === '/favicon.ico') return end(res, 204);
      if (p === '/login') return login(req, res, url, auth);
      if (p === '/logout') {
        res.writeHead(303, { ...SECURITY_HEADERS, location: auth.required ? '/login' : '/', 'set-cookie': WebAuth.clearCookie(), 'cache-control': 'no-store' });
        res.end();
        return true;
      }
      // The pages' code and styles hold no data: the login page needs them before a sign-in.
      const decision = p.startsWith('/assets/') ? 'ok' : auth.check(req);
      if (decision === 'bad_host') return json(res, req, 403, { error: { code: 'bad_host', message: 'the Host header is not a loopback name: open the app as http://127.0.0.1:<port>/' } });
      if (decision === 'unauthenticated') {
        if (p.startsWith('/api/')) return json(res, req, 401, { error: { code: 'unauthenticated', message: 'sign in or send Authorization: Bearer <token>' } }, { 'www-authenticate': 'Bearer' });
        const next = p + url.search;
        res.writeHead(303, { ...SECURITY_HEADERS, location: `/login?next=${encodeURIComponent(next)}`, 'cache-control': 'no-store' });
        res.end();
        return true;
      }
      if (p.startsWith('/api/')) return api(req, res, url, options);
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, req, 405, { error: { code: 'method_not_allowed', message: 'GET or HEAD' } }, { allow: 'GET, HEAD' });
      const asset = files.get(PAGES[p] ?? p.slice(1));
      if (asset === undefined) return json(res, req, 404, { error: { code: 'not_found', message: 'no such file' } });
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return true;
    },
  };
}

async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, options: WebAppOptions): Promise<boolean> {
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  try {
    switch (route) {
      case 'GET /api/dashboard':
        return json(res, req, 200, await options.model.dashboard());
      case 'GET /api/search':
        return json(res, req, 200, await searchApi(options.index, url.searchParams));
      case 'GET /api/document': {
        const doc = await documentApi(options.index, url.searchParams);
        return doc === undefined ? json(res, req, 404, { error: { code: 'not_found', message: 'no document with this id' } }) : json(res, req, 200, doc);
      }
      case 'POST /api/preflight':
        // A custom header: a cross-site form cannot send it, so this cannot be triggered by CSRF.
        if (req.headers['x-requested-with'] !== 'filesearch') return json(res, req, 403, { error: { code: 'csrf', message: 'send x-requested-with: filesearch' } });
        return json(res, req, 200, await options.model.recheck());
      default:
        return json(res, req, 404, { error: { code: 'not_found', message: `no API route ${route}` } });
    }
  } catch (err) {
    if (err instanceof BadRequest) return json(res, req, 400, { error: { code: err.code, message: err.message } });
    const { code, message } = describeError(err);
    options.logger.warn({ event: 'web_api_failed', route, code, error: message });
    return json(res, req, 503, { error: { code, message } });
  }
}

async function login(req: http.IncomingMessage, res: http.ServerResponse, url: URL, auth: WebAuth): Promise<boolean> {
  const next = safeNext(url.searchParams.get('next'));
  if (!auth.required) {
    res.writeHead(303, { ...SECURITY_HEADERS, location: next });
    res.end();
    return true;
  }
  if (req.method === 'POST') {
    let body: string;
    try {
      body = await readBody(req, MAX_FORM_BYTES);
    } catch {
      return json(res, req, 413, { error: { code: 'too_large', message: `the sign-in form is at most ${MAX_FORM_BYTES} bytes` } }, { connection: 'close' });
    }
    const form = new URLSearchParams(body);
    const target = safeNext(form.get('next'));
    if (auth.matches(form.get('token') ?? '')) {
      res.writeHead(303, { ...SECURITY_HEADERS, location: target, 'set-cookie': auth.sessionCookie(), 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, FAILED_LOGIN_DELAY_MS));
    return html(res, req, 401, loginPage({ next: target, failed: true }));
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, req, 405, { error: { code: 'method_not_allowed', message: 'GET or POST' } }, { allow: 'GET, HEAD, POST' });
  return html(res, req, 200, loginPage({ next, failed: false }));
}

/** Only a path on this site: `//evil.example` and `https://…` become `/`. */
function safeNext(raw: string | null): string {
  if (raw === null || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  return raw;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Read and drop the rest, so that the 413 reaches the client.
        req.removeAllListeners('data');
        req.resume();
        reject(new BadRequest('form too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function loadAssets(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  const add = (name: string, file: string): void => {
    const type = TYPES[path.extname(file)];
    if (type !== undefined) files.set(name, { body: fs.readFileSync(file), type });
  };
  try {
    for (const page of Object.values(PAGES)) add(page, path.join(dir, page));
    for (const name of fs.readdirSync(path.join(dir, 'assets'))) add(`assets/${name}`, path.join(dir, 'assets', name));
  } catch (err) {
    throw new FatalError(ErrorCodes.DependencyMissing, `the web app is not built (${describeError(err).message}). Fix: run \`npm run build\` in the project folder.`);
  }
  for (const page of Object.values(PAGES)) {
    if (!files.has(page)) throw new FatalError(ErrorCodes.DependencyMissing, `the web app is not built (${page} missing in ${dir}). Fix: run \`npm run build\`.`);
  }
  return files;
}

function end(res: http.ServerResponse, status: number): boolean {
  res.writeHead(status, SECURITY_HEADERS);
  res.end();
  return true;
}

function json(res: http.ServerResponse, req: http.IncomingMessage, status: number, body: unknown, headers: Record<string, string> = {}): boolean {
  const buf = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': buf.length, 'cache-control': 'no-store', ...headers });
  res.end(req.method === 'HEAD' ? undefined : buf);
  return true;
}

function html(res: http.ServerResponse, req: http.IncomingMessage, status: number, page: string): boolean {
  const buf = Buffer.from(page, 'utf8');
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': buf.length, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : buf);
  return true;
}
