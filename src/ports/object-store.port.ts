/**
 * Where the files live: S3, or a local folder per bucket. Keys are S3 keys (already decoded).
 * Errors are ours: `object_not_found`, `access_denied`, `too_large`, `invalid_key`,
 * `bucket_not_found` (permanent) and `store_unavailable` (transient).
 */

export interface ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly versionId?: string;
  readonly lastModified?: Date;
  readonly contentType?: string;
}

export interface DownloadOptions {
  /** Refuse (permanent `too_large`) anything larger, before and while streaming. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

export interface PutOptions {
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface ObjectStore {
  head(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectInfo>;
  /** Streams the object to `destPath` (created, never left partial on failure). */
  download(bucket: string, key: string, destPath: string, options: DownloadOptions): Promise<ObjectInfo>;
  list(bucket: string, prefix?: string, signal?: AbortSignal): AsyncIterable<ObjectInfo>;
  /** Writes the whole object at once (replacing any); readers never see a partial one. */
  put(bucket: string, key: string, body: string | Buffer, options?: PutOptions): Promise<ObjectInfo>;
  close(): Promise<void>;
}
