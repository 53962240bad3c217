import { spawnSync } from 'node:child_process';
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

/** The pid of a process that has exited (and so cannot own anything any more). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('TempDirectory.sweepOrphans', () => {
  it("removes the directories of workers whose process is gone, keeps live workers' and foreign files", async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'tempdir-'));
    const dead = deadPid();
    const orphan = path.join(parent, `filesearch-${dead}-AbC123`);
    fs.mkdirSync(orphan);
    fs.writeFileSync(path.join(orphan, '7-deadbeef.pdf.ocr-1.pgm'), 'x');
    const live = path.join(parent, `filesearch-${process.ppid}-XyZ789`);
    fs.mkdirSync(live);
    const foreign = path.join(parent, 'filesearch-notes.txt');
    fs.writeFileSync(foreign, 'not ours');
    const mine = await TempDirectory.create(parent);

    const removed = await TempDirectory.sweepOrphans(parent);

    expect(removed).toEqual([orphan]);
    expect(fs.readdirSync(parent).sort()).toEqual([path.basename(live), path.basename(mine.dir), 'filesearch-notes.txt'].sort());
    await mine.close();
    fs.rmSync(parent, { recursive: true, force: true });
  });
});
