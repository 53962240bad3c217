import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { isFilesearchError } from '../../../domain/errors.js';
import { aborted, corruptFile, decompressionBomb, encryptedFile, throwIfAborted } from './failures.js';

export interface ZipLimits {
  /** Inflated bytes allowed across every entry read from one archive (`maxDecompressedBytes`). */
  readonly maxDecompressedBytes: number;
  /** Archives listing more entries are refused before their directory is read. Default 10 000. */
  readonly maxEntries?: number;
  /** Inflated:compressed ratio one entry may reach once past `ratioFloorBytes`. Default 1000. */
  readonly maxRatio?: number;
  /** Small entries may compress as well as they like. Default 1 MiB. */
  readonly ratioFloorBytes?: number;
}

/**
 * Deflate cannot do better than ~1032:1, so only degenerate data (a bomb's zeros) passes 1000:1;
 * real OOXML/ODF parts compress 5–100:1. Office files have hundreds of parts, rarely thousands.
 */
export const ZIP_DEFAULTS = { maxEntries: 10_000, maxRatio: 1000, ratioFloorBytes: 1024 * 1024 } as const;

const openZip = (path: string): Promise<ZipFile> =>
  yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true });

/** Library errors become ours; I/O errors (EMFILE, EIO…) stay as they are, unclassified and so retried. */
function classify(err: unknown): unknown {
  if (isFilesearchError(err)) return err;
  if (typeof err === 'object' && err !== null && 'syscall' in err) return err;
  const message = err instanceof Error ? err.message : String(err);
  // yauzl compares the inflated stream with the size the central directory declares.
  if (/too many bytes in the stream/.test(message)) {
    return decompressionBomb(`zip entry inflates past its declared size: ${message}`, { reason: 'size_lie' });
  }
  if (/encrypt/i.test(message)) return encryptedFile(`zip entry is encrypted: ${message}`);
  return corruptFile(`not a valid zip archive: ${message}`, err);
}

function readDirectory(zip: ZipFile, signal: AbortSignal | undefined): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    zip.on('entry', (entry: Entry) => {
      if (signal?.aborted === true) {
        reject(aborted('zip', signal));
        return;
      }
      const key = entry.fileName.toLowerCase();
      if (!key.endsWith('/') && !entries.has(key)) entries.set(key, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/**
 * A zip archive read defensively: only the entries asked for are inflated, every inflated byte is
 * counted against one budget for the whole archive, and inflating stops the moment a limit is
 * passed — a 2 GiB bomb costs one chunk, not 2 GiB. Names are case-insensitive (OPC part names are).
 */
export class SafeZip {
  private inflated = 0;
  private closed = false;

  private constructor(
    private readonly zip: ZipFile,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly limits: Required<ZipLimits>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async open(path: string, limits: ZipLimits, signal?: AbortSignal): Promise<SafeZip> {
    const all: Required<ZipLimits> = { ...ZIP_DEFAULTS, ...limits };
    const zip = await openZip(path).catch((err: unknown) => Promise.reject(classify(err)));
    try {
      if (zip.entryCount > all.maxEntries) {
        throw decompressionBomb(`zip lists ${zip.entryCount} entries, limit is ${all.maxEntries}`, {
          entries: zip.entryCount,
          maxEntries: all.maxEntries,
        });
      }
      const entries = await readDirectory(zip, signal);
      throwIfAborted(signal, 'zip');
      return new SafeZip(zip, entries, all, signal);
    } catch (err) {
      zip.close();
      throw classify(err);
    }
  }

  /** Bytes inflated so far, over every entry read. */
  get inflatedBytes(): number {
    return this.inflated;
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  /** Entry names as stored (directories excluded). */
  names(): string[] {
    return [...this.entries.values()].map((e) => e.fileName);
  }

  /**
   * Streams one entry's inflated bytes to `onChunk`. Returns false when the entry is absent.
   * `shouldStop` lets a parser that has all it wants end the read early.
   */
  async stream(name: string, onChunk: (chunk: Buffer) => void, shouldStop?: () => boolean): Promise<boolean> {
    const entry = this.entries.get(name.toLowerCase());
    if (entry === undefined) return false;
    if (entry.isEncrypted()) throw encryptedFile(`zip entry ${entry.fileName} is encrypted`);
    this.checkDeclared(entry);
    let stream: Readable | undefined;
    let bytes = 0;
    try {
      stream = await this.zip.openReadStreamPromise(entry);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        throwIfAborted(this.signal, 'zip');
        bytes += chunk.length;
        this.inflated += chunk.length;
        this.checkActual(entry, bytes);
        onChunk(chunk);
        if (shouldStop?.() === true) break;
      }
    } catch (err) {
      throw classify(err);
    } finally {
      stream?.destroy();
    }
    return true;
  }

  /** The whole entry in memory; for small parts (rels, mimetype, manifest). */
  async read(name: string): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    const found = await this.stream(name, (c) => chunks.push(c));
    return found ? Buffer.concat(chunks) : undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.zip.close();
  }

  /** Refuses before inflating anything when the central directory already admits to a bomb. */
  private checkDeclared(entry: Entry): void {
    const { maxDecompressedBytes, maxRatio, ratioFloorBytes } = this.limits;
    const declared = entry.uncompressedSize;
    if (this.inflated + declared > maxDecompressedBytes) {
      throw decompressionBomb(
        `${entry.fileName} declares ${declared} bytes; with ${this.inflated} already inflated that passes the ${maxDecompressedBytes}-byte limit`,
        { entry: entry.fileName, declared, inflated: this.inflated, maxDecompressedBytes },
      );
    }
    if (declared > ratioFloorBytes && declared > maxRatio * Math.max(entry.compressedSize, 1)) {
      throw decompressionBomb(`${entry.fileName} declares a ${Math.round(declared / Math.max(entry.compressedSize, 1))}:1 compression ratio`, {
        entry: entry.fileName,
        declared,
        compressed: entry.compressedSize,
        maxRatio,
      });
    }
  }

  /** The same limits on the bytes actually produced, in case the directory lies. */
  private checkActual(entry: Entry, bytes: number): void {
    const { maxDecompressedBytes, maxRatio, ratioFloorBytes } = this.limits;
    if (this.inflated > maxDecompressedBytes) {
      throw decompressionBomb(`archive inflated past the ${maxDecompressedBytes}-byte limit while reading ${entry.fileName}`, {
        entry: entry.fileName,
        inflated: this.inflated,
        maxDecompressedBytes,
      });
    }
    if (bytes > ratioFloorBytes && bytes > maxRatio * Math.max(entry.compressedSize, 1)) {
      throw decompressionBomb(`${entry.fileName} inflates at more than ${maxRatio}:1`, {
        entry: entry.fileName,
        inflated: bytes,
        compressed: entry.compressedSize,
        maxRatio,
      });
    }
  }
}

/** Runs `work` on an opened archive and always closes it. */
export async function withZip<T>(path: string, limits: ZipLimits, signal: AbortSignal | undefined, work: (zip: SafeZip) => Promise<T>): Promise<T> {
  const zip = await SafeZip.open(path, limits, signal);
  try {
    return await work(zip);
  } finally {
    zip.close();
  }
}
