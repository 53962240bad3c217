import { describe, expect, it } from 'vitest';
import { isPermanentError } from '../../src/domain/errors.js';
import { parseMessageBody, s3NotificationBody } from '../../src/domain/events.js';

const s3Record = (eventName: string, key: string, extra: Record<string, unknown> = {}) => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventName,
  eventTime: '2026-04-01T00:00:00.000Z',
  s3: { bucket: { name: 'docs' }, object: { key, size: 42, eTag: 'abc', sequencer: '0055AED6DCD90281E5', ...extra } },
});

function events(body: string) {
  const parsed = parseMessageBody(body);
  if (parsed.kind !== 'events') throw new Error(`expected events, got ${parsed.kind}`);
  return parsed;
}

function malformedReason(body: string): string {
  try {
    parseMessageBody(body);
  } catch (err) {
    expect(isPermanentError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('malformed_message');
    return (err as Error).message;
  }
  throw new Error('expected a malformed_message error');
}

describe('parseMessageBody', () => {
  it('decodes S3 notification keys: + is a space, %XX is UTF-8', () => {
    const body = JSON.stringify({ Records: [s3Record('ObjectCreated:Put', '%E4%BC%9A%E8%AD%B0/my+file%2B1.pdf')] });
    const [e] = events(body).events;
    expect(e).toMatchObject({ action: 'upsert', bucket: 'docs', key: '会議/my file+1.pdf', size: 42, etag: 'abc', sequencer: '0055AED6DCD90281E5' });
  });

  it('keeps every record of a message and maps ObjectRemoved to delete', () => {
    const body = JSON.stringify({ Records: [s3Record('ObjectCreated:Put', 'a.txt'), s3Record('ObjectRemoved:Delete', 'b.txt'), s3Record('ObjectRemoved:DeleteMarkerCreated', 'c.txt')] });
    expect(events(body).events.map((e) => [e.action, e.key])).toEqual([
      ['upsert', 'a.txt'],
      ['delete', 'b.txt'],
      ['delete', 'c.txt'],
    ]);
  });

  it('ignores well-formed records of other event types instead of dead-lettering them', () => {
    const parsed = events(JSON.stringify({ Records: [s3Record('ObjectRestore:Completed', 'a.txt')] }));
    expect(parsed.events).toEqual([]);
    expect(parsed.ignored).toEqual(['ObjectRestore:Completed']);
  });

  it('unwraps SNS notifications', () => {
    const inner = JSON.stringify({ Records: [s3Record('ObjectCreated:Copy', 'x/y.docx')] });
    const body = JSON.stringify({ Type: 'Notification', MessageId: 'm', TopicArn: 'arn', Message: inner });
    expect(events(body).events[0]).toMatchObject({ key: 'x/y.docx', action: 'upsert' });
  });

  it('reads EventBridge S3 events', () => {
    const body = JSON.stringify({
      version: '0',
      'detail-type': 'Object Deleted',
      source: 'aws.s3',
      time: '2026-01-01T00:00:00Z',
      detail: { bucket: { name: 'b1' }, object: { key: 'dir/a+b.txt', sequencer: '00AA', 'version-id': 'v1' } },
    });
    expect(events(body).events[0]).toMatchObject({ action: 'delete', bucket: 'b1', key: 'dir/a b.txt', versionId: 'v1' });
  });

  it('recognises s3:TestEvent, directly and inside SNS', () => {
    const test = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: 'now', Bucket: 'b' });
    expect(parseMessageBody(test)).toEqual({ kind: 'test' });
    expect(parseMessageBody(JSON.stringify({ Type: 'Notification', Message: test }))).toEqual({ kind: 'test' });
  });

  it('accepts a plain {bucket, key} body with the key taken literally', () => {
    expect(events('{"bucket":"b","key":"a+b%20c.txt"}').events[0]).toMatchObject({ bucket: 'b', key: 'a+b%20c.txt', action: 'upsert' });
  });

  it.each([
    ['invalid JSON', '{"Records": [', 'not valid JSON'],
    ['a JSON array', '[1,2]', 'not a JSON object'],
    ['a JSON string', '"hello"', 'not a JSON object'],
    ['an unknown object', '{"hello":"world"}', 'not an S3'],
    ['empty Records', '{"Records":[]}', 'not an S3'],
    ['a record without a key', JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: {} } }] }), 'S3 record'],
    ['a bad percent escape', JSON.stringify({ Records: [s3Record('ObjectCreated:Put', '%E4%ZZ')] }), 'URL encoding'],
    ['an SNS envelope with a non-JSON message', JSON.stringify({ Type: 'Notification', Message: 'oops' }), 'not valid JSON'],
    ['binary garbage', '\u0000\u0001\uFFFD\uD800binary', 'not valid JSON'],
    ['a plain body with an empty key', '{"bucket":"b","key":""}', 'not an S3'],
    ['an empty body', '', 'not valid JSON'],
  ])('rejects %s as malformed_message', (_name, body, why) => {
    expect(malformedReason(body)).toContain(why);
  });

  it('round-trips the events that ingest writes', () => {
    const body = s3NotificationBody({ bucket: 'b', key: 'フォルダ/a b+c%.txt', size: 3, etag: '"e"', sequencer: '00FF', eventTime: '2026-01-01T00:00:00.000Z' });
    expect(events(body).events[0]).toMatchObject({ bucket: 'b', key: 'フォルダ/a b+c%.txt', size: 3, sequencer: '00FF' });
  });
});
