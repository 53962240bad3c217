import fs from 'node:fs';
import path from 'node:path';

/**
 * Bytes an unprivileged writer can still use on the file system holding `dir`. A folder that does
 * not exist yet (a temp dir created later) is measured at its nearest existing parent.
 */
export async function freeDiskBytes(dir: string): Promise<number> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const s = await fs.promises.statfs(d);
      return s.bavail * s.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(d) === d) throw err;
    }
  }
}
