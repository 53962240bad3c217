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
    .description(
      'enqueue object-created events for every file of local folders (embedded mode) or of s3://bucket/prefix\n' +
        '(both modes: a backfill or re-index of objects already in a bucket)',
    )
    .argument('<sources...>', 'folders (each becomes a bucket named after it) or s3://bucket[/prefix]')
    .option('--bucket <name>', 'bucket name to use (only with a single folder)')
    .option('--json', 'print JSON for scripts')
    .action(async (sources: string[], opts: { bucket?: string; json?: boolean }, cmd: Command) => {
      if (opts.bucket !== undefined && sources.length > 1) throw new Error('--bucket can name only one folder at a time');
      for (const src of sources) {
        if (parseS3Uri(src) === undefined && !fs.statSync(src, { throwIfNoEntry: false })?.isDirectory()) {
          throw new Error(`${src} is neither a folder nor an s3://bucket/prefix URI`);
        }
      }
      const config = loadCliConfig(cmd, { LOG_LEVEL: 'silent' });
      const summary = await withRuntime(config, async (rt) => {
        const out: Array<{ source: string; bucket: string; files: number }> = [];
        for (const src of sources) out.push(await ingestSource(rt, src, opts.bucket, opts.json !== true));
        return out;
      });
      if (opts.json === true) printJson({ ingested: summary });
      else for (const s of summary) process.stdout.write(`queued ${s.files} file(s) from ${s.source} as bucket ${s.bucket}\n`);
    });
}

export function parseS3Uri(value: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  return m === null ? undefined : { bucket: m[1] ?? '', prefix: m[2] ?? '' };
}

async function ingestSource(rt: Runtime, source: string, preferredBucket: string | undefined, interactive: boolean) {
  const uri = parseS3Uri(source);
  let bucket: string;
  let prefix = '';
  if (uri !== undefined) {
    ({ bucket, prefix } = uri);
  } else {
    if (rt.registerFolder === undefined) throw new Error(`${source}: local folders can be ingested in embedded mode only; use s3://bucket/prefix`);
    bucket = rt.registerFolder(source, preferredBucket);
  }
  const objects: ObjectInfo[] = [];
  for await (const o of rt.store.list(bucket, prefix)) objects.push(o);

  const bar = interactive && process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: `${bucket} [{bar}] {value}/{total} files`, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(objects.length, 0);
  for (let i = 0; i < objects.length; i += SEND_CHUNK) {
    const chunk = objects.slice(i, i + SEND_CHUNK).map((o) => ({ body: eventBody(o, uri === undefined) }));
    const result = await rt.queue.sendBatch(chunk);
    if (result.failed.length > 0) throw new Error(`could not enqueue ${result.failed.length} file(s): ${result.failed[0]?.message ?? ''}`);
    bar?.update(i + chunk.length);
  }
  bar?.stop();
  return { source: uri === undefined ? path.resolve(source) : source, bucket, files: objects.length };
}

/**
 * Local folders get a sequencer from the modification time, so a re-ingested older copy never
 * overwrites newer content. Objects listed from S3 get none: S3's own sequencers use another
 * scheme, and a made-up one could make a later real event look stale. No sequencer = apply.
 */
function eventBody(o: ObjectInfo, localFolder: boolean): string {
  const modified = o.lastModified ?? new Date();
  const sequencer = localFolder ? Math.trunc(modified.getTime() * 1000).toString(16).toUpperCase().padStart(16, '0') : undefined;
  return s3NotificationBody({
    bucket: o.bucket,
    key: o.key,
    size: o.size,
    etag: o.etag ?? '',
    ...(sequencer === undefined ? {} : { sequencer }),
    eventTime: modified.toISOString(),
  });
}
