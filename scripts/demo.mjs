#!/usr/bin/env node
// `npm run demo`: the whole pipeline on the embedded default, over the files in samples/.
// ingest (enqueue) → run --until-idle (fetch, extract, bulk-index, acknowledge) → search → status.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'bin', 'filesearch.js');

function filesearch(...args) {
  process.stdout.write(`\n$ filesearch ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`demo: "filesearch ${args.join(' ')}" exited with ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
}

filesearch('ingest', 'samples');
filesearch('run', '--until-idle', '--log-level', 'warn');
filesearch('search', '会議');
filesearch('search', '図');
filesearch('search', '見積');
filesearch('search', 'ＦｉｌｅＳｅａｒｃｈ');
filesearch('status');
process.stdout.write('\nThe index is in ./.filesearch; try: npx filesearch search <words>\n');
