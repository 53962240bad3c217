import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { s3NotificationBody } from '../domain/events.js';
import type { ObjectInfo } from '../ports/object-store.port.js';
import type { Runtime } from '../composition/index.js';
import { loadCliConfig, printJson, withRuntime } from './context.js';

const SEND_CHUNK = 100;

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('enqueue every file of one or more folders as S3-style object-created events (embedded mode)')
    .argument('<dirs...>', 'folders to ingest; each becomes a bucket named after the folder')
    .option('--bucket <name>', 'bucket name to use (only with a single folder)')
    .option('--json', 'print JSON for scripts')
    .action(async (dirs: string[], opts: { bucket?: string; json?: boolean }, cmd: Command) => {
      if (opts.bucket !== undefined && dirs.length > 1) throw new Error('--bucket can name only one folder at a time');
      for (const dir of dirs) {
        if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir} is not a folder`);
      }
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const summary = await withRuntime(config, async (rt) => {
        const out: Array<{ folder: string; bucket: string; files: number }> = [];
        for (const dir of dirs) out.push(await ingestFolder(rt, dir, opts.bucket, opts.json !== true));
        return out;
      });
      if (opts.json === true) printJson({ ingested: summary });
      else for (const s of summary) process.stdout.write(`queued ${s.files} file(s) from ${s.folder} as bucket ${s.bucket}\n`);
    });
}

async function ingestFolder(rt: Runtime, dir: string, preferredBucket: string | undefined, interactive: boolean) {
  if (rt.registerFolder === undefined) throw new Error('ingest works in embedded mode only; in AWS mode S3 sends the events itself');
  const bucket = rt.registerFolder(dir, preferredBucket);
  const objects: ObjectInfo[] = [];
  for await (const o of rt.store.list(bucket)) objects.push(o);

  const bar = interactive && process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: `${bucket} [{bar}] {value}/{total} files`, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(objects.length, 0);
  for (let i = 0; i < objects.length; i += SEND_CHUNK) {
    const chunk = objects.slice(i, i + SEND_CHUNK).map((o) => ({ body: eventBody(o) }));
    const result = await rt.queue.sendBatch(chunk);
    if (result.failed.length > 0) throw new Error(`could not enqueue ${result.failed.length} file(s): ${result.failed[0]?.message ?? ''}`);
    bar?.update(i + chunk.length);
  }
  bar?.stop();
  return { folder: path.resolve(dir), bucket, files: objects.length };
}

function eventBody(o: ObjectInfo): string {
  const modified = o.lastModified ?? new Date();
  // Later modifications give larger sequencers, so a stale event never overwrites newer content.
  const sequencer = Math.trunc(modified.getTime() * 1000).toString(16).toUpperCase().padStart(16, '0');
  return s3NotificationBody({
    bucket: o.bucket,
    key: o.key,
    size: o.size,
    etag: o.etag ?? '',
    sequencer,
    eventTime: modified.toISOString(),
  });
}
