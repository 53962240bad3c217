import fs from 'node:fs';
import path from 'node:path';

/**
 * Embedded mode's answer to "which directory is bucket X?". `ingest <dir>` registers a folder
 * under a bucket name (kept in `<home>/buckets.json`, shared by every CLI process); a
 * directory `<home>/buckets/<name>` is a bucket without registration.
 */
export class BucketRegistry {
  private readonly file: string;
  private cache: Record<string, string> = {};

  constructor(private readonly home: string) {
    this.file = path.join(home, 'buckets.json');
    this.reload();
  }

  /** Absolute directory of a bucket, or undefined when unknown. */
  resolve(bucket: string): string | undefined {
    const known = this.cache[bucket] ?? (this.reload(), this.cache[bucket]);
    if (known !== undefined) return known;
    if (!isValidBucketName(bucket)) return undefined;
    const conventional = path.join(this.home, 'buckets', bucket);
    return fs.existsSync(conventional) ? conventional : undefined;
  }

  /** Registers `dir` and returns its bucket name (`preferred`, else the folder's name, made unique). */
  register(dir: string, preferred?: string): string {
    const abs = fs.realpathSync(dir);
    this.reload();
    if (preferred !== undefined) {
      if (!isValidBucketName(preferred)) throw new Error(`invalid bucket name ${JSON.stringify(preferred)}: use 3-63 characters a-z 0-9 . -`);
      const existing = this.cache[preferred];
      if (existing !== undefined && existing !== abs) throw new Error(`bucket ${preferred} is already the folder ${existing}`);
      return this.write(preferred, abs);
    }
    const same = Object.entries(this.cache).find(([, d]) => d === abs);
    if (same !== undefined) return same[0];
    const base = toBucketName(path.basename(abs));
    let name = base;
    for (let i = 2; this.cache[name] !== undefined; i += 1) name = `${base}-${i}`;
    return this.write(name, abs);
  }

  list(): Readonly<Record<string, string>> {
    this.reload();
    return { ...this.cache };
  }

  private write(name: string, abs: string): string {
    this.cache = { ...this.cache, [name]: abs };
    fs.mkdirSync(this.home, { recursive: true });
    // Write-then-rename so a concurrent reader never sees half a file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.cache, null, 2)}\n`);
    fs.renameSync(tmp, this.file);
    return name;
  }

  private reload(): void {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      if (parsed !== null && typeof parsed === 'object') this.cache = parsed as Record<string, string>;
    } catch {
      // Absent or being replaced: keep what we had.
    }
  }
}

export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..');
}

function toBucketName(folder: string): string {
  const cleaned = folder
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 63);
  return cleaned.length >= 3 ? cleaned : `bucket-${cleaned || 'files'}`;
}
