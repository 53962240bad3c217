import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCodes, PermanentError, TransientError, type FilesearchError } from '../../domain/errors.js';
import type { DownloadOptions, ObjectInfo, ObjectStore, PutOptions } from '../../ports/object-store.port.js';

/**
 * A bucket is a directory; keys are relative POSIX paths inside it. Keys that would leave the
 * bucket (`..`, absolute paths, symlinks pointing outside) are refused.
 */
export class FolderObjectStore implements ObjectStore {
  constructor(private readonly resolveBucket: (bucket: string) => string | undefined) {}

  async head(bucket: string, key: string): Promise<ObjectInfo> {
    const file = await this.locate(bucket, key);
    const st = await fs.promises.stat(file).catch((err: unknown) => {
      throw translate(err, bucket, key);
    });
    if (!st.isFile()) throw new PermanentError(ErrorCodes.InvalidKey, `${bucket}/${key} is not a file`);
    return info(bucket, key, st);
  }

  async download(bucket: string, key: string, destPath: string, options: DownloadOptions): Promise<ObjectInfo> {
    const head = await this.head(bucket, key);
    if (head.size > options.maxBytes) throw tooLarge(bucket, key, head.size, options.maxBytes);
    const file = await this.locate(bucket, key);
    let seen = 0;
    // The file may grow between stat and read: enforce the cap on the bytes actually copied.
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > options.maxBytes) done(tooLarge(bucket, key, seen, options.maxBytes));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(fs.createReadStream(file), cap, fs.createWriteStream(destPath, { flags: 'wx' }), { signal: options.signal });
    } catch (err) {
      await fs.promises.rm(destPath, { force: true });
      throw translate(err, bucket, key);
    }
    return { ...head, size: seen };
  }

  async *list(bucket: string, prefix = ''): AsyncIterable<ObjectInfo> {
    const root = this.root(bucket);
    const realRoot = await fs.promises.realpath(root);
    const entries = await fs.promises.readdir(root, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
    for (const key of files) {
      const abs = path.join(root, key);
      const real = await fs.promises.realpath(abs).catch(() => undefined);
      if (real === undefined || !isInside(realRoot, real)) continue;
      const st = await fs.promises.stat(real).catch(() => undefined);
      if (st?.isFile() === true) yield info(bucket, key, st);
    }
  }

  /**
   * Creates the missing folders one at a time, each inside a folder already proven to be in
   * the bucket (a symlinked folder leading out is refused before anything is created there),
   * then writes a temporary file beside the target and renames it over (atomic on one disk).
   */
  async put(bucket: string, key: string, body: string | Buffer, options: PutOptions = {}): Promise<ObjectInfo> {
    const parts = checkKey(key);
    const fileName = parts.pop() ?? '';
    if (fileName === '' || fileName === '.') throw new PermanentError(ErrorCodes.InvalidKey, `key ${JSON.stringify(key)} names a folder, not a file`);
    const realRoot = await fs.promises.realpath(this.root(bucket)).catch((err: unknown) => {
      throw translate(err, bucket, key);
    });
    let dir = realRoot;
    try {
      for (const part of parts) {
        const next = path.join(dir, part);
        await fs.promises.mkdir(next).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        dir = await fs.promises.realpath(next);
        if (!isInside(realRoot, dir)) {
          throw new PermanentError(ErrorCodes.AccessDenied, `key ${JSON.stringify(key)} goes through a link that leaves the bucket`);
        }
      }
      const dest = path.join(dir, fileName);
      const temp = path.join(dir, `.${fileName}.${randomUUID()}.tmp`);
      try {
        await fs.promises.writeFile(temp, body, { flag: 'wx', ...(options.signal === undefined ? {} : { signal: options.signal }) });
        await fs.promises.rename(temp, dest);
      } catch (err) {
        await fs.promises.rm(temp, { force: true });
        throw err;
      }
      return info(bucket, key, await fs.promises.stat(dest));
    } catch (err) {
      throw translate(err, bucket, key);
    }
  }

  async close(): Promise<void> {}

  private root(bucket: string): string {
    const root = this.resolveBucket(bucket);
    if (root === undefined) {
      throw new PermanentError(ErrorCodes.BucketNotFound, `bucket ${JSON.stringify(bucket)} is not a known folder (run \`filesearch ingest <dir>\` to register one)`);
    }
    return root;
  }

  /** Absolute path of a key, after proving it stays inside the bucket. */
  private async locate(bucket: string, key: string): Promise<string> {
    const root = this.root(bucket);
    checkKey(key);
    const abs = path.join(root, ...key.split('/'));
    const [realRoot, real] = await Promise.all([fs.promises.realpath(root), fs.promises.realpath(abs)]).catch((err: unknown) => {
      throw translate(err, bucket, key);
    });
    if (!isInside(realRoot, real)) {
      throw new PermanentError(ErrorCodes.AccessDenied, `key ${JSON.stringify(key)} is a link that leaves the bucket`);
    }
    return real;
  }
}

/** A relative POSIX path that stays inside the bucket; returns its segments. */
function checkKey(key: string): string[] {
  if (key === '' || key.includes('\0') || key.startsWith('/') || path.isAbsolute(key) || /^[a-zA-Z]:[\\/]/.test(key)) {
    throw new PermanentError(ErrorCodes.InvalidKey, `key ${JSON.stringify(key)} is not a relative path`);
  }
  const parts = key.split('/');
  if (parts.some((part) => part === '..')) {
    throw new PermanentError(ErrorCodes.InvalidKey, `key ${JSON.stringify(key)} escapes the bucket`);
  }
  return parts;
}

function isInside(root: string, candidate: string): boolean {
  return candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function info(bucket: string, key: string, st: fs.Stats): ObjectInfo {
  // A cheap, stable ETag for a local file: size and modification time (like nginx's).
  return { bucket, key, size: st.size, etag: `"${st.size.toString(16)}-${Math.trunc(st.mtimeMs).toString(16)}"`, lastModified: st.mtime };
}

function tooLarge(bucket: string, key: string, size: number, max: number): PermanentError {
  return new PermanentError(ErrorCodes.TooLarge, `${bucket}/${key} is ${size} bytes, over the ${max}-byte limit (MAX_FILE_SIZE_MB)`, {
    details: { size, max },
  });
}

function translate(err: unknown, bucket: string, key: string): FilesearchError {
  if (err instanceof PermanentError || err instanceof TransientError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${bucket}/${key}`;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new PermanentError(ErrorCodes.ObjectNotFound, `${where} does not exist`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new PermanentError(ErrorCodes.AccessDenied, `${where} cannot be read (permission denied)`, { cause: err });
    case 'EISDIR':
      return new PermanentError(ErrorCodes.InvalidKey, `${where} is a directory`, { cause: err });
    case 'ELOOP':
      return new PermanentError(ErrorCodes.InvalidKey, `${where} is a symlink loop`, { cause: err });
    default:
      return new TransientError(ErrorCodes.StoreUnavailable, `${where}: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
  }
}
