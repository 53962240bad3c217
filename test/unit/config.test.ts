import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/domain/errors.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, cwd: '/tmp' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to embedded mode with the seeds’ values and a frozen object', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/app' });
    expect(c).toMatchObject({ mode: 'embedded', home: '/srv/app/.filesearch', SQS_MAX_MESSAGES: 10, SQS_WAIT_TIME: 20, SQS_VISIBILITY_TIMEOUT: 300, MAX_RETRIES: 3, INITIAL_RETRY_DELAY: 2, OPENSEARCH_INDEX: 'file-index' });
    expect(c.maxFileBytes).toBe(100 * 1024 * 1024);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every bad variable with a fix, all at once', () => {
    const p = problems({ SQS_MAX_MESSAGES: '20', MAX_WORKERS: 'four', LOG_LEVEL: 'loud' });
    expect(p).toHaveLength(3);
    expect(p.find((x) => x.startsWith('SQS_MAX_MESSAGES'))).toMatch(/got "20".*Fix: set SQS_MAX_MESSAGES to a whole number from 1 to 10/);
    expect(p.find((x) => x.startsWith('MAX_WORKERS'))).toContain('"four"');
    expect(p.find((x) => x.startsWith('LOG_LEVEL'))).toContain('Fix');
  });

  it('refuses a short HTTP_TOKEN without repeating it', () => {
    const [p] = problems({ HTTP_TOKEN: 'hunter2-secret' });
    expect(p).toMatch(/^HTTP_TOKEN: .*16 characters/);
    expect(p).toContain('a value of 14 characters');
    expect(p).not.toContain('hunter2');
    expect(loadConfig({ env: { HTTP_TOKEN: '0123456789abcdef' }, cwd: '/tmp' }).HTTP_TOKEN).toBe('0123456789abcdef');
  });

  it('accepts the seeds’ upper-case LOG_LEVEL', () => {
    expect(loadConfig({ env: { LOG_LEVEL: 'INFO' } }).LOG_LEVEL).toBe('info');
  });

  it('requires the rest of the AWS settings once SQS_QUEUE_URL is set', () => {
    const p = problems({ SQS_QUEUE_URL: 'https://sqs.ap-northeast-1.amazonaws.com/1/q' });
    expect(p.map((x) => x.split(':')[0])).toEqual(['AWS_REGION', 'DLQ_QUEUE_URL', 'OPENSEARCH_ENDPOINT']);
  });

  it('refuses AWS settings without SQS_QUEUE_URL rather than silently running embedded', () => {
    expect(problems({ OPENSEARCH_ENDPOINT: 'https://x' })[0]).toContain('without SQS_QUEUE_URL');
  });

  it('layers defaults < file < env < flags', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ MAX_WORKERS: 3, SQS_WAIT_TIME: 5, MAX_RETRIES: 7 }));
    const c = loadConfig({ env: { SQS_WAIT_TIME: '6', MAX_RETRIES: '8' }, file, overrides: { MAX_RETRIES: 9 } });
    expect([c.MAX_WORKERS, c.SQS_WAIT_TIME, c.MAX_RETRIES]).toEqual([3, 6, 9]);
    expect(c.sources).toEqual(['defaults', `file:${file}`, 'env', 'flags']);
  });

  it('reports unknown keys and bad JSON in the config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"MAX_WORKRS": 2}');
    expect(() => loadConfig({ env: {}, file: bad })).toThrow(/unknown key MAX_WORKRS/);
    fs.writeFileSync(bad, '{nope');
    expect(() => loadConfig({ env: {}, file: bad })).toThrow(/not valid JSON/);
  });

  describe('AWS mode', () => {
    const aws = {
      AWS_REGION: 'ap-northeast-1',
      SQS_QUEUE_URL: 'https://sqs.ap-northeast-1.amazonaws.com/123/files',
      DLQ_QUEUE_URL: 'https://sqs.ap-northeast-1.amazonaws.com/123/files-dlq',
    };

    it('signs requests with SigV4 for Amazon OpenSearch Service endpoints', () => {
      const c = loadConfig({ env: { ...aws, OPENSEARCH_ENDPOINT: 'https://search-files-abc.ap-northeast-1.es.amazonaws.com' } });
      expect(c.mode).toBe('aws');
      expect(c.openSearchAuth).toEqual({ kind: 'sigv4', region: 'ap-northeast-1', service: 'es' });
      const serverless = loadConfig({ env: { ...aws, OPENSEARCH_ENDPOINT: 'https://abc.ap-northeast-1.aoss.amazonaws.com' } });
      expect(serverless.openSearchAuth).toMatchObject({ kind: 'sigv4', service: 'aoss' });
    });

    it('uses basic auth when a user name is given, none otherwise', () => {
      const basic = loadConfig({ env: { ...aws, OPENSEARCH_ENDPOINT: 'https://os.internal:9200', OPENSEARCH_USERNAME: 'u', OPENSEARCH_PASSWORD: 'p' } });
      expect(basic.openSearchAuth).toEqual({ kind: 'basic', username: 'u', password: 'p' });
      expect(loadConfig({ env: { ...aws, OPENSEARCH_ENDPOINT: 'http://127.0.0.1:9200' } }).openSearchAuth).toEqual({ kind: 'none' });
    });

    it('rejects URLs that are not http(s) and basic auth without a password', () => {
      const p = problems({ ...aws, OPENSEARCH_ENDPOINT: 'search-files.example', OPENSEARCH_AUTH: 'basic', OPENSEARCH_USERNAME: 'u' });
      expect(p.some((x) => x.startsWith('OPENSEARCH_ENDPOINT: not an http(s) URL'))).toBe(true);
      expect(p.some((x) => x.startsWith('OPENSEARCH_AUTH: basic needs'))).toBe(true);
    });

    it('rejects an index name OpenSearch would refuse', () => {
      expect(problems({ OPENSEARCH_INDEX: 'Files' })[0]).toMatch(/^OPENSEARCH_INDEX: must be lower case/);
    });
  });
});
