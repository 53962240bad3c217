import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { assertWebAppBinding, isLoopbackHost, SESSION_COOKIE, WebAuth } from '../../../src/web/auth.js';
import { escapeHtml, loginPage } from '../../../src/web/login-page.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;
const TOKEN = 'a-token-of-sufficient-length';

describe('web app auth', () => {
  it('knows loopback addresses and names', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost', 'app.localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '', '128.0.0.1', 'localhost.example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses a non-loopback binding without a token', () => {
    expect(() => assertWebAppBinding('0.0.0.0', undefined)).toThrow(ConfigError);
    expect(() => assertWebAppBinding('0.0.0.0', TOKEN)).not.toThrow();
    expect(() => assertWebAppBinding('127.0.0.1', undefined)).not.toThrow();
  });

  it('without a token, lets loopback Host headers in and nothing else', () => {
    const auth = new WebAuth(undefined);
    expect(auth.required).toBe(false);
    expect(auth.check(req({ host: '127.0.0.1:9480' }))).toBe('ok');
    expect(auth.check(req({ host: 'localhost:9480' }))).toBe('ok');
    expect(auth.check(req({ host: '[::1]:9480' }))).toBe('ok');
    expect(auth.check(req({ host: 'rebound.example:9480' }))).toBe('bad_host');
    expect(auth.check(req({}))).toBe('bad_host');
  });

  it('with a token, takes the Bearer header or the session cookie, nothing else', () => {
    const auth = new WebAuth(TOKEN);
    expect(auth.check(req({ host: '127.0.0.1' }))).toBe('unauthenticated');
    expect(auth.check(req({ authorization: `Bearer ${TOKEN}` }))).toBe('ok');
    expect(auth.check(req({ authorization: `bearer  ${TOKEN}` }))).toBe('ok');
    expect(auth.check(req({ authorization: `Bearer ${TOKEN}x` }))).toBe('unauthenticated');
    expect(auth.check(req({ authorization: `Basic ${TOKEN}` }))).toBe('unauthenticated');
    const cookie = auth.sessionCookie().split(';')[0] as string;
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    expect(cookie).not.toContain(TOKEN);
    expect(auth.check(req({ cookie: `other=1; ${cookie}` }))).toBe('ok');
    expect(auth.check(req({ cookie: `${SESSION_COOKIE}=forged` }))).toBe('unauthenticated');
    // A session made with another token does not open this one.
    const other = new WebAuth(`${TOKEN}-rotated`).sessionCookie().split(';')[0] as string;
    expect(auth.check(req({ cookie: other }))).toBe('unauthenticated');
    expect(auth.sessionCookie()).toMatch(/HttpOnly; SameSite=Strict/);
  });

  it('escapes what it puts into the login page', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const page = loginPage({ next: '/search?q="><script>alert(1)</script>', failed: true });
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&quot;&gt;&lt;script&gt;');
    expect(page).toContain('login-error');
  });
});
