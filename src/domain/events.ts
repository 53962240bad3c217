import { z } from 'zod';
import { ErrorCodes, PermanentError } from './errors.js';

/**
 * Turns a queue message body into the object events it carries. Accepted shapes (SPEC §1):
 * S3 event notifications (several records), the same wrapped in SNS, EventBridge S3 events,
 * `s3:TestEvent`, and a plain `{bucket, key}`. Everything else is `malformed_message`.
 */

export const ObjectActions = { Upsert: 'upsert', Delete: 'delete' } as const;
export type ObjectAction = (typeof ObjectActions)[keyof typeof ObjectActions];

export interface ObjectEvent {
  readonly action: ObjectAction;
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly etag?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
  readonly eventTime?: string;
  readonly eventName: string;
}

export type ParsedMessage =
  | { readonly kind: 'test' }
  | { readonly kind: 'events'; readonly events: readonly ObjectEvent[]; readonly ignored: readonly string[] };

const MAX_SNS_DEPTH = 2;

const nonEmpty = z.string().min(1);
const optionalSize = z.union([z.number(), z.string()]).optional();

const s3RecordSchema = z.object({
  eventName: nonEmpty,
  eventTime: z.string().optional(),
  s3: z.object({
    bucket: z.object({ name: nonEmpty }),
    object: z.object({
      key: nonEmpty,
      size: optionalSize,
      eTag: z.string().optional(),
      versionId: z.string().nullish(),
      sequencer: z.string().optional(),
    }),
  }),
});
const s3NotificationSchema = z.object({ Records: z.array(z.unknown()).min(1) });

const eventBridgeSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': nonEmpty,
  time: z.string().optional(),
  detail: z.object({
    bucket: z.object({ name: nonEmpty }),
    object: z.object({
      key: nonEmpty,
      size: optionalSize,
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const snsSchema = z.object({ Type: z.literal('Notification'), Message: z.string() });
const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') });
const plainSchema = z.object({ bucket: nonEmpty, key: nonEmpty, action: z.enum(['upsert', 'delete']).optional() }).strict();

function malformed(reason: string, cause?: unknown): PermanentError {
  return new PermanentError(ErrorCodes.MalformedMessage, `malformed message: ${reason}`, { cause });
}

/** S3 notification keys are URL-encoded with `+` for spaces. */
export function decodeS3Key(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (err) {
    throw malformed(`object key is not valid URL encoding: ${JSON.stringify(raw.slice(0, 200))}`, err);
  }
}

function toSize(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function actionFor(eventName: string): ObjectAction | undefined {
  const name = eventName.replace(/^s3:/, '');
  if (name.startsWith('ObjectCreated:')) return ObjectActions.Upsert;
  if (name.startsWith('ObjectRemoved:')) return ObjectActions.Delete;
  return undefined;
}

function fromS3Record(raw: unknown, ignored: string[]): ObjectEvent | undefined {
  const parsed = s3RecordSchema.safeParse(raw);
  if (!parsed.success) throw malformed(`S3 record does not match the notification schema (${parsed.error.issues[0]?.path.join('.') ?? '?'})`);
  const r = parsed.data;
  const action = actionFor(r.eventName);
  if (action === undefined) {
    ignored.push(r.eventName);
    return undefined;
  }
  const o = r.s3.object;
  return withoutUndefined({
    action,
    bucket: r.s3.bucket.name,
    key: decodeS3Key(o.key),
    size: toSize(o.size),
    etag: o.eTag,
    versionId: o.versionId ?? undefined,
    sequencer: o.sequencer,
    eventTime: r.eventTime,
    eventName: r.eventName,
  });
}

function fromEventBridge(raw: z.infer<typeof eventBridgeSchema>, ignored: string[]): ObjectEvent[] {
  const type = raw['detail-type'];
  const action = type === 'Object Created' ? ObjectActions.Upsert : type === 'Object Deleted' ? ObjectActions.Delete : undefined;
  if (action === undefined) {
    ignored.push(type);
    return [];
  }
  const o = raw.detail.object;
  return [
    withoutUndefined({
      action,
      bucket: raw.detail.bucket.name,
      // EventBridge carries keys encoded the same way as S3 notifications.
      key: decodeS3Key(o.key),
      size: toSize(o.size),
      etag: o.etag,
      versionId: o['version-id'],
      sequencer: o.sequencer,
      eventTime: raw.time,
      eventName: `EventBridge:${type}`,
    }),
  ];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw malformed('body is not valid JSON', err);
  }
}

function parseValue(value: unknown, depth: number): ParsedMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed('body is not a JSON object');
  }
  if (testEventSchema.safeParse(value).success) return { kind: 'test' };

  const sns = snsSchema.safeParse(value);
  if (sns.success) {
    if (depth >= MAX_SNS_DEPTH) throw malformed('SNS envelopes nested too deeply');
    return parseValue(parseJson(sns.data.Message), depth + 1);
  }

  const ignored: string[] = [];
  const s3 = s3NotificationSchema.safeParse(value);
  if (s3.success) {
    const events = s3.data.Records.map((r) => fromS3Record(r, ignored)).filter((e): e is ObjectEvent => e !== undefined);
    return { kind: 'events', events, ignored };
  }

  const eb = eventBridgeSchema.safeParse(value);
  if (eb.success) return { kind: 'events', events: fromEventBridge(eb.data, ignored), ignored };

  const plain = plainSchema.safeParse(value);
  if (plain.success) {
    const action = plain.data.action ?? ObjectActions.Upsert;
    return {
      kind: 'events',
      events: [{ action, bucket: plain.data.bucket, key: plain.data.key, eventName: `Plain:${action}` }],
      ignored,
    };
  }
  throw malformed('not an S3, SNS, EventBridge, test or {bucket,key} message');
}

/** Parses one message body. Throws `PermanentError(malformed_message)`; never anything else. */
export function parseMessageBody(body: string): ParsedMessage {
  return parseValue(parseJson(body), 0);
}

function withoutUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** Builds the S3-style notification body that `ingest` enqueues for a local file. */
export function s3NotificationBody(e: {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  sequencer?: string;
  eventTime: string;
  eventName?: string;
}): string {
  const encodedKey = encodeURIComponent(e.key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'filesearch:ingest',
        eventTime: e.eventTime,
        eventName: e.eventName ?? 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: e.bucket },
          object: { key: encodedKey, size: e.size, eTag: e.etag, ...(e.sequencer === undefined ? {} : { sequencer: e.sequencer }) },
        },
      },
    ],
  });
}
