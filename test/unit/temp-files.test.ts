import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TempDirectory } from '../../src/runtime/temp-files.js';

describe('TempDirectory', () => {
  it('removes a file with the pages rendered next to it, and everything on close', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'tempdir-'));
    const temp = await TempDirectory.create(parent);
    const a = temp.allocate('pdf');
    const b = temp.allocate('pdf');
    for (const f of [a, `${a}.ocr-x1-p1.pgm`, `${a}.ocr-x1-p2.pgm`, b]) fs.writeFileSync(f, 'x');
    await temp.release(a);
    // Only a's own files go; b (another job's input, a different name) stays.
    expect(fs.readdirSync(temp.dir)).toEqual([path.basename(b)]);
    await temp.close();
    expect(fs.existsSync(temp.dir)).toBe(false);
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});
