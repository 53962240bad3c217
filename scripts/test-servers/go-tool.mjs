// Builds a Go tool once from the Go module proxy into the test-server cache (the metadata mock,
// toxiproxy): the module is downloaded with `go mod download` (checked against the pinned go.sum
// line and the checksum database) and built in its own directory, so its own go.sum pins every
// dependency. GOPATH, GOMODCACHE, GOCACHE and Go's config dir live in a scratch dir under the
// cache entry being built and are removed afterwards: only the binary stays, nothing is written
// to $HOME. (Not `go install module@version`: that also asks the proxy for the module's version
// list, which some proxies refuse.)
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheRoot, run, seconds } from './cache.mjs';
import { commandWorks } from './processes.mjs';

const hint =
  'the Go module proxy must be reachable (GOPROXY, default https://proxy.golang.org; its checksum database too, or GOSUMDB set to a reachable one)';

/** `go` (or FILESEARCH_TEST_GO) when it is at least `minGo`; else an error naming `fix`. */
function findGo({ minGo, purpose, fix }) {
  const go = process.env.FILESEARCH_TEST_GO || 'go';
  const out = commandWorks(go, ['env', 'GOVERSION', 'GOENV']);
  if (!out) throw new Error(`${go} not found: Go builds ${purpose}; ${fix}`);
  const [version = '?', goenv = ''] = out.trim().split('\n');
  const [major = 0, minor = 0] = (/^go(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  if (major < minGo[0] || (major === minGo[0] && minor < minGo[1])) {
    throw new Error(`${go} is ${version}; ${purpose} needs Go ≥ ${minGo.join('.')}: ${fix}`);
  }
  return { go, version, goenv };
}

/**
 * The tool's binary in the cache, built first when missing.
 * @param {{ name: string, module: string, version: string, sum: string, mainPackage: string, binaryName: string,
 *   minGo: [number, number], purpose: string, fix: string, goflags?: string, log: (m: string) => void }} tool
 */
export async function buildGoTool(tool) {
  const { name, module, version, sum, mainPackage, binaryName, log } = tool;
  const dest = path.join(cacheRoot(), `${name}-${version}`);
  const binary = path.join(dest, binaryName);
  if (fs.existsSync(binary)) return binary;
  const go = findGo(tool);
  const began = Date.now();
  log(`provisioning ${name} ${version} (go mod download + go build with ${go.version}, ~1 min)`);
  await buildOnce(dest, async (tmp) => {
    const scratch = path.join(tmp, 'go');
    const env = {
      ...process.env,
      GOPATH: path.join(scratch, 'path'),
      GOMODCACHE: path.join(scratch, 'mod'),
      GOCACHE: path.join(scratch, 'build'),
      // Go writes telemetry under the user config dir: keep it in the scratch dir, but still read
      // the user's `go env -w` settings (GOPROXY, GOPRIVATE …) from where they are.
      XDG_CONFIG_HOME: path.join(scratch, 'config'),
      GOENV: go.goenv || 'off',
      // A writable module cache, so the scratch dir can be removed.
      GOFLAGS: ['-modcacherw', tool.goflags].filter(Boolean).join(' '),
      GOTOOLCHAIN: 'local', // never download another Go
      GOWORK: 'off',
      CGO_ENABLED: '0',
    };
    await fs.promises.mkdir(scratch, { recursive: true });
    const downloaded = await run(go.go, ['mod', 'download', '-json', `${module}@${version}`], { cwd: scratch, env, what: `go mod download ${module}@${version}`, hint });
    const field = (key) => new RegExp(`"${key}": "((?:[^"\\\\]|\\\\.)*)"`).exec(downloaded)?.[1];
    if (field('Sum') !== sum) throw new Error(`${module}@${version} has checksum ${field('Sum')}, the pinned one is ${sum}: refusing it`);
    const dir = JSON.parse(`"${field('Dir')}"`);
    await run(go.go, ['build', '-trimpath', '-ldflags=-s -w', '-o', path.join(tmp, binaryName), mainPackage], { cwd: dir, env, what: `go build ${module}@${version}`, hint });
    await fs.promises.rm(scratch, { recursive: true, force: true });
  });
  log(`${name} ${version} provisioned in ${seconds(began)}`);
  return binary;
}
