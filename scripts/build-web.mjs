#!/usr/bin/env node
/**
 * Builds the browser front end: bundles web/src/{dashboard,search,document}.ts with esbuild into
 * dist/public/assets/*.js (IIFE, minified, no source maps) and copies the HTML pages and the CSS.
 * Usage: node scripts/build-web.mjs
 */
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'public');
const assetsDir = path.join(outDir, 'assets');
const staticDir = path.join(root, 'web', 'static');
const ENTRIES = ['dashboard', 'search', 'document'];

function formatSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });

  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(ENTRIES.map((name) => [name, path.join(root, 'web', 'src', `${name}.ts`)])),
    outdir: assetsDir,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    metafile: true,
  });
  if (result.errors.length > 0) throw new Error(`esbuild reported ${result.errors.length} error(s)`);

  const outputs = Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file));

  const htmlFiles = (await readdir(staticDir)).filter((name) => name.endsWith('.html')).sort();
  if (htmlFiles.length === 0) throw new Error(`no HTML pages in ${staticDir}`);
  for (const name of htmlFiles) {
    const to = path.join(outDir, name);
    await copyFile(path.join(staticDir, name), to);
    outputs.push(to);
  }
  const copies = [
    [path.join(staticDir, 'app.css'), path.join(assetsDir, 'app.css')],
    [path.join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), path.join(assetsDir, 'uPlot.min.css')],
  ];
  for (const [from, to] of copies) {
    await copyFile(from, to);
    outputs.push(to);
  }

  let total = 0;
  for (const file of outputs) {
    const { size } = await stat(file);
    total += size;
    console.log(`${path.relative(root, file).padEnd(36)} ${formatSize(size).padStart(10)}`);
  }
  console.log(`${'total'.padEnd(36)} ${formatSize(total).padStart(10)}`);
}

main().catch((err) => {
  console.error(`build-web failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
