import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ErrorCodes, isFilesearchError, isPermanentError, PermanentError, TransientError, type FilesearchError } from '../../domain/errors.js';
import type { DownloadOptions, ObjectInfo, ObjectStore, PutOptions } from '../../ports/object-store.port.js';
import { awsErrorCodes, classifyAwsError, hasAwsCode, httpStatusOf } from './aws-errors.js';

/** Amazon S3 (or any server speaking its API: moto, MinIO) behind the ObjectStore port. */

export interface S3ObjectStoreOptions {
  /** Created, configured and destroyed by the caller (the composition root). */
  readonly client: S3Client;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
  }

  async head(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectInfo> {
    // The SDK refuses an empty key before sending anything, with an error that looks transient.
    if (key === '') throw new PermanentError(ErrorCodes.InvalidKey, `empty key in bucket ${JSON.stringify(bucket)}`);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), options(signal));
      return {
        bucket,
        key,
        size: out.ContentLength ?? 0,
        ...defined({ etag: out.ETag, versionId: out.VersionId, lastModified: out.LastModified, contentType: out.ContentType }),
      };
    } catch (err) {
      // A HEAD response has no body, so S3 cannot say which is missing: the bucket or the key.
      if (httpStatusOf(err) === 404 && !(await this.bucketExists(bucket, signal))) throw bucketNotFound(bucket, err);
      throw translate(err, bucket, key);
    }
  }

  /**
   * Heads first (refusing an oversized object without fetching it), then gets exactly that
   * version (If-Match on its ETag) and streams it to a new file through a byte cap.
   */
  async download(bucket: string, key: string, destPath: string, opts: DownloadOptions): Promise<ObjectInfo> {
    const head = await this.head(bucket, key, opts.signal);
    if (head.size > opts.maxBytes) throw tooLarge(bucket, key, head.size, opts.maxBytes);
    // Opened before the request so that nothing here ever removes a file it did not create.
    const file = await fs.promises.open(destPath, 'wx').catch((err: unknown) => {
      throw localFailure(err, destPath);
    });
    let body: Readable | undefined;
    let seen = 0;
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(head.etag === undefined ? {} : { IfMatch: head.etag }) }),
        options(opts.signal),
      );
      if (!(out.Body instanceof Readable)) throw new TypeError('GetObject returned no Node.js stream body');
      body = out.Body;
      const cap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          seen += chunk.length;
          if (seen > opts.maxBytes) done(tooLarge(bucket, key, seen, opts.maxBytes));
          else done(null, chunk);
        },
      });
      await pipeline(body, cap, file.createWriteStream(), opts.signal === undefined ? {} : { signal: opts.signal });
    } catch (err) {
      body?.destroy();
      await file.close().catch(() => undefined);
      await fs.promises.rm(destPath, { force: true });
      throw translate(err, bucket, key);
    }
    return { ...head, size: seen };
  }

  async *list(bucket: string, prefix = '', signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    const pages = paginateListObjectsV2({ client: this.client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix }, options(signal));
    try {
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          yield {
            bucket,
            key: o.Key,
            size: o.Size ?? 0,
            ...defined({ etag: o.ETag, lastModified: o.LastModified }),
          };
        }
      }
    } catch (err) {
      throw translate(err, bucket, prefix);
    }
  }

  /** One PutObject: S3 makes the object visible whole or not at all. */
  async put(bucket: string, key: string, body: string | Buffer, opts: PutOptions = {}): Promise<ObjectInfo> {
    if (key === '') throw new PermanentError(ErrorCodes.InvalidKey, `empty key in bucket ${JSON.stringify(bucket)}`);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    try {
      const out = await this.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length, ...defined({ ContentType: opts.contentType }) }),
        options(opts.signal),
      );
      return { bucket, key, size: bytes.length, ...defined({ etag: out.ETag, versionId: out.VersionId, contentType: opts.contentType }) };
    } catch (err) {
      throw translate(err, bucket, key);
    }
  }

  /** Nothing to release: the client belongs to the caller. */
  async close(): Promise<void> {}

  private async bucketExists(bucket: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), options(signal));
      return true;
    } catch (err) {
      // Only a clear 404 says "no bucket"; on 403 (no s3:ListBucket) or a failure, assume it exists.
      return httpStatusOf(err) !== 404;
    }
  }
}

function options(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Drops undefined fields (the port's optional fields are absent rather than undefined). */
function defined<T extends Record<string, unknown>>(fields: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}

function tooLarge(bucket: string, key: string, size: number, max: number): PermanentError {
  return new PermanentError(ErrorCodes.TooLarge, `s3://${bucket}/${key} is ${size} bytes, over the ${max}-byte limit (MAX_FILE_SIZE_MB)`, {
    details: { size, max },
  });
}

function bucketNotFound(bucket: string, cause: unknown): PermanentError {
  return new PermanentError(ErrorCodes.BucketNotFound, `S3 bucket ${JSON.stringify(bucket)} does not exist`, { cause });
}

function localFailure(err: unknown, destPath: string): TransientError {
  const message = err instanceof Error ? err.message : String(err);
  return new TransientError(ErrorCodes.Internal, `cannot write the download to ${destPath}: ${message}`, { cause: err });
}

/** S3's own codes first, then the shared AWS classification. */
function translate(err: unknown, bucket: string, key: string): FilesearchError {
  if (isFilesearchError(err)) return err;
  const where = `s3://${bucket}/${key}`;
  const status = httpStatusOf(err);
  const code = awsErrorCodes(err)[0] ?? `HTTP ${status ?? '?'}`;
  if (hasAwsCode(err, 'NoSuchBucket', 'InvalidBucketName')) return bucketNotFound(bucket, err);
  if (hasAwsCode(err, 'NoSuchKey', 'NotFound', 'NoSuchVersion') || status === 404) {
    return new PermanentError(ErrorCodes.ObjectNotFound, `${where} does not exist (${code})`, { cause: err });
  }
  if (hasAwsCode(err, 'PreconditionFailed') || status === 412) {
    // Overwritten between our HEAD and GET: the new version is fetched on the next attempt.
    return new TransientError(ErrorCodes.StoreUnavailable, `${where} changed while being fetched (${code}); will retry`, { cause: err });
  }
  if (hasAwsCode(err, 'InvalidObjectState')) {
    return new PermanentError(ErrorCodes.AccessDenied, `${where} is archived (Glacier) and must be restored first (${code})`, { cause: err });
  }
  if (hasAwsCode(err, 'KeyTooLongError', 'InvalidKey')) {
    return new PermanentError(ErrorCodes.InvalidKey, `${where}: invalid key (${code})`, { cause: err });
  }
  // Credentials, throttling, 5xx and network errors first: only what remains is about this object.
  const error = classifyAwsError(err, { target: `S3 object ${where}`, unavailable: ErrorCodes.StoreUnavailable, rejected: ErrorCodes.InvalidKey });
  if (isPermanentError(error) && (status === 403 || hasAwsCode(err, 'AccessDenied'))) {
    // Without s3:ListBucket S3 also answers 403 for a key that does not exist.
    return new PermanentError(ErrorCodes.AccessDenied, `${where}: access denied (${code}); check s3:GetObject on it, or it may not exist`, {
      cause: err,
    });
  }
  return error;
}
