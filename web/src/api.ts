import type { ApiError } from '../../src/web/api-types.js';

/** A failed API call: HTTP status (0 for a network failure or timeout), error code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** True when the browser is being sent to the login page: the caller should show nothing. */
  get redirecting(): boolean {
    return this.status === 401;
  }
}

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

export function loginUrl(): string {
  return '/login?next=' + encodeURIComponent(location.pathname + location.search);
}

let redirecting = false;

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly timeoutMs?: number;
}

/** Fetches `path` (same origin) as JSON. Throws ApiFailure; a 401 sends the browser to the login page. */
export async function apiJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 15_000);
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: method === 'POST' ? { accept: 'application/json', 'x-requested-with': 'filesearch' } : { accept: 'application/json' },
      signal: controller.signal,
    });
  } catch (err) {
    const aborted = err instanceof DOMException && err.name === 'AbortError';
    throw new ApiFailure(0, aborted ? 'timeout' : 'network', aborted ? 'The server did not answer in time' : 'Cannot reach the server');
  } finally {
    clearTimeout(timer);
  }

  if (response.status === 401) {
    if (!redirecting) {
      redirecting = true;
      location.assign(loginUrl());
    }
    throw new ApiFailure(401, 'unauthorized', 'Sign-in required');
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    if (isApiError(body)) throw new ApiFailure(response.status, body.error.code, body.error.message);
    throw new ApiFailure(response.status, 'http_' + response.status, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (body === undefined) throw new ApiFailure(response.status, 'bad_response', 'The server answered with something that is not JSON');
  return body as T;
}

/** A human message for anything thrown by apiJson (or by rendering). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiFailure) return err.code && err.status ? `${err.message} (${err.code})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
