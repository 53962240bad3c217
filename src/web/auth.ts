import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import { ConfigError } from '../domain/errors.js';

/**
 * Who may use the web app. On a loopback address without a token, anyone on this machine (the
 * Host header must name loopback too, so a web page cannot reach the app by DNS rebinding). With
 * a token (HTTP_TOKEN, required off loopback): `Authorization: Bearer <token>`, or the session
 * cookie the login form sets (HttpOnly, SameSite=Strict, derived from the token so that changing
 * the token signs everyone out). /healthz and /readyz stay open for load balancers.
 */

export const SESSION_COOKIE = 'filesearch_session';
const SESSION_MAX_AGE_SECONDS = 12 * 3600;

export type AuthDecision = 'ok' | 'unauthenticated' | 'bad_host';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Refuses to serve the web app off loopback without a token: the config error stops the start. */
export function assertWebAppBinding(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopbackHost(host)) {
    throw new ConfigError([
      `HTTP_HOST is ${host}, not a loopback address, and HTTP_TOKEN is not set: the web app would be open to the network. ` +
        'Fix: set HTTP_TOKEN (16+ characters, e.g. `openssl rand -hex 24`) or bind to 127.0.0.1.',
    ]);
  }
}

export class WebAuth {
  private readonly tokenDigest: Buffer | undefined;
  private readonly session: string | undefined;

  constructor(token: string | undefined) {
    this.tokenDigest = token === undefined ? undefined : digest(token);
    this.session = token === undefined ? undefined : createHmac('sha256', token).update('filesearch-session-v1').digest('base64url');
  }

  get required(): boolean {
    return this.tokenDigest !== undefined;
  }

  check(req: http.IncomingMessage): AuthDecision {
    if (this.tokenDigest === undefined) return isLoopbackHost(hostName(req.headers.host)) ? 'ok' : 'bad_host';
    const header = req.headers.authorization;
    if (header !== undefined && /^bearer\s+/i.test(header) && this.matches(header.replace(/^bearer\s+/i, '').trim())) return 'ok';
    const cookie = cookies(req.headers.cookie)[SESSION_COOKIE];
    if (cookie !== undefined && this.session !== undefined && safeEqual(digest(cookie), digest(this.session))) return 'ok';
    return 'unauthenticated';
  }

  /** Constant-time comparison with the configured token. */
  matches(candidate: string): boolean {
    return this.tokenDigest !== undefined && safeEqual(digest(candidate), this.tokenDigest);
  }

  sessionCookie(): string {
    return `${SESSION_COOKIE}=${this.session ?? ''}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_SECONDS}`;
  }

  static clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `host:port`, `[v6]:port` or `host` → the host part. */
function hostName(header: string | undefined): string {
  if (header === undefined) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

function cookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name !== '' && !(name in out)) out[name] = value;
  }
  return out;
}
