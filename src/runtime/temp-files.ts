import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TempFiles } from '../app/prepare-message.js';
import { sweepOrphans } from './orphans.js';

const PREFIX = 'filesearch-';
/** `filesearch-<pid>-<random>`: the owner's pid tells a crashed worker's directory from a live one. */
const OWNED = /^filesearch-(\d+)-[A-Za-z0-9]+$/;

/** The worker's private temp directory: every file is removed after use, the directory on close. */
export class TempDirectory implements TempFiles {
  private counter = 0;
  private closed: Promise<void> | undefined;

  private constructor(readonly dir: string) {}

  static async create(parent: string): Promise<TempDirectory> {
    await fs.promises.mkdir(parent, { recursive: true });
    const dir = await fs.promises.mkdtemp(path.join(parent, `${PREFIX}${process.pid}-`));
    return new TempDirectory(dir);
  }

  /**
   * Removes the temp directories of workers that died without cleaning up (SIGKILL, OOM kill,
   * power loss): those whose pid no longer runs. Call at start, before creating one's own.
   */
  static sweepOrphans(parent: string): Promise<string[]> {
    return sweepOrphans(parent, OWNED);
  }

  allocate(extension: string): string {
    this.counter += 1;
    const ext = /^[a-z0-9]{1,10}$/.test(extension) ? `.${extension}` : '';
    return path.join(this.dir, `${this.counter}-${randomBytes(4).toString('hex')}${ext}`);
  }

  /**
   * Removes the file and its siblings `<file>.*` (pages rendered for OCR): when the extraction
   * pool kills a job, the extractor's own clean-up never ran.
   */
  async release(file: string): Promise<void> {
    const base = `${path.basename(file)}.`;
    const siblings = (await fs.promises.readdir(path.dirname(file)).catch(() => [] as string[])).filter((n) => n.startsWith(base));
    await Promise.all([file, ...siblings.map((n) => path.join(path.dirname(file), n))].map((f) => fs.promises.rm(f, { force: true })));
  }

  close(): Promise<void> {
    this.closed ??= fs.promises.rm(this.dir, { recursive: true, force: true });
    return this.closed;
  }
}
