// The download cache: outside the repo (CI clones afresh; a machine keeps its cache), every file
// verified against the checksum Maven Central publishes beside it, every entry written under a
// temporary name and renamed into place, so an interrupted run never leaves a half entry behind.
/* global fetch, AbortSignal */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processExists } from './processes.mjs';

export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'filesearch-worker', 'test-servers');
}

export function mavenRepo() {
  return (process.env.FILESEARCH_TEST_MAVEN_REPO || 'https://repo1.maven.org/maven2').replace(/\/+$/, '');
}

/** `group:artifact:version[:extension]` → the repository path. */
export function mavenPath(coords) {
  const [group, artifact, version, extension = 'jar'] = coords.split(':');
  return `${group.replaceAll('.', '/')}/${artifact}/${version}/${artifact}-${version}.${extension}`;
}

/** A Maven Central artifact in the cache, downloaded once and verified. */
export async function mavenArtifact(coords) {
  const rel = mavenPath(coords);
  const dest = path.join(cacheRoot(), 'maven', rel);
  if (fs.existsSync(dest)) return dest;
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  await sweepPartials(path.dirname(dest));
  const url = `${mavenRepo()}/${rel}`;
  const expected = await publishedChecksum(url);
  const tmp = partialName(dest);
  try {
    const actual = await download(url, tmp, expected.algorithm);
    if (actual !== expected.hex) {
      throw new Error(`checksum mismatch for ${url}: ${expected.algorithm} is ${actual}, the published one is ${expected.hex}`);
    }
    await fs.promises.rename(tmp, dest);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
  return dest;
}

/** A directory in the cache, built once under a temporary name by `build(tmpDir)` and renamed. */
export async function buildOnce(dest, build) {
  if (fs.existsSync(dest)) return dest;
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  await sweepPartials(path.dirname(dest));
  const tmp = partialName(dest);
  await fs.promises.mkdir(tmp);
  try {
    await build(tmp);
    try {
      await fs.promises.rename(tmp, dest);
    } catch (error) {
      if (!fs.existsSync(dest)) throw error; // else a concurrent start built it first: use theirs
    }
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
  return dest;
}

export function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

export function shortHash(...parts) {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12);
}

/** Runs a provisioning command; its output is shown only when it fails. */
export function run(command, args, { cwd, env, what, hint } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => (output = (output + chunk.toString()).slice(-20_000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) =>
      reject(new Error(error.code === 'ENOENT' ? `${command} not found${hint ? `: ${hint}` : ''}` : `${what ?? command}: ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve(output);
      const tail = output.trimEnd().split('\n').slice(-40).join('\n');
      reject(new Error(`${what ?? command} failed (exit ${code}): ${command} ${args.join(' ')}\n${tail}${hint ? `\n${hint}` : ''}`));
    });
  });
}

const checksumLengths = { sha512: 128, sha256: 64, sha1: 40 };

async function publishedChecksum(url) {
  for (const algorithm of Object.keys(checksumLengths)) {
    const response = await request(`${url}.${algorithm}`);
    if (response.status === 404) continue;
    if (!response.ok) throw new Error(`${url}.${algorithm}: HTTP ${response.status}`);
    const hex = (await response.text()).trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    if (hex.length !== checksumLengths[algorithm] || !/^[0-9a-f]+$/.test(hex)) throw new Error(`${url}.${algorithm} is not a checksum`);
    return { algorithm, hex };
  }
  const response = await request(url, { method: 'HEAD' });
  if (response.status === 404) throw new Error(`not on Maven Central: ${url}`);
  throw new Error(`no checksum is published beside ${url}: refusing an unverified download`);
}

async function download(url, file, algorithm) {
  const response = await request(url);
  if (!response.ok || !response.body) throw new Error(`download failed: ${url}: HTTP ${response.status}`);
  const hash = createHash(algorithm);
  const digest = new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body), digest, fs.createWriteStream(file));
  return hash.digest('hex');
}

/** fetch with retries for network errors and 5xx; 4xx answers are final. */
async function request(url, init = {}) {
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(300_000) });
      if (response.status < 500) return response;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await sleep(1000 * attempt);
  }
  throw new Error(`cannot reach ${url} (${lastError?.cause?.code ?? lastError?.message}); Maven Central must be reachable, or set FILESEARCH_TEST_MAVEN_REPO to a mirror`);
}

function partialName(dest) {
  return `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Removes what interrupted runs left behind (their process is gone). */
async function sweepPartials(dir) {
  for (const name of await fs.promises.readdir(dir).catch(() => [])) {
    const pid = Number(/\.partial-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (pid && !processExists(pid)) await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
  }
}
