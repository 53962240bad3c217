// moto (SQS and S3 APIs on one port): a venv in the cache, keyed by the pinned requirements and
// the Python version. It is built under a temporary name and renamed, so it is always started as
// `<venv>/bin/python -m moto.server` (script shebangs would still name the temporary path).
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheRoot, run, seconds, shortHash } from './cache.mjs';
import { freePorts, httpOk, spawnServer, waitHealthy } from './processes.mjs';
import { moto } from './versions.mjs';

export async function provisionMoto({ python, log }) {
  const requirements = fs.readFileSync(moto.requirements, 'utf8');
  const dest = path.join(cacheRoot(), `moto-${moto.version}-py${python.version}-${shortHash(requirements)}`);
  const venvPython = path.join(dest, 'bin', 'python');
  if (fs.existsSync(dest)) return venvPython;
  const began = Date.now();
  log(`provisioning moto ${moto.version} (pip into a venv, ~30 s)`);
  await buildOnce(dest, async (tmp) => {
    await run(python.python, ['-m', 'venv', tmp], { what: 'creating the moto venv', hint: 'on Debian: apt-get install -y python3-venv' });
    await run(
      path.join(tmp, 'bin', 'python'),
      // --no-compile: a third less time and space; moto imports only a few of these modules.
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-compile', '-q', '-r', moto.requirements],
      { what: `pip install moto ${moto.version}`, hint: 'pip needs PyPI (or a mirror configured for pip)' },
    );
  });
  log(`moto ${moto.version} provisioned in ${seconds(began)}`);
  return venvPython;
}

export async function startMoto({ venvPython, runDir, owned }) {
  const dir = path.join(runDir, 'moto');
  await fs.promises.mkdir(dir, { recursive: true });
  const [port] = await freePorts(1);
  const logFile = path.join(dir, 'moto.log');
  const pid = await spawnServer({
    command: venvPython,
    args: ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    cwd: dir,
    logFile,
    owned,
    marker: runDir,
  });
  const url = `http://127.0.0.1:${port}`;
  const server = { name: 'moto', pid, port, url, logFile, version: moto.version };
  await waitHealthy({ name: `moto ${moto.version}`, pid, logFile, timeoutMs: 60_000, check: () => httpOk(`${url}/moto-api/`) });
  return server;
}
