import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedicatedOpenSearch, type OpenSearchInstance } from '../support/servers.js';

/** The dedicated OpenSearch goes down and comes back on the same URL with its data. */
describe('dedicated OpenSearch instance', () => {
  let instance: OpenSearchInstance | undefined;

  beforeAll(async () => {
    instance = await dedicatedOpenSearch();
  }, 240_000);

  afterAll(async () => {
    await instance?.dispose();
  }, 60_000);

  const call = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<Record<string, unknown>> => {
    if (instance === undefined) throw new Error('no instance');
    const response = await fetch(`${instance.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  it('stop() refuses connections; start() answers on the same URL with the data kept', async () => {
    if (instance === undefined) throw new Error('no instance');
    const { url, port } = instance;
    expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(Number(new URL(url).port)).toBe(port);

    await call('/chaos', { method: 'PUT', body: { settings: { number_of_shards: 1, number_of_replicas: 0 } } });
    await call('/chaos/_doc/1?refresh=true', { method: 'PUT', body: { title: '定例会議の議事録' } });

    await instance.stop();
    expect(instance.running).toBe(false);
    await expect(fetch(url, { signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });

    await instance.start();
    expect(instance.running).toBe(true);
    expect(instance.url).toBe(url);
    const doc = await call('/chaos/_doc/1');
    expect(doc['_source']).toEqual({ title: '定例会議の議事録' });
    const count = await call('/chaos/_count');
    expect(count['count']).toBe(1);
  }, 240_000);
});
